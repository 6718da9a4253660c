import Foundation
import Synchronization

/// A free TCP port on the loopback interface: bound, then released (another process could take it in between).
package func unusedPort() throws -> Int {
    try SilentListener().port
}

/// A TCP listener on 127.0.0.1 that never sends a byte: the kernel completes the handshake from its backlog and
/// nobody ever answers, like a camera that hangs. Closed on deinit.
package final class SilentListener: Sendable {
    /// The port it listens on.
    package let port: Int
    private let descriptor: Int32

    package init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 8) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard listening else {
            let error = POSIXError(.init(rawValue: errno) ?? .EIO)
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// GStreamer's RTSP server (`Fixtures/rtsp_server.py`) in a child process: a live H.264 test pattern at `url`,
/// which a test can kill, restart and pause like a real camera. Killed on deinit.
package final class RTSPServer: Sendable {
    /// The TCP port on 127.0.0.1; a restart listens on the same one.
    package let port: Int
    private let arguments: [String]
    private let process = Mutex<Process?>(nil)

    /// Starts the server and returns once it listens.
    /// - Parameters:
    ///   - port: the port to listen on; by default an unused one.
    ///   - credentials: when given, the stream requires this user and password (HTTP basic authentication).
    ///   - framesPerSecond: the stream's frame rate (a keyframe comes every second).
    ///   - width: the frame width in pixels.
    ///   - height: the frame height in pixels.
    ///   - file: an H.264 MP4 to serve instead of the test pattern (each client from its start, in real time).
    package init(port: Int? = nil, credentials: (user: String, password: String)? = nil, framesPerSecond: Int = 25,
                width: Int = 320, height: Int = 240, file: String? = nil) throws
    {
        self.port = try port ?? unusedPort()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/rtsp_server.py")
        arguments = [script.path, String(self.port)] + (credentials.map { [$0.user, $0.password] } ?? [])
            + ["--fps", String(framesPerSecond), "--size", "\(width)x\(height)"] + (file.map { ["--file", $0] } ?? [])
        try start()
    }

    /// The stream's address (without credentials).
    package var url: String { "rtsp://127.0.0.1:\(port)/test" }

    /// Starts the server again after `kill()`, and returns once it listens.
    package func start() throws {
        let process = try startFixture(arguments)
        self.process.withLock { $0 = process }
    }

    /// Sends a signal to the running server (nothing when it is not running): `SIGSTOP` freezes the stream
    /// without closing its connections, `SIGCONT` lets it go on.
    package func signal(_ number: Int32) {
        process.withLock { process in
            if let process { Glibc.kill(process.processIdentifier, number) }
        }
    }

    /// Kills the server the hard way (no RTSP teardown), as a crashing camera would, and waits for it to exit.
    package func kill() {
        guard let process = process.withLock({ $0.take() }) else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}

/// Starts a Python fixture script (`arguments`: its path, then its own) with the system's python3 (the one
/// with GStreamer's bindings) and returns once it has printed "ready".
func startFixture(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    guard line.hasPrefix("ready") else {
        process.terminate()
        process.waitUntilExit()
        let script = URL(fileURLWithPath: arguments.first ?? "").lastPathComponent
        throw CommandFailure(command: ([script] + arguments.dropFirst()).joined(separator: " "),
                             result: CommandResult(status: process.terminationStatus, stdout: line, stderr: ""))
    }
    return process
}
