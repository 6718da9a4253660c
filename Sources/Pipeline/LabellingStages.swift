import Foundation
import GoogLeNet
import LabelStore
import Logging
import Metrics
import Synchronization
import VideoDecoding

/// The shared middle and end of the pipeline — the frame queue, the GoogLeNet worker pool and the sink — for
/// as long as inputs come and go: a one-shot run opens its inputs into it once, the daemon for days. Inputs
/// are opened into it (`open`: reader, source, run, writer, lane) and run through it (`run`), each on a thread
/// of its own; `finish()` ends it after the last input.
///
/// Ownership: the stages own the store, the queues, the workers (with their engines) and the sink's thread; each input's
/// `RunningInput` is owned by the thread that runs it. The first fatal error (a worker's engine failed, or the
/// store under `.stopRun`) is kept in `failure` and given to `onFailure` once.
public final class LabellingStages: Sendable {
    /// How often the counters of running inputs are written to their `runs` row (so a killed run shows how far it got).
    static let progressRecordInterval: DispatchTimeInterval = .seconds(5)

    let model: LoadedModel
    let store: any LabelDatabase
    let logger: Logger
    /// Whether the database takes writes, as the sink last saw it.
    public let storeHealth = StoreHealth()

    private let frames = FrameQueue<PendingFrame>()
    private let sink: SinkStage
    private let thumbnails = ThumbnailStage()
    private let pool: WorkerPool
    private let workGroup = DispatchGroup()
    private let sinkGroup = DispatchGroup()
    private let thumbnailGroup = DispatchGroup()
    /// How far workers may reorder frames: the thumbnail choice waits that many frames.
    private let reorderWindow: Int
    private let storeFailures: StoreFailurePolicy
    private let commitTimer: Metrics.Timer
    private let metrics: any MetricsFactory
    private let firstFailure: FirstFailure
    private let heartbeat = StageHeartbeat()
    /// Inputs open or running, by the identity of their source: one reader per source at a time.
    private let readers = Mutex<[SourceDescriptor: InputLocation]>([:])
    private let running = Mutex<[ObjectIdentifier: RunningInput]>([:])
    private let progressTimer = Mutex<(any DispatchSourceTimer)?>(nil)

    /// Stores the model's classes in the database and builds the stages (nothing runs before `start`).
    /// `metrics` receives `framewise_inference_seconds`, `framewise_db_commit_seconds` and, per live input
    /// (`pipeline`, `input`), `framewise_frame_age_seconds`.
    public init(model: LoadedModel, store: any LabelDatabase, workers: Int, batch: Int = 1, batchDeadline: TimeInterval = 0.05,
                storeFailures: StoreFailurePolicy, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
                logger: Logger, onFailure: @escaping @Sendable (any Error) -> Void) throws
    {
        try store.storeClasses(model.classes)
        self.model = model
        self.store = store
        self.logger = logger
        self.storeFailures = storeFailures
        firstFailure = FirstFailure(onFailure)
        commitTimer = Metrics.Timer(label: "framewise_db_commit_seconds", factory: metrics)
        self.metrics = metrics
        reorderWindow = max(4, workers * batch * 2)
        sink = SinkStage(capacity: max(64, workers * batch * 4), heartbeat: heartbeat, thumbnails: thumbnails)
        pool = WorkerPool(
            workers: workers, batchSize: batch, batchDeadline: batchDeadline, weights: model.weights,
            numerics: model.numerics, frames: frames, sink: sink, heartbeat: heartbeat,
            inferenceTimer: Metrics.Timer(label: "framewise_inference_seconds", factory: metrics),
            onFailure: { [firstFailure] in firstFailure.record($0) })
    }

    /// Starts the workers, the sink and the periodic recording of progress.
    public func start() {
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
    public func finish() {
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
    public var failure: (any Error)? { firstFailure.error }

    /// Frames waiting for a worker, over all inputs.
    public var queueDepth: Int { frames.waitingCount }

    /// Which stage has work waiting and has not moved for longer than `limit` (a hung process), or nil.
    public func stalledStage(after limit: Duration) -> String? {
        heartbeat.stalledStage(after: limit, framesWaiting: frames.waitingCount, itemsWaiting: sink.waitingCount)
    }

    // MARK: Inputs

    /// Why an input could not start; one line naming it.
    struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens one input of `configuration`, registers its source and begins its run. A `DecodingError` (cannot
    /// open) or a reason it may not run (its source is already being read, `--restart` on a live stream)
    /// becomes an `InputError`; a database error is thrown as it is.
    ///
    /// One reader per source: a network input is known by its redacted URL, so a second reader of a stream
    /// already being read is refused before it connects (cameras allow few sessions); a file is known by its
    /// content, read once it has opened.
    func open(_ input: PipelineConfiguration.Input, position: Int, of configuration: PipelineConfiguration,
              onEvent: (@Sendable (DecoderEvent) -> Void)? = nil) throws -> RunningInput
    {
        let location = input.location
        var reserved: SourceDescriptor?
        if location.isNetwork {
            let identity = try identity(of: location)
            try reserve(identity, for: location)
            reserved = identity
        }
        do {
            var options = input.decoder
            options.thumbnailWidth = configuration.thumbnails == .off ? nil : ThumbnailScaler.defaultWidth
            let reader: FrameReader
            do {
                reader = try FrameReader(input: location, options: options, spec: .googLeNet, logger: logger) { [logger] event in
                    logger.notice("\(event)", metadata: ["input": "\(location)"])
                    onEvent?(event)
                }
            } catch {
                throw InputError(description: error.description)
            }
            if configuration.restart, reader.isLive {
                throw InputError(description: ConfigurationError.restartOfLiveInput(location).message)
            }
            let identity = try reserved ?? identity(of: location)
            if reserved == nil {
                try reserve(identity, for: location)
                reserved = identity
            }
            let registration = try store.register(source: identity)
            return try begin(reader: reader, identity: identity, source: registration, input: input, position: position,
                             of: configuration)
        } catch {
            if let reserved { release(reserved) }
            throw error
        }
    }

    private func identity(of location: InputLocation) throws -> SourceDescriptor {
        do {
            return try SourceIdentity.descriptor(for: location)
        } catch {
            throw InputError(description: "\(error)")
        }
    }

    private func begin(reader: FrameReader, identity: SourceDescriptor, source registration: SourceRegistration,
                       input: PipelineConfiguration.Input,
                       position: Int, of configuration: PipelineConfiguration) throws -> RunningInput
    {
        let location = input.location
        if let previous = registration.supersedes {
            logger.notice("new content at a known path: labelled as a new source; the old frames stay under the old one",
                          metadata: ["input": "\(location)", "source": "\(registration.id)", "previousSource": "\(previous)"])
        }
        var frameIndexBase: Int64 = 0
        var alreadyStored = StoredFrameIndices()
        if reader.isLive {
            frameIndexBase = try store.nextFrameIndex(of: registration.id)
        } else {
            if configuration.restart { try store.deleteFrames(of: registration.id) }
            alreadyStored = try store.storedFrameIndices(of: registration.id)
            let decoding = input.decoder.shortcuts.description
            if !alreadyStored.isEmpty, case let modes = try store.decodingModes(ofStoredFramesOf: registration.id),
               modes.contains(where: { $0 != decoding }) {
                throw InputError(description: "\(location): its stored frames were decoded \(modes.joined(separator: ", ")), "
                    + "this run would decode \(decoding): give the same decoding to resume, or --restart")
            }
            if !alreadyStored.isEmpty {
                logger.info("resuming: frames already stored are skipped",
                            metadata: ["input": "\(location)", "stored": "\(alreadyStored.count)"])
            }
        }
        let run = try store.beginRun(RunSettings(
            source: registration.id, precision: model.numerics.precision.rawValue, sampling: input.decoder.summary,
            modelSHA256: model.sha256, decoding: input.decoder.shortcuts.description, live: reader.isLive))
        let frameAges = reader.isLive ? Metrics.Timer(label: "framewise_frame_age_seconds",
            dimensions: [("pipeline", configuration.name), ("input", location.description)], factory: metrics) : nil
        let counters = InputCounters(duration: reader.duration, frameAges: frameAges)
        let writer: FrameWriter
        do {
            writer = try store.makeWriter(run: run) { [self] outcome in
                switch outcome {
                case .committed(let inserted, let alreadyInStore, let duration):
                    counters.labeled.add(inserted, ordering: .relaxed)
                    counters.skipped.add(alreadyInStore, ordering: .relaxed)
                    commitTimer.record(duration: duration)
                    storeHealth.committed()
                case .failed(let frames, let error):
                    counters.dropped.add(frames, ordering: .relaxed)
                    counters.droppedByStore.add(frames, ordering: .relaxed)
                    storeFailed(error)
                }
            }
        } catch {
            try? store.finishRun(run, status: .failed, counts: RunCounts(), error: "not started: \(error)")
            throw error
        }
        let policy = reader.isLive ? configuration.liveBackpressure : .wait
        let lane = frames.addLane(capacity: configuration.queueCapacity, policy: policy)
        let stored = alreadyStored
        let decoder = DecodeStage(reader: reader, queue: frames, lane: lane) { stored.contains($0) }
        return RunningInput(
            position: position, location: location, identity: identity, isLive: reader.isLive, counters: counters, decoder: decoder,
            record: InputRecord(
                source: registration.id, run: run, writer: writer, frameIndexBase: frameIndexBase,
                thumbnails: ThumbnailSelector(policy: configuration.thumbnails, reorderWindow: reorderWindow)))
    }

    /// Runs an opened input to its end (or a stop) on the calling thread: decodes it, waits until the workers
    /// and the sink are done with its frames, and records how its run ended.
    func run(_ input: RunningInput, stop: StopRequest) -> InputReport {
        running.withLock { $0[ObjectIdentifier(input)] = input }
        let observation = stop.onChange { level in
            input.decoder.stop()
            if level == .immediate { input.decoder.dropWaitingFrames(of: input) }
        }
        if stop.level > .none { input.decoder.stop() }
        let outcome = input.decoder.run(for: input)
        // Frames still with the workers finish, unless stopping at once or the workers have failed.
        while input.framesAtWorkers.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if stop.level == .immediate || failure != nil { input.decoder.dropWaitingFrames(of: input) }
        }
        sink.end(input)
        input.writerClosed.wait()
        stop.remove(observation)
        running.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(input)) }
        defer { release(input.identity) }
        return finishRun(of: input, status: status(of: outcome, stop: stop))
    }

    /// Ends the run of an input that was opened but will not run (another input's database error), as failed.
    func abandon(_ input: RunningInput, because error: any Error) {
        input.decoder.stop()
        _ = input.decoder.run(for: input)
        try? input.record.writer.close()
        try? store.finishRun(input.record.run, status: .failed, counts: RunCounts(input.counters.snapshot),
                             error: "not started: \(error)")
        release(input.identity)
    }

    private func finishRun(of input: RunningInput, status: InputReport.Status) -> InputReport {
        var status = status
        var counts = input.counters.snapshot
        if case .failed = status, counts.inFlight > 0 {
            // Frames a failing worker held when the run broke off.
            input.counters.dropped.add(counts.inFlight, ordering: .relaxed)
            counts = input.counters.snapshot
        }
        let error: String? = if case .failed(let message) = status { message } else { nil }
        do {
            try store.finishRun(input.record.run, status: status.runStatus, counts: RunCounts(counts), error: error)
        } catch {
            logger.error("cannot record the end of the run", metadata: ["input": "\(input.location)", "error": "\(error)"])
            if case .failed = status {} else { status = .failed("cannot record the end of the run: \(error)") }
        }
        return InputReport(input: input.location.description, status: status, isLive: input.isLive, progress: counts,
                           topClasses: input.record.topClasses)
    }

    private func status(of outcome: DecodeOutcome, stop: StopRequest) -> InputReport.Status {
        if let failure { return .failed("\(failure)") }
        switch outcome {
        case .failed(let error): return .failed(error.description)
        case .stopped: return .interrupted
        case .finished: return stop.level > .none ? .interrupted : .completed
        }
    }

    private func storeFailed(_ error: any Error) {
        storeHealth.failed(error)
        logger.error("the database refused a batch of frames; they are dropped", metadata: ["error": "\(error)"])
        if storeFailures == .stopRun { firstFailure.record(error) }
    }

    /// Claims the source `identity` names for `location`; refused when another input holds it.
    private func reserve(_ identity: SourceDescriptor, for location: InputLocation) throws {
        let holder = readers.withLock { holders -> InputLocation? in
            if let holder = holders[identity] { return holder }
            holders[identity] = location
            return nil
        }
        if let holder {
            throw InputError(description: "\(location): the same source as \(holder), which is already being read")
        }
    }

    private func release(_ identity: SourceDescriptor) {
        _ = readers.withLock { $0.removeValue(forKey: identity) }
    }

    private func recordProgress() {
        for input in running.withLock({ Array($0.values) }) {
            try? store.recordProgress(of: input.record.run, counts: RunCounts(input.counters.snapshot))
        }
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

extension RunCounts {
    init(_ progress: InputProgress) {
        self.init(decoded: progress.decoded, sampled: progress.sampled, labeled: progress.labeled,
                  dropped: progress.dropped, skipped: progress.skipped)
    }
}

extension InputReport.Status {
    var runStatus: RunStatus {
        switch self {
        case .completed: .completed
        case .interrupted: .interrupted
        case .failed: .failed
        }
    }
}

extension DecoderOptions {
    /// The sampling as recorded in `runs.sampling`: `every 5`, `fps 2`, `keyframes` or `all`, plus the window.
    var summary: String {
        var text = switch sampling {
        case .everyFrame: "all"
        case .everyNth(let n): "every \(n)"
        case .framesPerSecond(let fps): "fps \(fps)"
        case .keyframes: "keyframes"
        }
        if window.start > 0 { text += " start \(window.start)" }
        if let end = window.end { text += " end \(end)" }
        return text
    }
}
