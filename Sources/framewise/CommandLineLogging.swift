import Logging

/// Loggers of the command line: to standard error, `info` and up (`warning` and up with `--quiet`).
/// Input URLs reach log lines only in their redacted form (`InputLocation.description`).
enum CommandLineLogging {
    static func logger(label: String, quiet: Bool) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = quiet ? .warning : .info
        return logger
    }
}
