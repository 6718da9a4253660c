import Foundation
import FramewiseTestSupport
import Testing

/// Heads end to end, as a user makes one: a real clip in which a region of the frame changes state (the coffee
/// photo put on a gravel wall and taken away, under changing light), stored frames chosen by SQL as examples,
/// `framewise train`, then `run --head` on a later part of the clip; the head's appearances must match the true
/// intervals. On SQLite and, when a server can be started, on PostgreSQL.
@Suite(.serialized) struct HeadTests {
    static let region = "gate=0.67,0.22,0.28,0.5"

    @discardableResult
    private func framewise(_ arguments: [String], _ database: String, mustSucceed: Bool = true) throws -> CommandResult {
        try runFramewise(arguments + ["--db", database], environment: ["FRAMEWISE_MODEL_DIR": TestData.modelDirectory.path],
                         mustSucceed: mustSucceed)
    }

    /// The whole story on one database; `corrupt` damages a stored head version behind Framewise's back.
    private func trainAndApply(database: String, in directory: TemporaryDirectory, corrupt: (String) throws -> Void) throws {
        let first = directory.path("first.mp4"), later = directory.path("later.mp4")
        try makeGateClip(first, offset: 0, seconds: 20)
        try makeGateClip(later, offset: 20, seconds: 16)
        try framewise(["run", "--quiet", first, "--fps", "2", "--region", Self.region, "--features", "all", "--no-categories"], database)

        // 20 frames of each state, chosen with SQL (frame k at k/2 s: the cup is there while k mod 16 < 8).
        let choose = """
            SELECT id, CASE WHEN CAST(pts * 2 AS INTEGER) % 16 < 8 THEN 'cup' ELSE 'empty' END FROM frames ORDER BY id
            """
        let trained = try framewise(["train", "gate-state", "--view", "gate", "--none", "empty", "--frames", choose], database)
        #expect(trained.stdout.contains("40 examples added"), "\(trained.stdout)")
        #expect(trained.stdout.contains("head gate-state: 2 classes, 40 examples (frame:gate 40)"), "\(trained.stdout)")
        #expect(trained.stdout.contains("stored as gate-state version 1 (view gate, fp32 features)"), "\(trained.stdout)")
        let accuracy = try #require(trained.stdout.firstMatch(of: /accuracy ([0-9.]+)%/).map { Double($0.1)! })
        #expect(accuracy >= 90, "\(trained.stdout)")

        // The same examples train the same head: version 2 has version 1's parameters, digest and accuracy.
        try framewise(["train", "gate-state"], database)
        let versions = try queryFramewise(database, """
            SELECT version, accuracy, examples_digest, parameters = (SELECT parameters FROM head_versions WHERE version = 1) AS same
              FROM head_versions ORDER BY version
            """)
        #expect(versions.count == 2 && versions.allSatisfy { ($0["same"] as? Int) == 1 || ($0["same"] as? Bool) == true }, "\(versions)")
        #expect(Set(versions.compactMap { $0["examples_digest"] as? String }).count == 1)

        try framewise(["run", "--quiet", later, "--fps", "2", "--region", Self.region, "--head", "gate=gate-state", "--no-categories"], database)
        let appearances = try queryFramewise(database, """
            SELECT start_pts, end_pts FROM appearances WHERE vocabulary = 'head' AND view = 'gate' ORDER BY start_pts
            """)
        // The cup is there at 4–8 s and 12–16 s of the later clip: its last sampled frames are at 7.5 and 15.5 s.
        let expected: [(Double, Double)] = [(4, 7.5), (12, 15.5)]
        #expect(appearances.count == expected.count, "\(appearances)")
        for (found, truth) in zip(appearances, expected) {
            let start = try #require(found["start_pts"] as? Double), end = try #require(found["end_pts"] as? Double)
            #expect(abs(start - truth.0) <= 0.5 && abs(end - truth.1) <= 0.5, "appearance \(start)–\(end), truly \(truth.0)–\(truth.1)")
        }
        let listed = try framewise(["segments", "--head", "gate-state/cup", "--format", "csv"], database).stdout
        #expect(listed.split(separator: "\r\n").count == 1 + expected.count, "\(listed)")
        let labels = try queryFramewise(database, "SELECT DISTINCT label FROM appearances WHERE vocabulary = 'head'")
        #expect(labels.compactMap { $0["label"] as? String } == ["gate-state/cup"], "the none class has no appearances")
        #expect(try queryFramewise(database, "SELECT heads FROM runs ORDER BY id DESC LIMIT 1").first?["heads"] as? String
                == "gate=gate-state@2")
        // A head named like it but for an underscore is not counted as used by its run.
        try framewise(["train", "gate_state", "--class", "cup=\(TestData.photo("coffee.png"))",
                       "--class", "other=\(TestData.photo("astronaut.png"))", "--no-training"], database)
        let heads = try framewise(["heads"], database).stdout.split(separator: "\n")
        #expect(heads.contains { $0.hasPrefix("gate-state: ") && $0.hasSuffix("used by 1 run") }, "\(heads)")
        #expect(heads.contains { $0.hasPrefix("gate_state: ") && $0.hasSuffix("used by 0 runs") }, "\(heads)")
        let scored = try queryFramewise(database, "SELECT count(DISTINCT frame_id) AS n FROM head_predictions WHERE head = 'gate-state'")
        #expect(scored.first?["n"] as? Int == 32)

        // classify --head: the same JSON shape as classify; the coffee photo is the cup.
        let classified = try framewise(["classify", "--head", "gate-state", "--json", TestData.photo("coffee.png")], database)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(classified.stdout.utf8)) as? [String: Any])
        let top = try #require(answer["top"] as? [[String: Any]])
        #expect(top.first?["label"] as? String == "cup" && top.count == 2, "\(classified.stdout)")

        // A stored frame's own features find it first.
        let frame = try #require(try queryFramewise(database, "SELECT min(frame_id) AS id FROM frame_features").first?["id"] as? Int)
        let found = try framewise(["similar", "--frame", String(frame), "--top", "3", "--format", "csv"], database).stdout
        #expect(found.split(separator: "\r\n").dropFirst().first?.hasPrefix("\(frame),") == true, "\(found)")

        // A frame's own picture (cut from the clip with ffmpeg at its time) finds that frame first.
        let sample = try #require(try queryFramewise(database, """
            SELECT f.id AS id, f.pts AS pts FROM frames AS f JOIN sources AS s ON s.id = f.source_id
             WHERE s.uri LIKE '%first.mp4' AND f.pts = 7.5
            """).first)
        let picture = directory.path("frame.png")
        try makeClip(picture, ["-ss", "7.5", "-i", first, "-frames:v", "1"])
        let byPicture = try framewise(["similar", picture, "--top", "3", "--format", "csv"], database).stdout
        #expect(byPicture.split(separator: "\r\n").dropFirst().first?.hasPrefix("\(sample["id"] as? Int ?? -1),") == true, "\(byPicture)")
        // --source as the report takes it (here a file's name): only that file's frames; a name that matches none is one line.
        let fromFirst = try framewise(["similar", picture, "--top", "50", "--source", "first.mp4", "--format", "csv"], database).stdout
        let rows = fromFirst.split(separator: "\r\n").dropFirst()
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains("first.mp4,") }, "\(fromFirst)")
        let nowhere = try framewise(["similar", picture, "--source", "nosuch.mp4"], database, mustSucceed: false)
        #expect(nowhere.status == 1 && nowhere.stderr.contains("no source matches 'nosuch.mp4'") && nowhere.stderr.split(separator: "\n").count == 1,
                "\(nowhere.stderr)")

        // Retention takes the frames with their features and head scores; the head's examples stay, and train it again.
        Thread.sleep(forTimeInterval: 1.2)
        try framewise(["prune", "--older-than", "1s"], database)
        for table in ["frames", "frame_features", "head_scores"] {
            #expect(try queryFramewise(database, "SELECT count(*) AS n FROM \(table)").first?["n"] as? Int == 0, "\(table)")
        }
        let retrained = try framewise(["train", "gate-state"], database)
        #expect(retrained.stdout.contains("40 examples") && retrained.stdout.contains("version 3"), "\(retrained.stdout)")

        // Refusals, each one line: a head of one class, an unknown head, a damaged version.
        let solo = try framewise(["train", "solo", "--class", "cup=\(TestData.photo("coffee.png"))"], database, mustSucceed: false)
        #expect(solo.status == 1 && solo.stderr.contains("at least two classes") && solo.stderr.split(separator: "\n").count == 1,
                "\(solo.stderr)")
        let unknown = try framewise(["run", "--quiet", later, "--restart", "--head", "nosuch"], database, mustSucceed: false)
        #expect(unknown.status == 1 && unknown.stderr.contains("no head named nosuch"), "\(unknown.stderr)")
        try corrupt("UPDATE head_versions SET parameters = \(database.hasPrefix("postgres") ? "'\\x00'::bytea" : "x'00'")")
        let damaged = try framewise(["classify", "--head", "gate-state", TestData.photo("coffee.png")], database, mustSucceed: false)
        #expect(damaged.status == 1 && damaged.stderr.contains("is damaged") && damaged.stderr.split(separator: "\n").count == 1,
                "\(damaged.stderr)")
    }

    @Test("a region-state head from 20 frames per state: trained, applied to a later part, appearances on the true intervals (SQLite)")
    func regionStateHeadOnSQLite() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("labels.sqlite")
        try trainAndApply(database: database, in: directory) { sql in
            try runCommand(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()",
                                                database, sql])
        }
    }

    @Test("the same on PostgreSQL", .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed, or this build has not the PostgreSQL trait"))
    func regionStateHeadOnPostgreSQL() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let database = try server.makeDatabase()
        try trainAndApply(database: database, in: directory) { sql in
            _ = try server.psql(database: database, sql)
        }
    }
}
