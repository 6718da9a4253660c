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
/// each, and after each a pause `pauseFactor` times as long as the chunk took (at least `minimumPause`), so the
/// deleting holds SQLite's one writer at most 1/(1 + `pauseFactor`) of the time. The writers' commit p99 while
/// pruning may be at most `bound` times the p99 of their commits made while nothing was pruned (the issue's 2×). A
/// commit that comes while a chunk runs waits for it, so each chunk is sized (`fit`) to take as long as a typical
/// commit (the baseline's median) may wait: until it reaches `chunkWaitBound` × the baseline's p99. The pause adapts
/// to the commits (`adapt`): it starts bold (×4: the writer held 20% of the time), doubles as soon as two commits
/// made under it are slower than `bound` × the baseline's p99 (of 200, the p99 is the second slowest), and shrinks by
/// a third once 200 were made with a p99 below `speedUpBelow` × the baseline's; within `chunkSizes` and
/// `pauseFactors` (docs/measurements.md, "Retention at full size").
package struct PrunePacing: Sendable, Equatable {
    /// What `adapt` made of the commits it was given.
    package enum Verdict: Sendable, Equatable {
        case backedOff, held, spedUp
    }

    package var chunkSize = 100
    package var pauseFactor = 4.0
    package var chunkSizes = 5...5000
    package var pauseFactors = 2.0...199.0
    package var minimumPause: Duration = .milliseconds(5)
    /// Whether `fit` and `adapt` change anything (false: the fixed pacing, for comparison).
    package var adapts = true
    /// The most the commits' p99 may rise while pruning, as a multiple of the baseline's.
    package var bound = 2.0
    package var speedUpBelow = 1.5
    /// How slow a typical commit that waits behind a whole chunk may become, as a multiple of the baseline's p99:
    /// under `speedUpBelow`, so waiting behind chunks alone never keeps the pause from shrinking, and under `bound`
    /// by the rest (the deleting's other costs: its writes, the checkpoints of its pages, chunks slower than most).
    package var chunkWaitBound = 1.4
    /// Free pages given back to the file system per step (`incremental_vacuum(N)`; 400 kB of 4 KiB pages): each
    /// page moved from the file's end also rewrites its parent's pointer, so a step writes about what a chunk does
    /// and a commit waits behind it no longer than behind a chunk.
    package var pagesPerStep = 100
    /// Frames deleted between two such steps during a prune: about the `pagesPerStep` pages they free (~400 bytes a
    /// frame with its labels, thumbnails and appearances), so the file shrinks while a long backlog goes, not only
    /// at its end.
    package var framesPerRelease = 1000

    package init() {}

    func pause(after work: Duration) -> Duration {
        max(minimumPause, work * pauseFactor)
    }

    /// Sizes the next chunk to take the time a typical commit may wait for it (`chunkWaitBound` × the baseline's p99
    /// less its median, seconds) at the time per frame of the chunk that deleted `deleted` frames in `work`: halfway
    /// there (geometrically), so one chunk slowed by something else moves it less. A chunk's fixed cost (its
    /// transaction, the companions' look-ups) is in that time per frame, so the sizes settle where a chunk takes the
    /// time allowed, fixed cost included; with less time allowed than the fixed cost, at the smallest.
    package mutating func fit(chunkTook work: Duration, deleted: Int, baseline: CommitBaseline) {
        let allowed = chunkWaitBound * baseline.p99 - baseline.median
        guard adapts, deleted > 0, work > .zero else { return }
        let frames = max(0, allowed) / (work / .seconds(1) / Double(deleted))
        let next = (Double(chunkSize) * frames).squareRoot()
        chunkSize = min(chunkSizes.upperBound, max(chunkSizes.lowerBound, Int(next.rounded())))
    }

    /// Adjusts the pause to the commits made under it (seconds each) against the baseline's p99: doubles it as soon
    /// as more of them are over `bound` × that p99 than a p99 of `CommitLatencies.judgedCommits` allows
    /// (`CommitLatencies.slowCommitsAllowed`); once that many were made, shrinks it by a third if their p99 is
    /// below `speedUpBelow` × the baseline's, else holds it. Returns its verdict (the caller then counts anew), or nil
    /// while the commits do not tell yet.
    package mutating func adapt(commits: [Double], baseline: CommitBaseline) -> Verdict? {
        let p99 = baseline.p99
        guard adapts, p99 > 0 else { return nil }
        if commits.count(where: { $0 > bound * p99 }) > CommitLatencies.slowCommitsAllowed {
            pauseFactor = min(pauseFactors.upperBound, pauseFactor * 2)
            return .backedOff
        }
        guard commits.count >= CommitLatencies.judgedCommits else { return nil }
        guard CommitLatencies.percentile(0.99, of: commits) < speedUpBelow * p99 else { return .held }
        pauseFactor = max(pauseFactors.lowerBound, pauseFactor / 1.5)
        return .spedUp
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

    /// `request`'s frames chunk by chunk with pauses (giving free pages back every `framesPerRelease`), then the
    /// runs and sources left empty, then the rest of the free pages.
    private func delete(_ request: PruneRequest, stop: StopSignal) throws -> PruneSummary {
        var summary = PruneSummary(), request = request, deletedSinceRelease = 0
        latencies.setPruning(true)
        defer { latencies.setPruning(false) }
        while !stop.isStopped {
            let started = ContinuousClock.now
            let deleted = try store.pruneChunk(request)
            let work = ContinuousClock.now - started
            summary.frames += deleted
            deletedSinceRelease += deleted
            pruned.add(deleted, ordering: .relaxed)
            if deleted < request.chunkSize || stop.pause(currentPacing.pause(after: work)) { break }
            request.chunkSize = adaptPacing(chunkTook: work, deleted: deleted, stop: stop)
            if deletedSinceRelease >= currentPacing.framesPerRelease {
                deletedSinceRelease = 0
                _ = try releaseFreePages(into: &summary, stop: stop)
            }
        }
        guard !stop.isStopped else { return summary }
        (summary.runs, summary.sources) = try store.removeFramelessRunsAndSources(request)
        while try releaseFreePages(into: &summary, stop: stop) {}
        return summary
    }

    /// One step of giving free pages back (`PrunePacing.pagesPerStep`), then its pause; whether more may be left
    /// (some went and no stop came).
    private func releaseFreePages(into summary: inout PruneSummary, stop: StopSignal) throws -> Bool {
        guard !stop.isStopped else { return false }
        let started = ContinuousClock.now
        let released = try store.releaseFreePages(atMost: currentPacing.pagesPerStep)
        summary.bytesReleased += released
        return released > 0 && !stop.pause(currentPacing.pause(after: ContinuousClock.now - started))
    }

    /// Sizes the next chunk by the last one's time (`PrunePacing.fit`) and judges the pause on the commits the
    /// writers made under it (`PrunePacing.adapt`), counting them anew after each verdict; with no baseline yet (the
    /// pruning began before the writers committed), first pauses the deleting, once `CommitLatencies.judgedCommits`
    /// were made under it, until they give one (at most `baselineWait`). Returns the chunk size to go on with.
    private func adaptPacing(chunkTook work: Duration, deleted: Int, stop: StopSignal) -> Int {
        guard currentPacing.adapts else { return currentPacing.chunkSize }
        if latencies.baseline == nil, latencies.pruningCommits.count >= CommitLatencies.judgedCommits {
            latencies.setPruning(false)
            let deadline = ContinuousClock.now + Self.baselineWait
            while latencies.baseline == nil, ContinuousClock.now < deadline, !stop.pause(.seconds(1)) {}
            latencies.setPruning(true)
        }
        guard let baseline = latencies.baseline else { return currentPacing.chunkSize }
        let commits = latencies.pruningCommits
        let (verdict, paced) = pacing.withLock { pacing in
            pacing.fit(chunkTook: work, deleted: deleted, baseline: baseline)
            let verdict = pacing.adapt(commits: commits, baseline: baseline)
            return (verdict, pacing)
        }
        if let verdict {
            latencies.restartPruning()
            logger.debug("retention: pacing adapted", metadata: [
                "verdict": "\(verdict)", "commits": "\(commits.count)",
                "commit_p99_ms": "\(String(format: "%.1f", CommitLatencies.percentile(0.99, of: commits) * 1000))",
                "baseline_p99_ms": "\(String(format: "%.1f", baseline.p99 * 1000))",
                "chunk": "\(paced.chunkSize)", "pause_factor": "\(String(format: "%.1f", paced.pauseFactor))"])
        }
        return paced.chunkSize
    }
}
