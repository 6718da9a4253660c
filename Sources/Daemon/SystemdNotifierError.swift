import Glibc

/// Why systemd's notification environment cannot be used or a datagram was not sent; each reads as one line.
package enum SystemdNotifierError: Error, Equatable, CustomStringConvertible {
    case unsupportedNotifySocket(String, reason: String)
    case invalidVariable(String, String, reason: String)
    case sendFailed(NotifySocketAddress, errno: Int32)

    package var description: String {
        switch self {
        case .unsupportedNotifySocket(let value, let reason):
            "NOTIFY_SOCKET=\(value): \(reason)"
        case .invalidVariable(let name, let value, let reason):
            "\(name)=\(value): \(reason)"
        case .sendFailed(let address, let code):
            "cannot notify systemd over \(address): \(String(cString: strerror(code)))"
        }
    }
}
