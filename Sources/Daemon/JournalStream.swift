import Foundation
// struct stat and timespec come from Glibc, but within this module the compiler counts them as CDispatch's
// (whose headers include them first): MemberImportVisibility then wants that module named.
import CDispatch
import Glibc
package import Logging

/// Whether standard error is the journal's stream: systemd sets `$JOURNAL_STREAM` to `DEVICE:INODE` of the stream
/// it connected, and the variable counts only while the descriptor still is that stream (a child that inherited the
/// variable but had its standard error redirected is not talking to the journal).
package enum JournalStream {
    package static func isConnected(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   fileDescriptor: Int32 = STDERR_FILENO) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// Log handlers for a daemon: `JournalLogHandler` on standard error when it is the journal's stream, else
    /// swift-log's `StreamLogHandler` on standard error (timestamped lines for a terminal or a file).
    package static func makeLogHandler(label: String,
                                      environment: [String: String] = ProcessInfo.processInfo.environment) -> any LogHandler {
        isConnected(environment: environment) ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
    }
}
