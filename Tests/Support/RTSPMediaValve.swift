import Foundation
import Synchronization

/// A proxy in front of an `RTSPServer` (`Fixtures/rtsp_media_valve.py`) whose media can be shut off while the
/// server still answers RTSP, like a camera whose encoder hangs: every connection opens, then no frame comes.
/// For clients on RTSP over TCP. Killed on deinit.
package final class RTSPMediaValve: Sendable {
    /// The proxied stream's address.
    package let url: String
    private let process: Process

    /// Starts the proxy to the server on 127.0.0.1:`targetPort` and returns once it listens.
    package init(forwardingTo targetPort: Int, path: String = "test") throws {
        let port = try unusedPort()
        url = "rtsp://127.0.0.1:\(port)/\(path)"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rtsp_media_valve.py")
        process = try startFixture([script.path, String(port), String(targetPort)])
    }

    /// Drops the media of every connection, open or new, from now on (RTSP requests still get their answers).
    package func shut() { kill(process.processIdentifier, SIGUSR1) }

    /// Lets the media through again.
    package func open() { kill(process.processIdentifier, SIGUSR2) }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
