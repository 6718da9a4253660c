import Foundation
import FramewiseTestSupport
import Glibc
import Testing

/// `framewise serve` as systemd runs it: the real binary, a notify socket owned by the test, two RTSP cameras
/// (one with a password) and a file, HTTP through curl, real signals.
@Suite(.serialized) struct ServeTests {
    @Test("two cameras and a file: READY, watchdog, metrics, streams, readiness, reload, and a clean stop")
    func camerasAndAFile() throws {
        let cameraA = try RTSPServer(credentials: ("viewer", "s3cret-pw"), framesPerSecond: 10)
        let cameraB = try RTSPServer(framesPerSecond: 10)
        let serve = try ServeHarness()
        let clip = serve.directory.path("clip.mp4")
        try makeClip(clip, ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=3", "-pix_fmt", "yuv420p"])
        let cameraAURL = "rtsp://viewer:${CAMERA_PASSWORD}@127.0.0.1:\(cameraA.port)/test"
        try serve.writePipeline("cameras.yaml", """
            sources:
              - uri: "\(cameraAURL)"
                timeouts: {stall: 2}
                reconnect: {initial_delay: 0.5, max_delay: 1}
              - uri: \(cameraB.url)
                timeouts: {stall: 2}
                reconnect: {initial_delay: 0.5, max_delay: 1}
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

        let cameraAKey = "cameras rtsp://***@127.0.0.1:\(cameraA.port)/test"
        let cameraBKey = "cameras \(cameraB.url)"
        let clipKey = "clip \(clip)"
        let flowing = try serve.eventually(90) {
            let streams = try serve.streams()
            return streams[cameraAKey]?.state == "running" && streams[cameraAKey]!.counter("labeled") > 0
                && streams[cameraBKey]?.state == "running" && streams[cameraBKey]!.counter("labeled") > 0
                && streams[clipKey]?.state == "completed"
        }
        #expect(flowing, "log:\n\(serve.log)")
        #expect(try serve.streams()[clipKey]?.counter("labeled") == 15)

        // HTTP: health is open, everything else needs the token; metrics carry {pipeline, input}.
        #expect(try serve.get("/healthz", authorized: false).status == 200)
        #expect(try serve.get("/metrics", authorized: false).status == 401)
        #expect(try serve.get("/api/streams", authorized: false).status == 401)
        let metrics = try serve.get("/metrics")
        #expect(metrics.status == 200)
        let labelledA = metricValue(metrics.body, "framewise_frames_labeled_total{pipeline=\"cameras\",input=\"rtsp://***@127.0.0.1:\(cameraA.port)/test\"}")
        #expect((labelledA ?? 0) > 0)
        #expect(metricValue(metrics.body, "framewise_frames_labeled_total{pipeline=\"clip\",input=\"\(clip)\"}") == 15)
        #expect(metricValue(metrics.body, "framewise_input_up{pipeline=\"cameras\",input=\"\(cameraB.url)\"}") == 1)
        #expect((metricValue(metrics.body, "framewise_inference_seconds_count") ?? 0) >= 15)
        #expect(metrics.body.contains("framewise_build_info{version="))
        #expect(metrics.body.contains("framewise_db_commit_seconds_bucket"))
        #expect(metrics.body.contains("framewise_frames_dropped_total{pipeline=\"cameras\",input=\"\(cameraB.url)\",reason=\"store\"} 0"))
        #expect(try serve.get("/readyz").status == 200)

        // A camera that dies makes the daemon unready, naming it; when it returns, the daemon is ready again.
        cameraB.kill()
        let unready = try serve.eventually(20) {
            let (status, body) = try serve.get("/readyz")
            return status == 503 && body.contains(cameraB.url)
        }
        #expect(unready)
        try cameraB.start()
        let readyAgain = try serve.eventually(40) { try serve.get("/readyz").status == 200 }
        #expect(readyAgain, "log:\n\(serve.log)")

        // Reload: the file's pipeline removed, an invalid file reported and not started, the cameras untouched.
        let labelledBefore = try serve.streams()[cameraAKey]?.counter("labeled") ?? 0
        try FileManager.default.removeItem(atPath: serve.pipelines + "/clip.yaml")
        try serve.writePipeline("broken.yaml", "source:\n  uri: x.mp4\nsampling:\n  every: zero\n")
        let beforeReload = serve.datagrams.count
        serve.signal(SIGHUP)
        let reloading = serve.waitForDatagram(containing: "RELOADING=1", after: beforeReload, timeout: 10)
        #expect(reloading != nil)
        if let reloading {
            #expect(serve.datagrams[reloading].contains("MONOTONIC_USEC="))
            #expect(serve.waitForDatagram(containing: "READY=1", after: reloading, timeout: 30) != nil)
        }
        let streams = try serve.streams()
        #expect(streams[clipKey] == nil)
        #expect(streams.count == 2)
        #expect((streams[cameraAKey]?.counter("labeled") ?? 0) >= labelledBefore, "the camera's counters went on")
        #expect(serve.log.contains("broken.yaml:4: sampling.every: expected a whole number"))

        // SIGTERM: STOPPING=1, exit 0 well within 15 s, every run recorded and accounted for.
        let beforeStop = serve.datagrams.count
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 15) == 0, "log:\n\(serve.log)")
        #expect(serve.waitForDatagram(containing: "STOPPING=1", after: beforeStop, timeout: 2) != nil)
        let runs = try queryFramewise(serve.database, "SELECT status, live, frames_sampled, frames_labeled, frames_dropped, frames_skipped FROM runs")
        #expect(runs.count >= 3)
        for run in runs {
            #expect(run["status"] as? String != "running")
            let sampled = run["frames_sampled"] as? Int ?? -1
            let accounted = (run["frames_labeled"] as? Int ?? 0) + (run["frames_dropped"] as? Int ?? 0) + (run["frames_skipped"] as? Int ?? 0)
            #expect(sampled == accounted, "\(run)")
        }
        // The password is nowhere: not in the log, the metrics, the streams API or the database.
        let databaseText = try String(decoding: Data(contentsOf: URL(fileURLWithPath: serve.database)), as: UTF8.self)
        for text in [serve.log, metrics.body, databaseText, serve.datagrams.joined()] {
            #expect(!text.contains("s3cret-pw"))
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
