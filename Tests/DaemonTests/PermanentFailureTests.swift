import Foundation
import FramewiseTestSupport
import Glibc
import Testing

/// A failure that trying again cannot mend is not retried like a network blip: a camera that refuses the
/// password is logged into once, shown `failed` with the reason, and tried again at a reload (cameras lock
/// accounts after a few failed logins; the transient backoff would try 7 times a minute).
@Suite(.serialized) struct PermanentFailureTests {
    @Test("a camera that refuses the password: failed with the reason, one login, another only at the reload")
    func aRefusedPasswordIsNotRetriedLikeANetworkError() throws {
        let camera = try RTSPServer(credentials: ("viewer", "right-pw"), framesPerSecond: 10)
        let serve = try ServeHarness()
        try serve.writePipeline("door.yaml", """
            source:
              uri: "rtsp://viewer:wrong-pw@127.0.0.1:\(camera.port)/test"
              reconnect: {initial_delay: 0.5, max_delay: 1}
            sampling:
              fps: 2
            """)
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        let key = "door rtsp://***@127.0.0.1:\(camera.port)/test"
        let failed = try serve.eventually(30) { try serve.streams()[key]?.state == "failed" }
        #expect(failed, "log:\n\(serve.log)")
        let stream = try serve.streams()[key]
        #expect((stream?["last_error"] as? String)?.contains("authentication failed") == true)
        // Readers are told when it comes: the permanent failure's delay after the failure.
        let date = { (field: String) in (stream?[field] as? String).flatMap { try? Date($0, strategy: .iso8601) } }
        let wait = date("next_attempt_at").flatMap { next in date("last_error_at").map { next.timeIntervalSince($0) } }
        #expect(wait.map { abs($0 - 600) < 5 } == true, "\(String(describing: stream))")
        #expect(try serve.get("/").body.contains("next attempt at"))

        // With the transient backoff (0.5 s, then 1 s) this would be ~8 more attempts.
        Thread.sleep(forTimeInterval: 8)
        let attempts = { serve.log.components(separatedBy: "cannot open the input").count - 1 }
        #expect(attempts() == 1, "log:\n\(serve.log)")
        #expect(serve.log.contains("permanent=true"))

        // A reload (the file unchanged) tries once more, at once.
        serve.signal(SIGHUP)
        let retried = serve.eventually(20) { attempts() == 2 }
        #expect(retried, "log:\n\(serve.log)")
        let page = try serve.get("/api/streams").body
        #expect(!serve.log.contains("wrong-pw") && !page.contains("wrong-pw"))

        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 30) == 0)
    }
}
