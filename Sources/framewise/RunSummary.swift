import Foundation
import GoogLeNet
import LabelStore
import Pipeline

/// The summary `framewise run` prints at the end: each input's outcome and counts, its top labels, the
/// run's speed and where the answers are.
struct RunSummary {
    let reports: [InputReport]
    let elapsed: TimeInterval
    let databasePath: String
    let labels: ClassLabels

    func print() {
        var lines: [String] = []
        for report in reports {
            let counts = report.progress
            switch report.status {
            case .failed(let message):
                FileHandle.standardError.write(Data("error: \(message)\n".utf8))
                if counts.labeled == 0 { continue }
                lines.append("\(report.input): failed after \(counts.labeled) frames")
            case .interrupted:
                lines.append("\(report.input): interrupted")
            case .completed:
                lines.append("\(report.input): completed")
            }
            var detail = "  \(counts.decoded) frames decoded, \(counts.sampled) sampled, \(counts.labeled) labelled, "
                + "\(counts.dropped) dropped, \(counts.skipped) already stored (skipped)"
            if counts.reconnects > 0 { detail += ", \(counts.reconnects) reconnects" }
            if counts.corruptPackets > 0 { detail += ", \(counts.corruptPackets) damaged packets skipped" }
            lines.append(detail)
            let top = report.topClasses.prefix(5).map { "\(labels[$0.classIndex]) (\($0.frames))" }
            if !top.isEmpty { lines.append("  top labels: " + top.joined(separator: ", ")) }
        }
        let labeled = reports.reduce(0) { $0 + $1.progress.labeled }
        let seconds = elapsed.formatted(.number.precision(.fractionLength(1)))
        let rate = (Double(labeled) / max(elapsed, 0.001)).formatted(.number.precision(.fractionLength(1)))
        lines.append("\(labeled) frames labelled in \(seconds) s (\(rate) frames/s); database: \(databasePath)")
        Swift.print(lines.joined(separator: "\n"))
    }

    /// Seconds as H:MM:SS.s.
    static func clock(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded(.down))
        let minutes = tenths / 600 % 60, hours = tenths / 36_000
        let rest = Double(tenths % 600) / 10
        return "\(hours):" + (minutes < 10 ? "0\(minutes)" : "\(minutes)") + ":" + (rest < 10 ? "0" : "") + "\(rest)"
    }
}
