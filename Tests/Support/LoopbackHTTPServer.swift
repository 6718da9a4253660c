package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain HTTP server on 127.0.0.1 and a free port, serving one directory without range support
/// (`Fixtures/http_file_server.py`); stopped by `stop()`. With `cutFirstResponseAfter` the first download of
/// each file breaks after that many bytes, like a connection that drops in the middle; with `cutEveryResponse`
/// every download of it breaks there.
package final class LoopbackHTTPServer {
    private let server: ChildProcess
    package let port: Int

    package init(serving root: String, cutFirstResponseAfter cut: Int? = nil, cutEveryResponse: Bool = false) throws {
        port = try unusedPort()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/http_file_server.py")
        server = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", script.path, "--port", "\(port)", "--directory", root]
                                      + (cut.map { ["--cut-after", "\($0)"] } ?? []) + (cutEveryResponse ? ["--cut-every"] : []))
        guard server.poll(every: 0.05, for: 10, until: { Self.acceptsConnections(port: port) }) else {
            stop()
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "http_file_server.py did not start"])
        }
    }

    package func url(_ file: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(file)")! }

    package func stop() {
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
