import Daemon
import Glibc

/// The test's end of `$NOTIFY_SOCKET`: a real Unix datagram socket bound to a path or an abstract name, as
/// systemd's is. Every read waits at most `timeout` seconds, so a missing datagram fails the test, never hangs it.
final class DatagramReceiver {
    /// The value to put in `NOTIFY_SOCKET`.
    let notifySocket: String
    private let descriptor: Int32

    /// Binds a socket at `path`, or at the abstract `name` (without the `@`).
    init(path: String? = nil, abstractName: String? = nil, timeout: Int = 5) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ReceiverError("socket", errno) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))

        // Built byte by byte here rather than with the module's NotifySocketAddress, so the test checks it.
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8]
        if let path {
            bytes = Array(path.utf8)
            notifySocket = path
        } else {
            bytes = [0] + Array((abstractName ?? "").utf8)
            notifySocket = "@" + (abstractName ?? "")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            for (offset, byte) in bytes.enumerated() { sunPath[offset] = byte }
        }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (path == nil ? 0 : 1)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(length)) }
        }
        guard bound == 0 else { defer { close(descriptor) }; throw ReceiverError("bind \(notifySocket)", errno) }
    }

    deinit { close(descriptor) }

    /// The next datagram's text, or nil when none arrives in time (or, with `waiting: false`, none is there yet).
    func receive(waiting: Bool = true) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let flags = waiting ? Int32(0) : Int32(MSG_DONTWAIT)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, flags) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}

struct ReceiverError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String, _ code: Int32) { description = "\(what): \(String(cString: strerror(code)))" }
}
