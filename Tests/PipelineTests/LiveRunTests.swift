import FramewiseTestSupport
import Foundation
import Testing

/// `framewise run` on a live RTSP stream from a real GStreamer server.
@Suite(.serialized) struct LiveRunTests {
    private func query(_ database: String, _ sql: String) throws -> [[String: Any]] {
        try queryFramewise(database, sql)
    }

    @Test func framesTheWorkersCannotKeepUpWithAreDroppedAndCounted() throws {
        let server = try RTSPServer(credentials: (user: "viewer", password: "hunter2"), framesPerSecond: 120)
        let directory = try TemporaryDirectory()
        let database = directory.path("live.sqlite")
        let url = server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://viewer:hunter2@")
        // One worker labels far fewer than 120 frames a second; a queue of 2 keeps the latency bounded.
        let child = try ChildProcess(try framewiseExecutable(), [
            "run", url, "--model", TestData.modelDirectory.path, "--db", database, "--workers", "1", "--queue", "2",
        ])
        let labelling = child.poll(every: 0.3, for: 30) {
            ((try? query(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int) ?? 0) >= 40
        }
        #expect(labelling)
        child.signal(SIGINT)
        let result = child.wait()
        #expect(result.status == 130)

        let run = try #require(try query(database, """
            SELECT status, frames_decoded, frames_sampled, frames_labeled, frames_dropped, frames_skipped, live FROM runs
            """).first)
        let labelled = run["frames_labeled"] as? Int ?? -1
        let dropped = run["frames_dropped"] as? Int ?? -1
        #expect(run["status"] as? String == "interrupted")
        #expect(run["live"] as? Int == 1)
        #expect(dropped > 0)
        #expect(sampledIsAccountedFor(run))
        #expect(run["frames_decoded"] as? Int == run["frames_sampled"] as? Int)
        #expect(try query(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int == labelled)
        // Live frames carry their arrival time, and indices only grow.
        let missingTimes = try query(database, "SELECT count(*) AS n FROM frames WHERE captured_at IS NULL")
        #expect(missingTimes.first?["n"] as? Int == 0)

        // The password is nowhere: not in the database, not in what the program printed.
        let sources = try query(database, "SELECT uri FROM sources")
        #expect(sources.first?["uri"] as? String == server.url.replacingOccurrences(of: "rtsp://", with: "rtsp://***@"))
        for file in [database, database + "-wal"] where FileManager.default.fileExists(atPath: file) {
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)).range(of: Data("hunter2".utf8)) == nil)
        }
        #expect(!result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"))
    }

    @Test func anUnreachableStreamFailsAtOnceWithOneLine() throws {
        let directory = try TemporaryDirectory()
        let port = try unusedPort()
        let started = Date()
        let result = try runFramewise([
            "run", "rtsp://admin:topsecret@127.0.0.1:\(port)/cam", "--model", TestData.modelDirectory.path,
            "--db", directory.path("live.sqlite"), "--quiet",
        ], mustSucceed: false)
        #expect(result.status == 1)
        #expect(Date().timeIntervalSince(started) < 15)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("rtsp://***@127.0.0.1") == true)
        #expect(!result.stderr.contains("topsecret") && !result.stdout.contains("topsecret"))
    }
}
