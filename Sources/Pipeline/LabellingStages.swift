package import Foundation
import GoogLeNet
package import LabelStore
package import Logging
package import Metrics
import Synchronization
import VideoDecoding

/// The shared middle and end of the pipeline — the frame queue, the GoogLeNet worker pool, the sink and the
/// thumbnail stage — for as long as inputs come and go: a one-shot run opens its inputs into it once, the
/// daemon for days. Inputs are opened into it and run through it as `InputSession`s, each on a thread of its
/// own; `finish()` ends it after the last input. It keeps the stages' lifecycle and what inputs share: the
/// one-reader-per-source table, the first fatal error, the store's health and the periodic progress record.
///
/// Ownership: the stages own the store, the queues, the workers (with their engines) and the sink's thread; each
/// `InputSession` is owned by the thread that runs it. The first fatal error (a worker's engine failed, or the
/// store under `.stopRun`) is kept in `failure` and given to `onFailure` once.
package final class LabellingStages: Sendable {
    /// How often the counters of running inputs are written to their `runs` row (so a killed run shows how far it got).
    static let progressRecordInterval: DispatchTimeInterval = .seconds(5)

    let model: LoadedModel
    let store: LabelStore
    /// The WordNet categories inputs score.
    let categories: CategoryCatalog
    let logger: Logger
    /// Whether the database takes writes, as the sink last saw it.
    package let storeHealth = StoreHealth()
    /// The sink's recent commit times, which pace the daemon's pruning.
    package let commitLatencies = CommitLatencies()

    let frames = FrameQueue<FrameToLabel>()
    let sink: SinkStage
    /// Frames of one input that may be past its lane and not yet decided by the sink (with the workers, in the
    /// sink's queue, waiting in `FrameOrder` for an earlier frame: room for twice the workers' batches there):
    /// its `FramePictures` holds that many beyond its lane.
    let picturesInFlight: Int
    private let thumbnails = ThumbnailStage()
    private let pool: WorkerPool
    private let workGroup = DispatchGroup()
    private let sinkGroup = DispatchGroup()
    private let thumbnailGroup = DispatchGroup()
    private let storeFailures: StoreFailurePolicy
    private let commitTimer: Metrics.Timer
    /// Where the inputs' own series go (`framewise_frame_age_seconds`).
    let metrics: any MetricsFactory
    private let firstFailure: FirstFailure
    private let heartbeat = StageHeartbeat()
    private let nextTag = Atomic<Int>(0)
    /// Inputs open or running, by the identity of their source: one reader per source at a time.
    private let readers = Mutex<[SourceDescriptor: InputLocation]>([:])
    private let running = Mutex<[Int: InputSession]>([:])
    private let progressTimer = Mutex<(any DispatchSourceTimer)?>(nil)

    /// Stores the model's classes in the database and builds the stages (nothing runs before `start`).
    /// `metrics` receives `framewise_inference_seconds`, `framewise_db_commit_seconds` and, per live input
    /// (`pipeline`, `input`), `framewise_frame_age_seconds`.
    package init(model: LoadedModel, store: LabelStore, workers: Int, batch: Int = 1, batchDeadline: TimeInterval = 0.05,
                storeFailures: StoreFailurePolicy, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
                logger: Logger, onFailure: @escaping @Sendable (any Error) -> Void) throws
    {
        try store.storeClasses(model.classes)
        self.model = model
        self.store = store
        categories = CategoryCatalog(classWnids: model.classes.map(\.wnid))
        self.logger = logger
        self.storeFailures = storeFailures
        firstFailure = FirstFailure(onFailure)
        commitTimer = Metrics.Timer(label: "framewise_db_commit_seconds", factory: metrics)
        self.metrics = metrics
        let sinkCapacity = max(64, workers * batch * 4)
        picturesInFlight = workers * batch + sinkCapacity + max(4, workers * batch * 2)
        sink = SinkStage(capacity: sinkCapacity, heartbeat: heartbeat, thumbnails: thumbnails)
        pool = WorkerPool(
            workers: workers, batchSize: batch, batchDeadline: batchDeadline, weights: model.weights,
            numerics: model.numerics, frames: frames, sink: sink, heartbeat: heartbeat,
            inferenceTimer: Metrics.Timer(label: "framewise_inference_seconds", factory: metrics),
            onFailure: { [firstFailure] in firstFailure.record($0) })
    }

    /// Starts the workers, the sink and the periodic recording of progress.
    package func start() {
        thumbnails.start(in: thumbnailGroup)
        sink.start(in: sinkGroup)
        pool.start(in: workGroup)
        progressTimer.withLock { timer in
            timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "framewise.run-progress"))
            timer?.setEventHandler { [weak self] in self?.recordProgress() }
            timer?.schedule(deadline: .now() + Self.progressRecordInterval, repeating: Self.progressRecordInterval)
            timer?.resume()
        }
    }

    /// Ends the stages once every input has ended: the workers finish what is queued and exit, the sink after them;
    /// then the store is closed (the stages own the store they were given).
    package func finish() {
        progressTimer.withLock { $0?.cancel() }
        frames.finish()
        workGroup.wait()
        sink.close()
        sinkGroup.wait()
        thumbnails.close()
        thumbnailGroup.wait()
        do {
            try store.close()
        } catch {
            logger.warning("the database did not close cleanly", metadata: ["error": "\(error)"])
        }
    }

    /// The first fatal error, if any: the stages no longer label.
    package var failure: (any Error)? { firstFailure.error }

    /// Frames waiting for a worker, over all inputs.
    package var queueDepth: Int { frames.waitingCount }

    /// Which stage has work waiting and has not moved for longer than `limit` (a hung process), or nil.
    package func stalledStage(after limit: Duration) -> String? {
        heartbeat.stalledStage(after: limit, framesWaiting: frames.waitingCount, itemsWaiting: sink.waitingCount)
    }

    // MARK: What the inputs' sessions share

    /// A tag for a new input's frames.
    func makeTag(counters: InputCounters, scoring: InputScoring) -> InputTag {
        InputTag(id: nextTag.add(1, ordering: .relaxed).newValue, counters: counters, scoring: scoring)
    }

    /// Counts what a writer's batch did to its input's counters and the store's health.
    func recordBatch(_ outcome: FrameWriter.BatchOutcome, of counters: InputCounters) {
        switch outcome {
        case .committed(let inserted, let alreadyInStore, let duration):
            counters.labeled.add(inserted, ordering: .relaxed)
            counters.skipped.add(alreadyInStore, ordering: .relaxed)
            commitTimer.record(duration: duration)
            commitLatencies.record(duration / .seconds(1))
            storeHealth.committed()
        case .failed(let frames, let error):
            counters.dropped.add(frames, ordering: .relaxed)
            counters.droppedByStore.add(frames, ordering: .relaxed)
            storeHealth.failed(error)
            logger.error("the database refused a batch of frames; they are dropped", metadata: ["error": "\(error)"])
            if storeFailures == .stopRun { firstFailure.record(error) }
        }
    }

    /// Claims the source `identity` names for `location`; refused when another input holds it.
    func reserve(_ identity: SourceDescriptor, for location: InputLocation) throws {
        let holder = readers.withLock { holders -> InputLocation? in
            if let holder = holders[identity] { return holder }
            holders[identity] = location
            return nil
        }
        if let holder {
            throw InputFailure("\(location): the same source as \(holder), which is already being read")
        }
    }

    func release(_ identity: SourceDescriptor) {
        _ = readers.withLock { $0.removeValue(forKey: identity) }
    }

    /// A session running (its progress is recorded every `progressRecordInterval`), until `untrack`.
    func track(_ session: InputSession) {
        running.withLock { $0[session.tag.id] = session }
    }

    func untrack(_ session: InputSession) {
        _ = running.withLock { $0.removeValue(forKey: session.tag.id) }
    }

    private func recordProgress() {
        for session in running.withLock({ Array($0.values) }) { session.recordProgress() }
    }
}

/// The first fatal error of the stages, kept once and reported once.
private final class FirstFailure: Sendable {
    private let first = Mutex<(any Error)?>(nil)
    private let onFailure: @Sendable (any Error) -> Void

    init(_ onFailure: @escaping @Sendable (any Error) -> Void) {
        self.onFailure = onFailure
    }

    var error: (any Error)? { first.withLock { $0 } }

    func record(_ error: any Error) {
        let isFirst = first.withLock { first in
            guard first == nil else { return false }
            first = error
            return true
        }
        if isFirst { onFailure(error) }
    }
}
