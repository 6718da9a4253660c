import FramewiseTestSupport
import Foundation
import Testing

/// Every run of a live camera is a session that stores every frame it labels; `captured_at` is the timeline
/// across sessions. A real GStreamer RTSP server, real signals, and secrets that must appear nowhere.
@Suite(.serialized) struct LiveSessionTests {
    static let token = "tok3n-XYZ"
    static let password = "pa55-XYZ"

    /// Runs `framewise run URL` until `frames` more frames are stored, then stops it with SIGINT.
    private func session(_ url: String, database: String, frames: Int, environment: [String: String] = [:]) throws -> CommandResult {
        let before = (try? queryFramewise(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int) ?? 0
        let child = try ChildProcess(try framewiseExecutable(), [
            "run", url, "--fps", "5", "--model", TestData.modelDirectory.path, "--db", database, "--workers", "1",
        ], environment: environment)
        let stored = child.poll(every: 0.3, for: 60) {
            ((try? queryFramewise(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int) ?? 0) >= before + frames
        }
        #expect(stored)
        child.signal(SIGINT)
        return child.wait()
    }

    @Test("a camera's appearances: visible while open, closed when the session ends, never across two sessions")
    func appearancesOfTwoSessions() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("coffee-moped.mp4")
        try makeCoffeeThenMoped(clip)
        let server = try RTSPServer(file: clip)
        let database = directory.path("camera.sqlite")
        func openAppearances() -> [String] {
            ((try? queryFramewise(database, "SELECT label FROM appearances WHERE open = 1 ORDER BY label")) ?? [])
                .compactMap { $0["label"] as? String }
        }
        for _ in 0..<2 {
            let child = try ChildProcess(try framewiseExecutable(), [
                "run", server.url, "--fps", "5", "--model", TestData.modelDirectory.path, "--db", database, "--workers", "2",
            ])
            // The coffee is on screen from the session's start: its appearance is queryable while it lasts.
            #expect(child.poll(every: 0.3, for: 60) { openAppearances().contains("espresso") })
            child.signal(SIGINT)
            #expect(child.wait().status == 130)
            #expect(openAppearances().isEmpty)
        }
        let rows = try queryFramewise(database, """
            SELECT a.run_id, a.label, a.start_frame_index, a.end_frame_index,
                   (SELECT min(frame_index) FROM frames WHERE run_id = a.run_id) AS first,
                   (SELECT max(frame_index) FROM frames WHERE run_id = a.run_id) AS last
              FROM appearances AS a WHERE a.vocabulary = 'imagenet' AND a.label = 'espresso' ORDER BY a.run_id
            """)
        #expect(rows.map { $0["run_id"] as? Int } == [1, 2], "one espresso appearance per session: \(rows)")
        for row in rows {
            #expect((row["start_frame_index"] as? Int ?? -1) >= (row["first"] as? Int ?? .max), "\(row)")
            #expect((row["end_frame_index"] as? Int ?? .max) <= (row["last"] as? Int ?? -1), "\(row)")
        }
        let captured = try queryFramewise(database, "SELECT count(*) AS n FROM appearances WHERE start_captured_at IS NULL")
        #expect(captured.first?["n"] as? Int == 0)
    }

    @Test func aCameraRunTwiceStoresBothSessionsAndIsAskedAcrossThem() throws {
        let server = try RTSPServer()
        let directory = try TemporaryDirectory()
        let database = directory.path("camera.sqlite")
        let host = server.url.replacingOccurrences(of: "rtsp://", with: "")
        var outputs = [try session("rtsp://\(Self.token)@\(host)", database: database, frames: 10)]
        Thread.sleep(forTimeInterval: 2)
        outputs.append(try session("rtsp://\(Self.token):${CAM_PASSWORD}@\(host)", database: database, frames: 10,
                                   environment: ["CAM_PASSWORD": Self.password]))
        #expect(outputs.map(\.status) == [130, 130])

        // One source, two sessions, each storing what it labelled; frame indices continue across sessions.
        #expect(try queryFramewise(database, "SELECT uri FROM sources").map { $0["uri"] as? String } == ["rtsp://***@\(host)"])
        let runs = try queryFramewise(database, """
            SELECT r.id, r.live, r.status, r.frames_sampled, r.frames_labeled, r.frames_dropped, r.frames_skipped,
                   min(f.frame_index) AS first, max(f.frame_index) AS last, count(f.id) AS stored,
                   min(f.captured_at) AS started, max(f.captured_at) AS ended
              FROM runs r JOIN frames f ON f.run_id = r.id GROUP BY r.id ORDER BY r.id
            """)
        #expect(runs.count == 2)
        guard runs.count == 2 else { return }
        #expect(runs.allSatisfy { $0["live"] as? Int == 1 && $0["status"] as? String == "interrupted" })
        #expect(runs.allSatisfy { ($0["stored"] as? Int ?? 0) >= 10 && $0["stored"] as? Int == $0["frames_labeled"] as? Int })
        #expect(runs.allSatisfy { $0["frames_skipped"] as? Int == 0 })
        #expect(runs.allSatisfy(sampledIsAccountedFor))
        #expect((runs[1]["first"] as? Int ?? -1) > (runs[0]["last"] as? Int ?? .max))

        // No segment joins two sessions.
        let segments = try queryFramewise(database, "SELECT run_id, first_frame_index, last_frame_index FROM label_segments")
        for segment in segments {
            let run = try #require(runs.first { $0["id"] as? Int == segment["run_id"] as? Int })
            #expect((segment["first_frame_index"] as? Int ?? -1) >= (run["first"] as? Int ?? .max))
            #expect((segment["last_frame_index"] as? Int ?? .max) <= (run["last"] as? Int ?? -1))
        }

        // "When was LABEL seen between T1 and T2 (local time)?", as the README asks it.
        let label = try #require(try queryFramewise(database, """
            SELECT label FROM predictions WHERE rank = 1 GROUP BY label ORDER BY count(*) DESC LIMIT 1
            """).first?["label"] as? String)
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd HH:mm:ss"
        format.timeZone = .current
        func local(_ seconds: Double) -> String { format.string(from: Date(timeIntervalSince1970: seconds)) }
        let firstStart = runs[0]["started"] as? Double ?? 0, firstEnd = runs[0]["ended"] as? Double ?? 0
        let secondEnd = runs[1]["ended"] as? Double ?? 0
        let whenSeen = """
            SELECT datetime(start_captured_at, 'unixepoch', 'localtime') AS seen_from,
                   datetime(end_captured_at, 'unixepoch', 'localtime') AS seen_to, source, frames, run_id
              FROM label_segments
             WHERE label = ? AND end_captured_at >= unixepoch(?, 'utc') AND start_captured_at < unixepoch(?, 'utc')
             ORDER BY start_captured_at
            """
        let both = try queryFramewise(database, whenSeen,
                                      parameters: [label, local(firstStart.rounded(.down)), local(secondEnd.rounded(.up) + 1)])
        #expect(Set(both.compactMap { $0["run_id"] as? Int }) == Set(runs.compactMap { $0["id"] as? Int }))
        let secondOnly = try queryFramewise(database, whenSeen,
                                            parameters: [label, local(firstEnd.rounded(.up) + 1), local(secondEnd.rounded(.up) + 1)])
        #expect(secondOnly.compactMap { $0["run_id"] as? Int } .allSatisfy { $0 == runs[1]["id"] as? Int })
        #expect(!secondOnly.isEmpty)

        // The token and the password are nowhere: output, database, WAL.
        for secret in [Self.token, Self.password] {
            for output in outputs { #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret)) }
            for file in [database, database + "-wal"] where FileManager.default.fileExists(atPath: file) {
                #expect(try Data(contentsOf: URL(fileURLWithPath: file)).range(of: Data(secret.utf8)) == nil)
            }
        }
    }

    /// A second Ctrl-C drops the frames still waiting, and every sampled frame is still accounted for once.
    @Test func aSecondInterruptKeepsTheCounterIdentity() throws {
        let server = try RTSPServer(framesPerSecond: 60)
        let directory = try TemporaryDirectory()
        let database = directory.path("camera.sqlite")
        let child = try ChildProcess(try framewiseExecutable(), [
            "run", server.url, "--model", TestData.modelDirectory.path, "--db", database, "--workers", "1",
            "--queue", "500", "--when-full", "wait",
        ])
        let storing = child.poll(every: 0.3, for: 60) {
            ((try? queryFramewise(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int) ?? 0) >= 5
        }
        #expect(storing)
        child.signal(SIGINT)
        Thread.sleep(forTimeInterval: 0.2)
        child.signal(SIGINT)
        let result = child.wait()
        #expect(result.status == 130)
        let run = try #require(try queryFramewise(database, """
            SELECT status, frames_sampled, frames_labeled, frames_dropped, frames_skipped FROM runs
            """).first)
        #expect(run["status"] as? String == "interrupted")
        #expect((run["frames_dropped"] as? Int ?? 0) > 0)
        #expect(sampledIsAccountedFor(run))
        #expect(try queryFramewise(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int == run["frames_labeled"] as? Int)
    }

    @Test func aSignedPlaylistURLKeepsItsSignatureSecret() throws {
        let directory = try TemporaryDirectory()
        try makeHLSClip(directory.path("playlist.m3u8"), seconds: 2)
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let database = directory.path("hls.sqlite")
        let url = server.url("playlist.m3u8").absoluteString + "?sig=\(Self.token)&v=1"
        let result = try runFramewise(["run", url, "--every", "10", "--model", TestData.modelDirectory.path, "--db", database])
        #expect(result.stdout.contains("?sig=***&v=1: completed"))
        #expect(try queryFramewise(database, "SELECT uri FROM sources").first?["uri"] as? String
                == server.url("playlist.m3u8").absoluteString + "?sig=***&v=1")
        #expect(!result.stdout.contains(Self.token) && !result.stderr.contains(Self.token))
        for file in [database, database + "-wal"] where FileManager.default.fileExists(atPath: file) {
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)).range(of: Data(Self.token.utf8)) == nil)
        }
    }

    @Test func theSameCameraUnderAnotherPasswordIsRefusedWithoutConnectingToIt() throws {
        let server = try RTSPServer(credentials: ("viewer", Self.password))
        defer { server.kill() }
        let directory = try TemporaryDirectory()
        let address = server.url.replacingOccurrences(of: "rtsp://", with: "")
        // The same stream (the same redacted URL), the second time with a wrong password: had it connected, the
        // camera would have refused it (401); it is refused as a second reader before any connection.
        let child = try ChildProcess(try framewiseExecutable(), [
            "run", "rtsp://viewer:\(Self.password)@\(address)", "rtsp://viewer:wrong-pw@\(address)", "--fps", "2",
            "--db", directory.path("cam.sqlite"), "--model", TestData.modelDirectory.path,
        ])
        let labelling = child.poll(every: 0.3, for: 60) {
            ((try? queryFramewise(directory.path("cam.sqlite"), "SELECT count(*) AS n FROM frames"))?.first?["n"] as? Int ?? 0) >= 2
        }
        #expect(labelling)
        child.signal(SIGINT)
        let result = child.wait()
        #expect(result.stderr.contains("error: rtsp://***@\(address): the same source as rtsp://***@\(address), which is already being read"),
                "\(result.stderr)")
        #expect(!result.stderr.contains("401") && !result.stderr.lowercased().contains("unauthorized"))
        #expect(!result.stderr.contains(Self.password) && !result.stderr.contains("wrong-pw"))
    }

    @Test func restartAndTheSameCameraTwiceAreRefusedWithOneLine() throws {
        let directory = try TemporaryDirectory()
        let camera = "rtsp://viewer:\(Self.password)@127.0.0.1:\(try unusedPort())/cam"
        let restart = try runFramewise(["run", camera, "--restart", "--db", directory.path("x.sqlite"),
                                        "--model", TestData.modelDirectory.path], mustSucceed: false)
        #expect(restart.status == 1)
        #expect(restart.stderr.hasPrefix("error: rtsp://***@127.0.0.1:"))
        #expect(restart.stderr.contains("--restart applies to files"))
        let twice = try runFramewise(["run", camera, camera, "--db", directory.path("x.sqlite"),
                                      "--model", TestData.modelDirectory.path], mustSucceed: false)
        #expect(twice.status == 1)
        #expect(twice.stderr.hasSuffix("/cam is given twice\n"))
        for result in [restart, twice] {
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(!result.stderr.contains(Self.password))
        }
    }
}
