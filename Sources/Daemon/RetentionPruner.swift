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
/// writer at most 1/(1 + `pauseFactor`) of the time and a commit of the sink waits for at most one chunk. Chunks of
/// 500 frames took 7–75 ms and raised the commits' p99 6–13×; chunks of 100 left it in the noise on a 75 MB
/// database but raised it 3.5× on a 1.5 GB one, chunks of 50 2.0× there, deleting nearly as fast (330 frames/s
/// against 377: the pause's 20 ms floor) (docs/measurements.md, "Retention in the daemon").
package struct PrunePacing: Sendable {
    package var chunkSize = 50
    package var pauseFactor = 19.0
    package var minimumPause: Duration = .milliseconds(20)
    /// Free pages given back to the file system per step (`incremental_vacuum(N)`; 4 MB of 4 KiB pages).
    package var pagesPerStep = 1000

    package init() {}

    func pause(after work: Duration) -> Duration {
        max(minimumPause, work * pauseFactor)
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

/// Deletes stored frames for the daemon, off the sink's thread and paced by `PrunePacing`: a pipeline's frames
/// older than its retention (`prune(_:now:stop:)`), or the oldest frames of every pipeline when a guard is
/// crossed (`pruneOldest`). Frames of files age by their run's end and those of a run in progress are kept
/// (`LabelStore.pruneChunk`); only the sources of the daemon's own pipelines are touched, so daemons sharing a
/// PostgreSQL database prune each their own. Each step is logged; `framesPruned` counts them all.
///
/// Blocking: called from one thread at a time (the `DatabaseKeeper`'s round).
package final class RetentionPruner: Sendable {
    private let store: LabelStore
    private let pacing: PrunePacing
    private let logger: Logger
    private let pruned = Atomic<Int>(0)

    package init(store: LabelStore, pacing: PrunePacing = PrunePacing(), logger: Logger) {
        self.store = store
        self.pacing = pacing
        self.logger = logger
    }

    /// Frames deleted since the daemon started.
    package var framesPruned: Int { pruned.load(ordering: .relaxed) }

    /// Each scope's frames older than its retention.
    package func prune(_ scopes: [PruneScope], now: Double, stop: StopSignal) throws {
        for scope in scopes {
            guard let retention = scope.retention, !stop.isStopped else { continue }
            let sources = try store.sources(withURIs: scope.sourceURIs)
            guard !sources.isEmpty else { continue }
            let deleted = try delete(PruneRequest(cut: now - retention.seconds, sources: sources, chunkSize: pacing.chunkSize), stop: stop)
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
        return try delete(PruneRequest(cut: cut, sources: sources, chunkSize: pacing.chunkSize), stop: stop)
    }

    /// `request`'s frames chunk by chunk with pauses, then the runs and sources left empty, then the free pages.
    private func delete(_ request: PruneRequest, stop: StopSignal) throws -> PruneSummary {
        var summary = PruneSummary()
        while !stop.isStopped {
            let started = ContinuousClock.now
            let deleted = try store.pruneChunk(request)
            summary.frames += deleted
            pruned.add(deleted, ordering: .relaxed)
            if deleted < request.chunkSize || stop.pause(pacing.pause(after: ContinuousClock.now - started)) { break }
        }
        guard !stop.isStopped else { return summary }
        (summary.runs, summary.sources) = try store.removeFramelessRunsAndSources(request)
        while !stop.isStopped {
            let started = ContinuousClock.now
            let released = try store.releaseFreePages(atMost: pacing.pagesPerStep)
            summary.bytesReleased += released
            if released == 0 || stop.pause(pacing.pause(after: ContinuousClock.now - started)) { break }
        }
        return summary
    }
}
