import Synchronization

/// The writers' recent commit times, kept apart by whether the store was being pruned meanwhile: the baseline
/// (`quiet`, the last `kept` commits made while nothing was pruned) and the commits made under the pruner's
/// current pacing (`pruning`, since `restartPruning()`). What `PrunePacing` adapts to.
package final class CommitLatencies: Sendable {
    /// Commits kept of each kind.
    package static let kept = 400
    /// Quiet commits a baseline needs: fewer give no p99 worth comparing against.
    package static let baselineCommits = 50
    /// Commits under one pacing before it is judged: their p99 is the second slowest, so one commit held up by
    /// something else (another program's burst of disk writes) does not decide alone.
    package static let judgedCommits = 200
    /// Commits of `judgedCommits` that may be slow without making their p99 slow: one (the p99 is the second
    /// slowest), so a second slow one already decides, however few were made.
    package static let slowCommitsAllowed = judgedCommits - 1 - Int(Double(judgedCommits) * 0.99)

    private struct Samples {
        var quiet: [Double] = []
        var pruning: [Double] = []
        var isPruning = false
    }

    private let samples = Mutex(Samples())

    package init() {}

    /// One commit of a writer, in seconds.
    package func record(_ seconds: Double) {
        samples.withLock { samples in
            if samples.isPruning {
                samples.pruning.append(seconds)
                if samples.pruning.count > Self.kept { samples.pruning.removeFirst() }
            } else {
                samples.quiet.append(seconds)
                if samples.quiet.count > Self.kept { samples.quiet.removeFirst() }
            }
        }
    }

    /// Commits from now on count as made while pruning (`true`, starting a new set of them) or not.
    package func setPruning(_ pruning: Bool) {
        samples.withLock { samples in
            samples.isPruning = pruning
            if pruning { samples.pruning.removeAll(keepingCapacity: true) }
        }
    }

    /// Forgets the commits made while pruning, after the pacing changed.
    package func restartPruning() {
        samples.withLock { $0.pruning.removeAll(keepingCapacity: true) }
    }

    /// The quiet commits' median and p99, once there are `baselineCommits`.
    package var baseline: CommitBaseline? {
        samples.withLock { samples in
            guard samples.quiet.count >= Self.baselineCommits else { return nil }
            return CommitBaseline(median: Self.percentile(0.5, of: samples.quiet), p99: Self.percentile(0.99, of: samples.quiet))
        }
    }

    /// The commits made while pruning since the last restart (seconds each; the last `kept`).
    package var pruningCommits: [Double] {
        samples.withLock { $0.pruning }
    }

    /// The value below which `share` of `values` lie (the nearest rank; 0 for none).
    package static func percentile(_ share: Double, of values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * share))]
    }
}

/// The writers' commits made while nothing was pruned, in seconds: the typical one (`median`) and the `p99` the
/// pruning's pacing is bounded by.
package struct CommitBaseline: Sendable, Equatable {
    package var median: Double
    package var p99: Double

    package init(median: Double, p99: Double) {
        self.median = median
        self.p99 = p99
    }
}
