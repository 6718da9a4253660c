import Glibc

/// Where `$NOTIFY_SOCKET` points: a Unix datagram socket by file-system path (`/run/systemd/notify`) or, with a
/// leading `@`, by name in Linux's abstract namespace (`@framewise-notify`). Other kinds (`vsock:`) are refused.
package struct NotifySocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// The two kinds of Unix socket address `$NOTIFY_SOCKET` may name.
    package enum Namespace: Sendable, Equatable {
        case fileSystem
        case abstract
    }

    package let namespace: Namespace
    /// The path, or the abstract name without its `@`.
    package let name: String

    /// Parses the value of `$NOTIFY_SOCKET`.
    package init(_ value: String) throws(SystemdNotifierError) {
        if value.hasPrefix("/") {
            namespace = .fileSystem
            name = value
        } else if value.hasPrefix("@"), value.count > 1 {
            namespace = .abstract
            name = String(value.dropFirst())
        } else {
            throw .unsupportedNotifySocket(value, reason: "not a Unix socket path or @name")
        }
        // Both forms spend one byte of sun_path on a NUL: a path's terminator, an abstract name's leading byte.
        guard name.utf8.count < Self.pathCapacity else {
            throw .unsupportedNotifySocket(value, reason: "longer than a Unix socket address holds (\(Self.pathCapacity - 1) bytes)")
        }
    }

    /// `$NOTIFY_SOCKET` as systemd wrote it.
    package var description: String { namespace == .abstract ? "@" + name : name }

    private static let pathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// Calls `body` with this address as a `sockaddr` and its exact length (an abstract name has no terminator,
    /// so its length counts the name's bytes only).
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        let start = namespace == .abstract ? 1 : 0  // sun_path is zeroed: the abstract name's leading NUL
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (offset, byte) in bytes.enumerated() { path[start + offset] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = pathOffset + start + bytes.count + (namespace == .fileSystem ? 1 : 0)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }
}
