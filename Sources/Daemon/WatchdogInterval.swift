import Glibc

/// How often the daemon must send `WATCHDOG=1`: half of `$WATCHDOG_USEC` (as sd_watchdog_enabled advises),
/// provided `$WATCHDOG_PID` is absent or names this process (else the watchdog is meant for another one).
enum WatchdogInterval {
    static func from(environment: [String: String], processID: pid_t) throws(SystemdNotifierError) -> Duration? {
        guard let value = environment["WATCHDOG_USEC"] else { return nil }
        guard let microseconds = UInt64(value), microseconds > 0 else {
            throw .invalidVariable("WATCHDOG_USEC", value, reason: "not a positive number of microseconds")
        }
        if let pidValue = environment["WATCHDOG_PID"] {
            guard let pid = pid_t(pidValue), pid > 0 else {
                throw .invalidVariable("WATCHDOG_PID", pidValue, reason: "not a process id")
            }
            guard pid == processID else { return nil }
        }
        return .microseconds(microseconds / 2)
    }
}
