import Foundation
import FramewiseTestSupport
import Testing

/// The daemon's own page (`/`, `/sources/{id}`), rendered by a real browser from the running daemon.
@Suite(.serialized, .enabled(if: HeadlessChromium.executable != nil, "chromium is not installed (scripts/install-deps installs it)"))
struct ServePageTests {
    @Test("the page in headless Chromium: the streams with state and latest picture, timelines, escaped names")
    func pageInABrowser() throws {
        let camera = try RTSPServer(framesPerSecond: 10)
        let serve = try ServeHarness(withToken: false)
        // A file whose name is markup: it must reach the page as text.
        let clip = serve.directory.path("<img src=x onerror=alert(1)>.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 2, framesPerSecond: 10)
        try serve.writePipeline("clip.yaml", "source:\n  uri: \"\(clip)\"\nsampling:\n  every: 5\n")
        try serve.writePipeline("camera.yaml", "source:\n  uri: \(camera.url)\nsampling:\n  fps: 2\n")
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let labelled = try serve.eventually(60) {
            let streams = try serve.streams()
            return streams["clip \(clip)"]?.state == "completed"
                && (streams["camera \(camera.url)"]?.counter("labeled") ?? 0) > 2
        }
        #expect(labelled, "log:\n\(serve.log)")
        // The camera's first segment picture is chosen once later frames have come (frames are decided in order).
        let pictured = try serve.eventually(30) {
            try serve.get("/", authorized: false).body.components(separatedBy: "data:image/jpeg;base64,").count - 1 >= 4
        }
        #expect(pictured)

        let artefacts = FileManager.default.temporaryDirectory.appendingPathComponent("framewise-serve-page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let address = "http://127.0.0.1:\(serve.port)/"
        let dom = try HeadlessChromium.run(["--dump-dom", address], profileIn: artefacts).stdout
        #expect(dom.contains("<section class=\"streams\" id=\"streams\">"))
        #expect(dom.components(separatedBy: "<tr class=\"state-").count - 1 == 2)
        #expect(dom.contains("<tr class=\"state-running\">") && dom.contains("<tr class=\"state-completed\">"))
        #expect(dom.contains("http-equiv=\"refresh\""))
        #expect(dom.components(separatedBy: "<svg class=\"tl\"").count - 1 == 2, "a timeline per source")
        #expect(dom.contains(">espresso</li>") && dom.contains(">moped</li>"))
        // The clip's two segment pictures, the camera's segment picture(s) and the latest picture of each stream.
        #expect(dom.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1 >= 4)
        #expect(dom.contains("&lt;img src=x onerror=alert(1)&gt;.mp4"))
        #expect(!dom.contains("<img src=\"x\"") && !dom.lowercased().contains("<script"))

        let screenshot = artefacts.appendingPathComponent("daemon-page.png")
        try HeadlessChromium.run(["--screenshot=\(screenshot.path)", "--window-size=1280,1600", address], profileIn: artefacts)
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)
        print("daemon page screenshot kept in \(screenshot.path)")

        // One source's page, and a source that does not exist.
        let sources = try queryFramewise(serve.database, "SELECT id, uri FROM sources ORDER BY id")
        let cameraID = try #require(sources.first { ($0["uri"] as? String) == camera.url }?["id"] as? Int)
        let one = try serve.get("/sources/\(cameraID)", authorized: false)
        #expect(one.status == 200)
        #expect(one.body.components(separatedBy: "<section class=\"source\"").count - 1 == 1)
        #expect(try serve.get("/sources/999", authorized: false).status == 404)
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
    }
}
