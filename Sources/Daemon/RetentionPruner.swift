import Foundation
package import LabelStore
package import Logging
package import Pipeline
import Synchronization

/// The frames one pipeline's retention covers: the sources of its inputs (by their URI in `sources`) and how long
/// their frames are kept (nil: for ever; the guards may still delete them, oldest first).
package struct PruneScope: Sendable, Equatable {
    package let pipeline: String
    package let retention: RetentionPeriod?
    package let sourceURIs: [String]

    package init(pipeline: String, retention: RetentionPeriod?, sourceURIs: [String]) {
        self.pipeline = pipeline
        self.retention = retention
        self.sourceURIs = sourceURIs
    }
}

/// How the daemon's deleting shares the database with the sink: chunks of `chunkSize` frames, one transaction
/// each, and after each a pause `pauseFactor` times as long as the chunk took, so the deleting holds SQLite's one
/// writer at most 1/(1 + `pauseFactor`) of the time and a commit of the sink waits for at most one chunk. It starts
/// at 50 frames and ×19 and adapts to the writers' commit latency (`adapt`): when the p99 of the commits made under
/// it passes `backOffAbove` times the p99 of those made while nothing was pruned, the chunk halves and the pause
/// doubles; below `speedUpBelow` times, the chunk grows by a quarter and the pause shrinks by a fifth, within
/// `chunkSizes` and `pauseFactors`. Fixed chunks of 50 at ×19 raised the p99 2.04× on a 1.5 GB database, chunks of
/// 100 3.5×, chunks of 500 6–13× (docs/measurements.md, "Retention in the daemon").
package struct PrunePacing: Sendable, Equatable {
    package var chunkSize = 50
    package var pauseFactor = 19.0
    package var chunkSizes = 5...200
    package var pauseFactors = 9.0...199.0
    package var minimumPause: Duration = .milliseconds(20)
    /// Whether `adapt` changes anything (false: the fixed pacing, for comparison).
    package var adapts = true
    package var backOffAbove = 1.5
    package var speedUpBelow = 1.2
    /// Free pages given back to the file system per step (`incremental_vacuum(N)`; 4 MB of 4 KiB pages).
    package var pagesPerStep = 1000

    package init() {}

    func pause(after work: Duration) -> Duration {
        max(minimumPause, work * pauseFactor)
    }

    /// Adjusts the pacing to the p99 of the commits made under it (`pruning`) against the p99 of those made
    /// while nothing was pruned (`baseline`); returns whether it changed.
    package mutating func adapt(pruning: Double, baseline: Double) -> Bool {
        guard adapts, baseline > 0 else { return false }
        let before = self
        let ratio = pruning / baseline
        if ratio > backOffAbove {
            chunkSize = max(chunkSizes.lowerBound, chunkSize / 2)
            pauseFactor = min(pauseFactors.upperBound, pauseFactor * 2)
        } else if ratio < speedUpBelow {
            chunkSize = min(chunkSizes.upperBound, chunkSize + max(1, chunkSize / 4))
            pauseFactor = max(pauseFactors.lowerBound, pauseFactor * 0.8)
        }
        return self != before
    }
}

/// A blocking loop's pause that a stop ends early.
package final class StopSignal: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)

    package init() {}

    package var isStopped: Bool { stopped.load(ordering: .relaxed) }

    package func stop() {
        stopped.store(true, ordering: .relaxed)
        wake.signal()
    }

    /// Waits `duration`, or less if stopped; returns whether it is stopped.
    package func pause(_ duration: Duration) -> Bool {
        guard !isStopped else { return true }
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        if wake.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success { wake.signal() }
        return isStopped
    }
}

/// Deletes stored frames for the daemon, off the sink's thread and paced by `PrunePacing` on the writers' commit
/// latency (`CommitLatencies`, which the writers record into and the pruner marks while it deletes): a pipeline's frames
/// older than its retention (`prune(_:now:stop:)`), or the oldest frames of every pipeline when a guard is
/// crossed (`pruneOldest`). Frames of files age by their run's end and those of a run in progress are kept
/// (`LabelStore.pruneChunk`); only the sources of the daemon's own pipelines are touched, so daemons sharing a
/// PostgreSQL database prune each their own. Each step is logged; `framesPruned` counts them all.
///
/// Blocking: called from one thread at a time (the `DatabaseKeeper`'s round).
package final class RetentionPruner: Sendable {
    /// The longest the pruner waits, without deleting, for the writers' commits to give a baseline.
    static let baselineWait: Duration = .seconds(60)

    private let store: LabelStore
    private let latencies: CommitLatencies
    private let pacing: Mutex<PrunePacing>
    private let logger: Logger
    private let pruned = Atomic<Int>(0)

    package init(store: LabelStore, latencies: CommitLatencies, pacing: PrunePacing = PrunePacing(), logger: Logger) {
        self.store = store
        self.latencies = latencies
        self.pacing = Mutex(pacing)
        self.logger = logger
    }

    /// The pacing as adapted so far.
    package var currentPacing: PrunePacing { pacing.withLock { $0 } }

    /// Frames deleted since the daemon started.
    package var framesPruned: Int { pruned.load(ordering: .relaxed) }

    /// Each scope's frames older than its retention.
    package func prune(_ scopes: [PruneScope], now: Double, stop: StopSignal) throws {
        for scope in scopes {
            guard let retention = scope.retention, !stop.isStopped else { continue }
            let sources = try store.sources(withURIs: scope.sourceURIs)
            guard !sources.isEmpty else { continue }
            let deleted = try delete(PruneRequest(cut: now - retention.seconds, sources: sources, chunkSize: currentPacing.chunkSize), stop: stop)
            if deleted.frames > 0 || deleted.runs > 0 {
                logger.info("retention: deleted frames older than \(retention)", metadata: [
                    "pipeline": "\(scope.pipeline)", "frames": "\(deleted.frames)", "runs": "\(deleted.runs)",
                    "sources": "\(deleted.sources)", "bytes_released": "\(deleted.bytesReleased)"])
            }
        }
    }

    /// The oldest `share` of the time the scopes' frames span (from their oldest frame to `now`): one step of a
    /// guard. Returns what went.
    func pruneOldest(_ scopes: [PruneScope], share: Double, now: Double, stop: StopSignal) throws -> PruneSummary {
        let sources = try store.sources(withURIs: scopes.flatMap(\.sourceURIs))
        guard !sources.isEmpty, let oldest = try store.oldestFrameTime(of: sources) else { return PruneSummary() }
        let cut = oldest + max(1, (now - oldest) * share)
        return try delete(PruneRequest(cut: cut, sources: sources, chunkSize: currentPacing.chunkSize), stop: stop)
    }

    /// `request`'s frames chunk by chunk with pauses, then the runs and sources left empty, then the free pages.
    private func delete(_ request: PruneRequest, stop: StopSignal) throws -> PruneSummary {
        var summary = PruneSummary(), request = request
        latencies.setPruning(true)
        defer { latencies.setPruning(false) }
        while !stop.isStopped {
            let started = ContinuousClock.now
            let deleted = try store.pruneChunk(request)
            summary.frames += deleted
            pruned.add(deleted, ordering: .relaxed)
            if deleted < request.chunkSize || stop.pause(currentPacing.pause(after: ContinuousClock.now - started)) { break }
            request.chunkSize = adaptPacing(stop: stop)
        }
        guard !stop.isStopped else { return summary }
        (summary.runs, summary.sources) = try store.removeFramelessRunsAndSources(request)
        while !stop.isStopped {
            let started = ContinuousClock.now
            let released = try store.releaseFreePages(atMost: currentPacing.pagesPerStep)
            summary.bytesReleased += released
            if released == 0 || stop.pause(currentPacing.pause(after: ContinuousClock.now - started)) { break }
        }
        return summary
    }

    /// Judges the pacing once the writers made `CommitLatencies.judgedCommits` commits under it, then counts anew;
    /// with no baseline yet (the pruning began before the writers committed), first pauses the deleting until they
    /// give one (at most `baselineWait`). Returns the chunk size to go on with.
    private func adaptPacing(stop: StopSignal) -> Int {
        guard currentPacing.adapts, let recent = latencies.pruningP99 else { return currentPacing.chunkSize }
        if latencies.baselineP99 == nil {
            latencies.setPruning(false)
            let deadline = ContinuousClock.now + Self.baselineWait
            while latencies.baselineP99 == nil, ContinuousClock.now < deadline, !stop.pause(.seconds(1)) {}
            latencies.setPruning(true)
        }
        guard let baseline = latencies.baselineP99 else { return currentPacing.chunkSize }
        let (changed, now) = pacing.withLock { pacing in (pacing.adapt(pruning: recent, baseline: baseline), pacing) }
        latencies.restartPruning()
        if changed {
            logger.debug("retention: pacing adapted", metadata: [
                "commit_p99_ms": "\(String(format: "%.1f", recent * 1000))", "baseline_p99_ms": "\(String(format: "%.1f", baseline * 1000))",
                "chunk": "\(now.chunkSize)", "pause_factor": "\(String(format: "%.1f", now.pauseFactor))"])
        }
        return now.chunkSize
    }
}
