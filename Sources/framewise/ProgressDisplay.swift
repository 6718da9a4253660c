import Foundation
import Pipeline

/// Shows a run's progress on standard error: a line redrawn in place on a terminal, a periodic status line
/// otherwise, nothing with `--quiet`.
final class ProgressDisplay: @unchecked Sendable {
    private let inputs: [String]
    private let quiet: Bool
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private let lock = NSLock()
    private var lineIsOpen = false

    init(inputs: [String], quiet: Bool) {
        self.inputs = inputs
        self.quiet = quiet
    }

    /// Seconds between updates: twice a second on a terminal, every ten seconds in a log.
    var interval: TimeInterval { isTerminal ? 0.5 : 10 }

    func show(_ progress: [InputProgress]) {
        guard !quiet else { return }
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let labeled = progress.reduce(0) { $0 + $1.labeled }
        let dropped = progress.reduce(0) { $0 + $1.dropped }
        let skipped = progress.reduce(0) { $0 + $1.skipped }
        let latest = progress.map(\.latestPts).max() ?? 0
        let rate = (Double(labeled) / elapsed).formatted(.number.precision(.fractionLength(1)))
        var line = "\(labeled) frames labelled, \(rate) frames/s, at \(RunSummary.clock(latest))"
        if dropped > 0 { line += ", \(dropped) dropped" }
        if skipped > 0 { line += ", \(skipped) already stored" }
        write(line)
    }

    /// A message between progress lines.
    func note(_ message: String) {
        guard !quiet else { return }
        lock.withLock {
            closeLineLocked()
            FileHandle.standardError.write(Data("\(message)\n".utf8))
        }
    }

    /// Ends the progress line before the summary.
    func finish() {
        lock.withLock { closeLineLocked() }
    }

    private func write(_ line: String) {
        lock.withLock {
            if isTerminal {
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
                lineIsOpen = true
            } else {
                FileHandle.standardError.write(Data("\(line)\n".utf8))
            }
        }
    }

    private func closeLineLocked() {
        if lineIsOpen {
            FileHandle.standardError.write(Data("\n".utf8))
            lineIsOpen = false
        }
    }
}
