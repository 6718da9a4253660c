// struct stat and timespec come from Glibc, but within this module the compiler counts them as CDispatch's
// (whose headers include them first): MemberImportVisibility then wants that module named.
import CDispatch
import Glibc

/// One assignment of an sd_notify datagram (`READY=1`, `STATUS=…`); a datagram is several joined by newlines.
package enum NotifyField: Sendable, Equatable {
    /// Start-up (or a reload) is finished: `READY=1`.
    case ready
    /// A reload begins: `RELOADING=1` with `MONOTONIC_USEC=` (CLOCK_MONOTONIC, in µs) of when it began.
    case reloading(monotonicMicroseconds: UInt64)
    /// Shutdown begins: `STOPPING=1`.
    case stopping
    /// The service is alive: `WATCHDOG=1`.
    case watchdog
    /// A line for a person (`systemctl status`): `STATUS=…`; newlines become spaces.
    case status(String)
    /// Start-up needs longer than systemd's start timeout: `EXTEND_TIMEOUT_USEC=` (from now on).
    case extendTimeout(microseconds: UInt64)

    /// `.reloading` stamped with the monotonic clock's current reading.
    package static func reloadingNow() -> NotifyField { .reloading(monotonicMicroseconds: monotonicMicroseconds()) }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares `MONOTONIC_USEC=` with.
    package static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// The datagram's text for these fields, in order.
    package static func datagram(_ fields: [NotifyField]) -> String {
        fields.flatMap(\.assignments).joined(separator: "\n")
    }

    private var assignments: [String] {
        switch self {
        case .ready: ["READY=1"]
        case .reloading(let microseconds): ["RELOADING=1", "MONOTONIC_USEC=\(microseconds)"]
        case .stopping: ["STOPPING=1"]
        case .watchdog: ["WATCHDOG=1"]
        case .status(let text): ["STATUS=" + text.split(whereSeparator: \.isNewline).joined(separator: " ")]
        case .extendTimeout(let microseconds): ["EXTEND_TIMEOUT_USEC=\(microseconds)"]
        }
    }
}
