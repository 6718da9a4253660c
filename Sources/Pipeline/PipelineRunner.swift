import Foundation
import GoogLeNet
import LabelStore
import Logging
import VideoDecoding

/// The model a run labels with: weights shared read-only by every worker, the precision they run at (with its
/// calibration), the class labels, and the fingerprint recorded with each run.
public struct LoadedModel: Sendable {
    public let weights: ModelWeights
    public let numerics: EngineNumerics
    public let classes: [ClassLabel]
    public let sha256: String

    public init(weights: ModelWeights, numerics: EngineNumerics = .fp32, classes: [ClassLabel], sha256: String) {
        self.weights = weights
        self.numerics = numerics
        self.classes = classes
        self.sha256 = sha256
    }
}

/// How one input of a run ended.
public struct InputReport: Sendable {
    public enum Status: Sendable, Equatable {
        case completed
        case interrupted
        case failed(String)
    }

    /// The input as given, redacted.
    public let input: String
    public let status: Status
    /// A live stream's session rather than a file.
    public let isLive: Bool
    /// The final counters: `sampled == labeled + dropped + skipped`.
    public let progress: InputProgress
    /// Top-1 classes of this run's frames with their frame counts, most frequent first.
    public let topClasses: [(classIndex: Int, frames: Int)]
}

/// Joins the stages — one decoder per input → the GoogLeNet worker pool → the SQLite sink — over bounded
/// queues, runs them to the end (or to a stop), and records every input's run in the database.
public final class PipelineRunner: Sendable {
    /// How often a running run's counters are written to `runs` (so a killed run shows how far it got).
    static let progressRecordInterval: TimeInterval = 5

    private let configuration: PipelineConfiguration
    private let model: LoadedModel
    private let store: LabelStore
    private let logger: Logger

    public init(configuration: PipelineConfiguration, model: LoadedModel, store: LabelStore, logger: Logger) {
        self.configuration = configuration
        self.model = model
        self.store = store
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(configuration.name)"
        self.logger = logger
    }

    /// Runs every input to its end. `progress` is called about every `progressInterval` seconds with the
    /// counters of the inputs that opened (in input order) while the run goes on. An input that cannot be
    /// opened is reported as failed and the others run; a database error while starting the inputs finishes
    /// the runs already begun (as failed) and is thrown.
    public func run(stop: StopRequest, progressInterval: TimeInterval = 1,
                    progress: (@Sendable ([InputProgress]) -> Void)? = nil) throws -> [InputReport]
    {
        try store.storeClasses(model.classes)
        let frames = FrameQueue<PendingFrame>()
        let results = FrameQueue<RankedFrame>()
        let resultsLane = results.addLane(capacity: max(64, configuration.workers * configuration.batch * 4), policy: .wait)

        var inputs: [RunningInput] = []
        var failures: [Int: InputReport] = [:]
        for (position, input) in configuration.inputs.enumerated() {
            do {
                inputs.append(try open(input, position: position, frames: frames, after: inputs))
            } catch let error as InputError {
                // The report carries the failure (the command line prints it as its one `error:` line).
                logger.debug("cannot start input", metadata: ["input": "\(input.location)", "error": "\(error)"])
                failures[position] = InputReport(input: input.location.description, status: .failed(error.description),
                                                 isLive: false, progress: InputProgress(), topClasses: [])
            } catch {
                for begun in inputs {
                    try? store.finishRun(begun.record.run, status: .failed, counts: runCounts(begun.counters.snapshot),
                                         error: "not started: \(error)")
                }
                throw error
            }
        }

        let decodeGroup = DispatchGroup()
        let workGroup = DispatchGroup()
        let sinkGroup = DispatchGroup()
        let pool = WorkerPool(
            workers: configuration.workers, batchSize: configuration.batch, batchDeadline: configuration.batchDeadline,
            weights: model.weights, numerics: model.numerics, frames: frames, results: results, resultsLane: resultsLane,
            stop: stop)
        let sink = SinkStage(results: results, stop: stop)
        let opened = inputs
        stop.onChange { level in
            for input in opened { input.decoder.stop() }
            if level == .immediate { Self.dropWaitingFrames(of: opened) }
        }
        if stop.level > .none { for input in inputs { input.decoder.stop() } }

        sink.start(closing: inputs, in: sinkGroup)
        pool.start(in: workGroup)
        for input in inputs { input.decoder.start(for: input, in: decodeGroup) }
        var lastRecorded = Date()
        while decodeGroup.wait(timeout: .now() + progressInterval) == .timedOut {
            progress?(inputs.map(\.counters.snapshot))
            if Date().timeIntervalSince(lastRecorded) >= Self.progressRecordInterval {
                for input in inputs { try? store.recordProgress(of: input.record.run, counts: runCounts(input.counters.snapshot)) }
                lastRecorded = Date()
            }
        }
        workGroup.wait()
        // Workers leave frames behind only when stopped at once or failing: those are dropped.
        Self.dropWaitingFrames(of: inputs)
        results.close(resultsLane)
        sinkGroup.wait()

        let failure = pool.error ?? sink.error
        var reports = failures
        for input in inputs {
            let status = self.status(of: input, stop: stop, failure: failure)
            var counts = input.counters.snapshot
            if case .failed = status, counts.inFlight > 0 {
                // Frames a failing worker or store held when the run broke off.
                input.counters.dropped.add(counts.inFlight, ordering: .relaxed)
                counts = input.counters.snapshot
            }
            let error: String? = if case .failed(let message) = status { message } else { nil }
            try store.finishRun(input.record.run, status: runStatus(status), counts: runCounts(counts), error: error)
            reports[input.position] = InputReport(
                input: input.location.description, status: status, isLive: input.isLive, progress: counts,
                topClasses: input.record.topClasses)
        }
        return configuration.inputs.indices.compactMap { reports[$0] }
    }

    /// Why an input could not start; one line naming it.
    private struct InputError: Error, CustomStringConvertible {
        let description: String
    }

    /// Opens one input, registers its source and begins its run. A `DecodingError` (cannot open) or a reason
    /// it may not run becomes an `InputError`; a database error is thrown as it is.
    private func open(_ input: PipelineConfiguration.Input, position: Int, frames: FrameQueue<PendingFrame>,
                      after begun: [RunningInput]) throws -> RunningInput
    {
        let location = input.location
        let reader: FrameReader
        do {
            reader = try FrameReader(input: location, options: input.decoder, spec: .googLeNet, logger: logger) { [logger] event in
                logger.notice("\(event)", metadata: ["input": "\(location)"])
            }
        } catch {
            throw InputError(description: error.description)
        }
        if configuration.restart, reader.isLive {
            throw InputError(description: ConfigurationError.restartOfLiveInput(location).message)
        }
        let descriptor: SourceDescriptor
        do {
            descriptor = try SourceIdentity.descriptor(for: location)
        } catch {
            throw InputError(description: "\(error)")
        }
        let registration = try store.register(source: descriptor)
        if let twin = begun.first(where: { $0.record.source == registration.id }) {
            throw InputError(description: "\(location): the same source as \(twin.location), which this run already reads")
        }
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
            if !alreadyStored.isEmpty {
                logger.info("resuming: frames already stored are skipped",
                            metadata: ["input": "\(location)", "stored": "\(alreadyStored.count)"])
            }
        }
        let run = try store.beginRun(RunSettings(
            source: registration.id, precision: model.numerics.precision.rawValue, sampling: describe(input.decoder),
            modelSHA256: model.sha256, live: reader.isLive))
        let counters = InputCounters(duration: reader.duration)
        let writer: FrameWriter
        do {
            writer = try store.makeWriter(run: run) { inserted, alreadyInStore in
                counters.labeled.add(inserted, ordering: .relaxed)
                counters.skipped.add(alreadyInStore, ordering: .relaxed)
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
            position: position, location: location, isLive: reader.isLive, counters: counters, decoder: decoder,
            record: InputRecord(source: registration.id, run: run, writer: writer, frameIndexBase: frameIndexBase))
    }

    private static func dropWaitingFrames(of inputs: [RunningInput]) {
        for input in inputs {
            input.counters.dropped.add(input.decoder.dropWaitingFrames(), ordering: .relaxed)
        }
    }

    private func runCounts(_ progress: InputProgress) -> RunCounts {
        RunCounts(decoded: progress.decoded, sampled: progress.sampled, labeled: progress.labeled,
                  dropped: progress.dropped, skipped: progress.skipped)
    }

    private func status(of input: RunningInput, stop: StopRequest, failure: (any Error)?) -> InputReport.Status {
        if let failure { return .failed("\(failure)") }
        switch input.decoder.outcome {
        case .failed(let error): return .failed(error.description)
        case .stopped: return .interrupted
        case .finished: return stop.level > .none ? .interrupted : .completed
        }
    }

    private func runStatus(_ status: InputReport.Status) -> RunStatus {
        switch status {
        case .completed: .completed
        case .interrupted: .interrupted
        case .failed: .failed
        }
    }

    /// The sampling as recorded in `runs.sampling`: `every 5`, `fps 2`, `keyframes` or `all`, plus the window.
    private func describe(_ options: DecoderOptions) -> String {
        var text = switch options.sampling {
        case .everyFrame: "all"
        case .everyNth(let n): "every \(n)"
        case .framesPerSecond(let fps): "fps \(fps)"
        case .keyframes: "keyframes"
        }
        if options.window.start > 0 { text += " start \(options.window.start)" }
        if let end = options.window.end { text += " end \(end)" }
        return text
    }
}
