package import Foundation
import Glibc

/// Tells systemd how the daemon is doing (the sd_notify protocol) with one datagram per call over the Unix
/// socket named by `$NOTIFY_SOCKET`, without libsystemd. Without that variable (not started by systemd, or not
/// as `Type=notify`) every call does nothing. Also reads the watchdog's ping interval from the environment.
package struct SystemdNotifier: Sendable {
    /// Where datagrams go; nil when `$NOTIFY_SOCKET` is absent.
    package let socket: NotifySocketAddress?
    /// How often to send `.watchdog` (`$WATCHDOG_USEC` / 2); nil when systemd watches no watchdog for this process.
    package let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` (which must be `processID` if set).
    package init(environment: [String: String] = ProcessInfo.processInfo.environment,
                processID: pid_t = getpid()) throws(SystemdNotifierError) {
        socket = try environment["NOTIFY_SOCKET"].map { value throws(SystemdNotifierError) in
            try NotifySocketAddress(value)
        }
        watchdogInterval = socket == nil ? nil : try WatchdogInterval.from(environment: environment, processID: processID)
    }

    /// Whether notifications go anywhere.
    package var isEnabled: Bool { socket != nil }

    /// Sends `fields` as one datagram (so `READY=1` and its `STATUS=` arrive together). Never blocks: when
    /// systemd's queue is full the call fails with EAGAIN.
    package func send(_ fields: NotifyField...) throws(SystemdNotifierError) {
        try send(fields)
    }

    /// Sends `fields` as one datagram.
    package func send(_ fields: [NotifyField]) throws(SystemdNotifierError) {
        guard let socket, !fields.isEmpty else { return }
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .sendFailed(socket, errno: errno) }
        defer { close(descriptor) }
        let datagram = Array(NotifyField.datagram(fields).utf8)
        let sent = socket.withSocketAddress { address, length in
            datagram.withUnsafeBytes { bytes in
                sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), address, length)
            }
        }
        guard sent == datagram.count else { throw .sendFailed(socket, errno: sent < 0 ? errno : EMSGSIZE) }
    }
}
