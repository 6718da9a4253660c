import Foundation
import LabelStore
import Pipeline

/// Shows a run's progress on standard error: a line redrawn in place on a terminal, a periodic status line
/// otherwise, nothing with `--quiet`.
final class ProgressDisplay: @unchecked Sendable {
    private let quiet: Bool
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private let lock = NSLock()
    private var lineIsOpen = false

    init(quiet: Bool) {
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
        let durations = progress.compactMap(\.duration)
        if durations.count == progress.count, case let total = durations.reduce(0, +), total > 0 {
            let done = min(1, progress.reduce(0) { $0 + min($1.latestPts, $1.duration ?? 0) } / total)
            let width = 24
            let filled = Int((done * Double(width)).rounded(.down))
            let eta = done > 0.001 ? "ETA \(RunSummary.clock(elapsed * (1 - done) / done))" : "ETA --"
            line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
                + "\(Int(done * 100))% " + line + ", " + eta
        }
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
