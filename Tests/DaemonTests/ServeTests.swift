import Foundation
import FramewiseTestSupport
import Glibc
import Testing

/// `framewise serve` as systemd runs it: the real binary, a notify socket owned by the test, two RTSP cameras
/// (one with a password) and a file, HTTP through curl, real signals.
@Suite(.serialized) struct ServeTests {
    @Test("cameras and a file: READY, watchdog, token, metrics, streams, a camera added by SIGHUP, one dying and returning, stop, restart")
    func camerasAndAFile() throws {
        let cameraA = try RTSPServer(credentials: ("viewer", "s3cret-pw"), framesPerSecond: 10)
        let cameraB = try RTSPServer(framesPerSecond: 10)
        let serve = try ServeHarness()
        let clip = serve.directory.path("clip.mp4")
        try makeClip(clip, ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=3", "-pix_fmt", "yuv420p"])
        let liveOptions = "timeouts: {stall: 2}\n    reconnect: {initial_delay: 0.5, max_delay: 1}"
        try serve.writePipeline("lobby.yaml", """
            source:
              uri: "rtsp://viewer:${CAMERA_PASSWORD}@127.0.0.1:\(cameraA.port)/test"
              \(liveOptions.replacingOccurrences(of: "\n    ", with: "\n  "))
            sampling:
              fps: 4
            """)
        try serve.writePipeline("clip.yaml", "source:\n  uri: \(clip)\nsampling:\n  every: 2\n")
        setenv("CAMERA_PASSWORD", "s3cret-pw", 1)
        defer { unsetenv("CAMERA_PASSWORD") }
        try serve.start()

        let ready = serve.waitForDatagram(containing: "READY=1", timeout: 120)
        #expect(ready != nil, "no READY=1; log:\n\(serve.log)")
        guard let ready else { return }
        #expect(serve.datagrams[ready].contains("STATUS="))
        #expect(serve.waitForDatagram(containing: "WATCHDOG=1", after: ready, timeout: 10) != nil)

        let cameraAKey = "lobby rtsp://***@127.0.0.1:\(cameraA.port)/test"
        let cameraBKey = "yard \(cameraB.url)"
        let clipKey = "clip \(clip)"
        let flowing = try serve.eventually(90) {
            let streams = try serve.streams()
            return streams[cameraAKey]?.state == "running" && streams[cameraAKey]!.counter("labeled") > 0
                && streams[clipKey]?.state == "completed"
        }
        #expect(flowing, "log:\n\(serve.log)")
        #expect(try serve.streams()[clipKey]?.counter("labeled") == 15)

        // SIGHUP adds a camera and a broken file; a second SIGHUP right after changes nothing more.
        try serve.writePipeline("yard.yaml", "source:\n  uri: \(cameraB.url)\n  \(liveOptions.replacingOccurrences(of: "\n    ", with: "\n  "))\nsampling:\n  fps: 4\n")
        try serve.writePipeline("broken.yaml", "source:\n  uri: x.mp4\nsampling:\n  every: zero\n")
        let beforeReload = serve.datagrams.count
        serve.signal(SIGHUP)
        serve.signal(SIGHUP)
        let reloading = serve.waitForDatagram(containing: "RELOADING=1", after: beforeReload, timeout: 10)
        #expect(reloading != nil)
        if let reloading {
            #expect(serve.datagrams[reloading].contains("MONOTONIC_USEC="))
            #expect(serve.waitForDatagram(containing: "READY=1", after: reloading, timeout: 30) != nil)
        }
        let bothRunning = try serve.eventually(60) {
            let streams = try serve.streams()
            return streams[cameraBKey]?.state == "running" && streams[cameraBKey]!.counter("labeled") > 0
        }
        #expect(bothRunning, "log:\n\(serve.log)")
        #expect(try serve.streams().count == 3, "one pipeline per file, none twice")
        #expect(serve.log.contains("broken.yaml:4: sampling.every: expected a whole number"))

        // HTTP: health is open, everything else needs the token; metrics carry {pipeline, input}.
        #expect(try serve.get("/healthz", authorized: false).status == 200)
        #expect(try serve.get("/metrics", authorized: false).status == 401)
        #expect(try serve.get("/api/streams", authorized: false).status == 401)
        #expect(try serve.get("/readyz", authorized: false).status == 401)
        let metrics = try serve.get("/metrics")
        #expect(metrics.status == 200)
        let upB = "framewise_input_up{pipeline=\"yard\",input=\"\(cameraB.url)\"}"
        #expect((metricValue(metrics.body, "framewise_frames_labeled_total{pipeline=\"lobby\",input=\"rtsp://***@127.0.0.1:\(cameraA.port)/test\"}") ?? 0) > 0)
        #expect(metricValue(metrics.body, "framewise_frames_labeled_total{pipeline=\"clip\",input=\"\(clip)\"}") == 15)
        #expect(metricValue(metrics.body, upB) == 1)
        #expect((metricValue(metrics.body, "framewise_inference_seconds_count") ?? 0) >= 15)
        #expect(metrics.body.contains("framewise_build_info{version="))
        #expect(metrics.body.contains("framewise_db_commit_seconds_bucket"))
        // Freshness: every stored camera frame's age (arrival at the demuxer to storing), per camera; files have none.
        let agesOfA = "framewise_frame_age_seconds_count{pipeline=\"lobby\",input=\"rtsp://***@127.0.0.1:\(cameraA.port)/test\"}"
        #expect((metricValue(metrics.body, agesOfA) ?? 0) > 0, "\(metrics.body)")
        #expect(!metrics.body.contains("framewise_frame_age_seconds_count{pipeline=\"clip\""))
        let latestAge = try serve.streams()[cameraAKey]?["latest_frame_age_seconds"] as? Double
        #expect(latestAge.map { $0 >= 0 && $0 < 5 } == true, "latest age \(String(describing: latestAge))")
        #expect(try serve.streams()[clipKey]?["latest_frame_age_seconds"] == nil)
        #expect(metricValue(metrics.body, "framewise_frames_dropped_total{pipeline=\"yard\",input=\"\(cameraB.url)\",reason=\"store\"}") == 0)
        #expect(try serve.get("/readyz").status == 200)

        // Camera B dies: not ready (naming it), input_up 0, camera A unaffected; a reload meanwhile changes nothing;
        // B returns: ready again, input_up 1.
        cameraB.kill()
        let unready = try serve.eventually(20) {
            let (status, body) = try serve.get("/readyz")
            return status == 503 && body.contains(cameraB.url)
        }
        #expect(unready)
        #expect(metricValue(try serve.get("/metrics").body, upB) == 0)
        let labelledA = try serve.streams()[cameraAKey]?.counter("labeled") ?? 0
        serve.signal(SIGHUP)
        #expect(try serve.eventually(20) { (try serve.streams()[cameraAKey]?.counter("labeled") ?? 0) > labelledA + 4 },
                "camera A goes on while B is down")
        #expect(try serve.streams().count == 3)
        try cameraB.start()
        let readyAgain = try serve.eventually(40) { try serve.get("/readyz").status == 200 }
        #expect(readyAgain, "log:\n\(serve.log)")
        #expect(metricValue(try serve.get("/metrics").body, upB) == 1)
        // B's outage stays as its last error, with the time it happened: before now, so readers see it is old.
        let streamB = try serve.streams()[cameraBKey] ?? [:]
        #expect(streamB["last_error"] is String)
        let errorAt = (streamB["last_error_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
        #expect(errorAt.map { $0 <= Date() && $0 > Date().addingTimeInterval(-120) } == true, "\(streamB)")

        // The yard's file goes: after a reload its series go from /metrics, its frame ages too; the lobby's stay.
        #expect(metricValue(try serve.get("/metrics").body, "framewise_frame_age_seconds_count{pipeline=\"yard\",input=\"\(cameraB.url)\"}") != nil)
        try FileManager.default.removeItem(atPath: serve.pipelines + "/yard.yaml")
        serve.signal(SIGHUP)
        let yardGone = try serve.eventually(30) {
            let body = try serve.get("/metrics").body
            return !body.contains("pipeline=\"yard\"") && body.contains(agesOfA)
        }
        #expect(yardGone, "\((try? serve.get("/metrics").body) ?? "")")

        // SIGTERM (with a SIGHUP during the shutdown): STOPPING=1, exit 0 well within 15 s, every run accounted for.
        let beforeStop = serve.datagrams.count
        serve.signal(SIGTERM)
        usleep(100_000)
        serve.signal(SIGHUP)
        #expect(serve.exitStatus(within: 15) == 0, "log:\n\(serve.log)")
        #expect(serve.waitForDatagram(containing: "STOPPING=1", after: beforeStop, timeout: 2) != nil)
        try expectEveryRunAccountedFor(serve.database)
        let framesOfA = "SELECT count(*) AS n, count(DISTINCT frame_index) AS distinct_indices, max(frame_index) AS last FROM frames JOIN sources ON sources.id = source_id WHERE uri LIKE '%:\(cameraA.port)/test'"
        let before = try queryFramewise(serve.database, framesOfA).first ?? [:]

        // A restart goes on storing the camera's frames, after the ones stored (no index twice); the file is not redone.
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", after: serve.datagrams.count, timeout: 120) != nil)
        #expect(try serve.eventually(60) { (try serve.streams()[cameraAKey]?.counter("labeled") ?? 0) > 3 })
        #expect(try serve.streams()[clipKey]?.counter("labeled") == 0)
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
        let after = try queryFramewise(serve.database, framesOfA).first ?? [:]
        #expect((after["n"] as? Int ?? 0) > (before["n"] as? Int ?? 0))
        #expect(after["n"] as? Int == after["distinct_indices"] as? Int)
        #expect((after["last"] as? Int ?? 0) > (before["last"] as? Int ?? 0))
        try expectEveryRunAccountedFor(serve.database)

        // The password is nowhere: not in the log, the metrics, the streams API or the database.
        let databaseText = try String(decoding: Data(contentsOf: URL(fileURLWithPath: serve.database)), as: UTF8.self)
        for text in [serve.log, metrics.body, databaseText, serve.datagrams.joined()] {
            #expect(!text.contains("s3cret-pw"))
        }
    }

    private func expectEveryRunAccountedFor(_ database: String) throws {
        let runs = try queryFramewise(database, "SELECT status, frames_sampled, frames_labeled, frames_dropped, frames_skipped FROM runs")
        #expect(!runs.isEmpty)
        for run in runs {
            #expect(run["status"] as? String != "running")
            let sampled = run["frames_sampled"] as? Int ?? -1
            let accounted = (run["frames_labeled"] as? Int ?? 0) + (run["frames_dropped"] as? Int ?? 0) + (run["frames_skipped"] as? Int ?? 0)
            #expect(sampled == accounted, "\(run)")
        }
    }

    @Test("an invalid configuration or a missing model: one line naming the file, exit 1, never READY")
    func invalidStart() throws {
        let serve = try ServeHarness(extraConfiguration: "workerz: 3")
        try serve.start()
        #expect(serve.exitStatus(within: 30) == 1)
        let lines = serve.log.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("error: \(serve.configurationFile):7: workerz: unknown key") == true)
        #expect(!serve.datagrams.contains { $0.contains("READY=1") })

        let noModel = try ServeHarness()
        try String(contentsOfFile: noModel.configurationFile, encoding: .utf8)
            .replacingOccurrences(of: TestData.modelDirectory.path, with: noModel.directory.path("no-model"))
            .write(toFile: noModel.configurationFile, atomically: true, encoding: .utf8)
        try noModel.start()
        #expect(noModel.exitStatus(within: 30) == 1)
        #expect(noModel.log.contains("no-model does not exist"))
        #expect(!noModel.datagrams.contains { $0.contains("READY=1") })
    }

    @Test("a database on a full disk: frames dropped and counted as store, not ready, and writing resumes by itself",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullDisk() throws {
        let mountPoint = try TemporaryDirectory(prefix: "framewise-tmpfs")
        try runCommand(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint.url.path])
        defer { _ = try? runCommand(URL(fileURLWithPath: "/bin/umount"), ["-l", mountPoint.url.path], mustSucceed: false) }
        let camera = try RTSPServer(framesPerSecond: 10)
        let serve = try ServeHarness(databasePath: mountPoint.path("framewise.sqlite"))
        try serve.writePipeline("camera.yaml", "source:\n  uri: \(camera.url)\nsampling:\n  fps: 5\n")
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let key = "camera \(camera.url)"
        #expect(try serve.eventually(60) { (try serve.streams()[key]?.counter("labeled") ?? 0) > 5 })

        // Fill the file system.
        let filler = mountPoint.path("filler")
        _ = try runCommand(URL(fileURLWithPath: "/bin/dd"), ["if=/dev/zero", "of=\(filler)", "bs=64k"], mustSucceed: false)
        let refused = try serve.eventually(60) {
            (try serve.streams()[key]?.counter("dropped_by_store") ?? 0) > 0
        }
        #expect(refused, "log:\n\(serve.log)")
        let readiness = try serve.get("/readyz")
        #expect(readiness.status == 503)
        #expect(readiness.body.contains("the database refuses writes"))
        let metrics = try serve.get("/metrics").body
        #expect((metricValue(metrics, "framewise_frames_dropped_total{pipeline=\"camera\",input=\"\(camera.url)\",reason=\"store\"}") ?? 0) > 0)

        // Free it: writing resumes without help.
        try FileManager.default.removeItem(atPath: filler)
        let labelledAtRecovery = try serve.streams()[key]?.counter("labeled") ?? 0
        let resumed = try serve.eventually(60) {
            let labelled = try serve.streams()[key]?.counter("labeled") ?? 0
            return try labelled > labelledAtRecovery + 3 && serve.get("/readyz").status == 200
        }
        #expect(resumed, "log:\n\(serve.log)")

        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0)
        let check = try runFramewise(["query", "--db", mountPoint.path("framewise.sqlite"), "--format", "csv", "PRAGMA integrity_check"])
        #expect(check.stdout.contains("ok"))
        let stored = try queryFramewise(mountPoint.path("framewise.sqlite"), "SELECT count(*) AS n FROM frames")
        #expect((stored.first?["n"] as? Int ?? 0) > labelledAtRecovery)
    }
}

/// The value of one Prometheus sample line (`NAME{LABELS} VALUE`).
func metricValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
