import Glibc
package import Logging
import Foundation

/// A swift-log handler for a service whose standard error goes to the systemd journal: one line per event,
/// `<priority>label: message key=value …`, where the syslog priority prefix (`<3>` error … `<7>` debug) tells
/// the journal the event's level and there is no timestamp (the journal stamps each line itself). Metadata
/// follows the message sorted by key; newlines inside become `\n`, so an event never spans two journal entries.
/// Each line is written with one write(2), so lines from several threads never interleave.
package struct JournalLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    package var logLevel: Logger.Level = .info
    private let label: String
    private let fileDescriptor: Int32

    /// Writes to `fileDescriptor` (standard error by default), which it does not own.
    package init(label: String, fileDescriptor: Int32 = STDERR_FILENO,
                metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        merged.merge(metadataProvider?.get() ?? [:]) { _, provided in provided }
        merged.merge(event.metadata ?? [:]) { _, explicit in explicit }
        if let error = event.error { merged["error"] = "\(error)" }
        write(line(level: event.level, message: event.message.description, metadata: merged))
    }

    /// The syslog priority the journal files an event of `level` under.
    package static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "<\(Self.priority(of: level))>"
        if !label.isEmpty { line += label + ": " }
        line += Self.singleLine(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " " + Self.singleLine(key) + "=" + Self.quotedIfNeeded(Self.singleLine("\(value)"))
        }
        return line + "\n"
    }

    private static func singleLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\r", with: "\\r")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A value with a space, a quote or nothing at all is quoted, so `key=value` pairs stay apart.
    private static func quotedIfNeeded(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "\t" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private func write(_ line: String) {
        var bytes = Array(line.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }  // nowhere left to report a failing log stream
            bytes = bytes.dropFirst(written)
        }
    }
}
