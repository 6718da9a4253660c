import Foundation
import FramewiseTestSupport
import Testing

/// Heads through the daemon's page, as a user makes one there: "more like this" under a picture, frames added to
/// a head's classes by the page's forms (with its token; a forged POST changes nothing), trained by the page's
/// button, and taken by a pipeline at the next reload — its run records the version it applied.
@Suite(.serialized) struct ServeHeadsTests {
    @Test("examples added from the page's forms, a head trained by its button, applied by a pipeline after a reload")
    func headFromThePage() throws {
        let serve = try ServeHarness()
        let first = serve.directory.path("first.mp4"), later = serve.directory.path("later.mp4")
        try makeGateClip(first, offset: 0, seconds: 16)
        try makeGateClip(later, offset: 16, seconds: 8)
        let region = "regions: {gate: [0.67, 0.22, 0.28, 0.5]}"
        try serve.writePipeline("first.yaml", "source: {uri: \(first)}\nsampling: {fps: 2}\n\(region)\nfeatures: all\ncategories: []\n")
        try serve.writePipeline("later.yaml", "source: {uri: \(later)}\nsampling: {fps: 2}\n\(region)\nheads: {gate: gate-state}\ncategories: []\n")
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let bearer = "Authorization: Bearer \(serve.token)", origin = "Origin: http://127.0.0.1:\(serve.port)"
        #expect(try serve.eventually(120) { try serve.streams()["first \(first)"]?.state == "completed" }, "log:\n\(serve.log)")
        // The head does not exist yet: the later pipeline fails, in one line, and waits.
        #expect(try serve.eventually(30) { (try serve.streams()["later \(later)"]?["last_error"] as? String)?.contains("no head named gate-state") == true })

        // "More like this" of a frame: every frame of the first clip, each with the form.
        let anyFrame = try #require(try queryFramewise(serve.database, "SELECT min(frame_id) AS id FROM frame_features WHERE view = 'gate'")
            .first?["id"] as? Int)
        let similar = try serve.request("/similar?frame=\(anyFrame)&view=gate", headers: [bearer])
        #expect(similar.status == 200 && similar.body.contains("Frames most like frame \(anyFrame)"), "\(similar.body.prefix(300))")
        let token = try #require(similar.body.firstMatch(of: /name="framewise_csrf" value="([^"]+)"/).map { String($0.1) })
        let listed = similar.body.matches(of: /name="frame" value="([0-9]+)"/).map { Int64($0.1)! }
        #expect(listed.count >= 20)
        // The same search as JSON, from the daemon's mapped search file: the rows `framewise similar` prints.
        let api = try serve.request("/api/similar?frame=\(anyFrame)&view=gate&top=5", headers: [bearer])
        let command = try runFramewise(["similar", "--db", serve.database, "--frame", String(anyFrame), "--view", "gate",
                                        "--top", "5", "--format", "json"])
        #expect(api.status == 200 && api.body == command.stdout, "\(api.body)\n\(command.stdout)")
        let found = try #require(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [[String: Any]])
        #expect(found.count == 5 && found.first?["frame_id"] as? Int == anyFrame, "\(api.body.prefix(300))")
        #expect(try serve.request("/api/similar?frame=\(anyFrame)&top=0", headers: [bearer]).status == 400)

        // Six frames of each state, by their time in the clip (the cup is there while (pts mod 8) < 4).
        let frames = try queryFramewise(serve.database, "SELECT f.id AS id, f.pts AS pts FROM frames AS f JOIN sources AS s ON s.id = f.source_id WHERE s.uri = ? ORDER BY f.id",
                                        parameters: [first])
        let chosen = frames.compactMap { row -> (Int, String)? in
            guard let id = row["id"] as? Int, let pts = row["pts"] as? Double, listed.contains(Int64(id)) else { return nil }
            return (id, pts.truncatingRemainder(dividingBy: 8) < 4 ? "cup" : "empty")
        }
        let perClass = Dictionary(grouping: chosen, by: \.1).mapValues { Array($0.prefix(6)) }
        #expect(perClass["cup"]?.count == 6 && perClass["empty"]?.count == 6, "\(chosen)")

        // A forged POST (another site's page) adds nothing.
        let forged = try serve.request("/heads/examples", method: "POST", headers: [bearer, "Origin: http://evil.example"],
                                       form: [("framewise_csrf", token), ("frame", "\(anyFrame)"), ("view", "gate"), ("head", "gate-state"), ("class", "cup")])
        #expect(forged.status == 403)
        #expect(try queryFramewise(serve.database, "SELECT count(*) AS n FROM heads").first?["n"] as? Int == 0)

        for (id, className) in (perClass["cup"] ?? []) + (perClass["empty"] ?? []) {
            let added = try serve.request("/heads/examples", method: "POST", headers: [bearer, origin],
                                          form: [("framewise_csrf", token), ("frame", "\(id)"), ("view", "gate"), ("head", "gate-state"), ("class", className)])
            #expect(added.status == 303 && added.header("Location")?.hasPrefix("/heads/gate-state?message=frame") == true, "\(added.headerLines)")
        }
        let headPage = try serve.request("/heads/gate-state", headers: [bearer])
        #expect(headPage.body.contains("cup (6)") && headPage.body.contains("empty (6)") && headPage.body.contains("Not trained yet"),
                "\(headPage.body.prefix(2000))")

        let trained = try serve.request("/heads/gate-state/train", method: "POST", headers: [bearer, origin], form: [("framewise_csrf", token)])
        #expect(trained.status == 303 && trained.header("Location")?.contains("version%201%20trained") == true, "\(trained.headerLines)")
        let report = try serve.request("/heads/gate-state", headers: [bearer])
        #expect(report.body.contains("id=\"report\"") && report.body.contains("nested 5-fold cross-validation"), "\(report.body.prefix(500))")

        // The reload tries the waiting pipeline again: it applies version 1 and records it.
        serve.signal(SIGHUP)
        #expect(try serve.eventually(120) { try serve.streams()["later \(later)"]?.state == "completed" }, "log:\n\(serve.log)")
        let runs = try queryFramewise(serve.database, "SELECT r.heads AS heads FROM runs AS r JOIN sources AS s ON s.id = r.source_id WHERE s.uri = ? AND r.status = 'completed'",
                                      parameters: [later])
        #expect(runs.compactMap { $0["heads"] as? String } == ["gate=gate-state@1"], "\(runs)")
        #expect(try queryFramewise(serve.database, "SELECT count(*) AS n FROM head_predictions").first?["n"] as? Int ?? 0 >= 16)

        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 20) == 0)
    }
}
