import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `python3 -m http.server` on 127.0.0.1 and a free port, serving one directory; stopped by `stop()`.
public final class LoopbackHTTPServer {
    private let server: ChildProcess
    public let port: Int

    public init(serving root: String) throws {
        port = try unusedPort()
        server = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port)", "--directory", root])
        guard server.poll(every: 0.05, for: 10, until: { Self.acceptsConnections(port: port) }) else {
            stop()
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "python3 -m http.server did not start"])
        }
    }

    public func url(_ file: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(file)")! }

    public func stop() {
        server.signal(SIGKILL)  // children of test threads may inherit a blocked SIGTERM
        _ = server.wait()
    }

    private static func acceptsConnections(port: Int) -> Bool {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
