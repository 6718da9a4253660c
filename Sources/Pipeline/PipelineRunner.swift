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

    /// The input, redacted.
    public let input: String
    public let status: Status
    public let progress: InputProgress
    /// Frames the decoder produced, sampled or not.
    public let decodedFrames: Int64
    /// Damaged packets skipped.
    public let corruptPackets: Int64
    /// Top-1 classes of this run's frames with their frame counts, most frequent first.
    public let topClasses: [(classIndex: Int, frames: Int)]
}

/// Joins the stages — one decoder per input → the GoogLeNet worker pool → the SQLite sink — over bounded
/// queues, runs them to the end (or to a stop), and records every input's run in the database.
public final class PipelineRunner: Sendable {
    private let configuration: PipelineConfiguration
    private let model: LoadedModel
    private let store: LabelStore
    private let logger: Logger

    public init(configuration: PipelineConfiguration, model: LoadedModel, store: LabelStore, logger: Logger) {
        self.configuration = configuration
        self.model = model
        self.store = store
        self.logger = logger
    }

    /// Runs every input to its end. `progress` is called about every `progressInterval` seconds with each
    /// input's totals (in input order) while the run goes on.
    public func run(stop: StopRequest, progressInterval: TimeInterval = 1,
                    progress: (@Sendable ([InputProgress]) -> Void)? = nil) throws -> [InputReport]
    {
        try store.storeClasses(model.classes)
        let frames = FrameQueue<PendingFrame>()
        let results = FrameQueue<LabelledFrame>()
        let resultsLane = results.addLane(capacity: max(64, configuration.workers * configuration.batch * 4), policy: .wait)

        var opened: [OpenedInput] = []
        var reports: [Int: InputReport] = [:]
        for (position, input) in configuration.inputs.enumerated() {
            do {
                opened.append(try open(input, position: position, frames: frames))
            } catch let error as DecodingError {
                logger.error("cannot open input", metadata: ["input": "\(input.location)", "error": "\(error.detail)"])
                reports[position] = InputReport(
                    input: input.location.description, status: .failed(error.description),
                    progress: InputCounters().snapshot, decodedFrames: 0, corruptPackets: 0, topClasses: [])
            }
        }

        let counters = opened.map(\.counters)
        let decodeGroup = DispatchGroup()
        let workGroup = DispatchGroup()
        let sinkGroup = DispatchGroup()
        let pool = WorkerPool(
            workers: configuration.workers, batchSize: configuration.batch, batchDeadline: configuration.batchDeadline,
            weights: model.weights, numerics: model.numerics, frames: frames, results: results, resultsLane: resultsLane, stop: stop)
        let sink = SinkStage(results: results, writers: opened.map(\.writer), counters: counters, stop: stop)
        let stages = opened.map(\.stage)
        stop.onChange { level in
            for stage in stages { stage.stop() }
            if level == .immediate { for stage in stages { stage.dropWaitingFrames() } }
        }
        if stop.level > .none { for stage in stages { stage.stop() } }

        sink.start(in: sinkGroup)
        pool.start(in: workGroup)
        for stage in stages { stage.start(in: decodeGroup) }
        while decodeGroup.wait(timeout: .now() + progressInterval) == .timedOut {
            progress?(counters.map(\.snapshot))
            for input in opened { try? store.recordProgress(of: input.run, counts: input.runCounts) }
        }
        workGroup.wait()
        results.close(resultsLane)
        sinkGroup.wait()

        let failure = pool.error ?? sink.error
        for (slot, input) in opened.enumerated() {
            let status = self.status(of: input, stop: stop, failure: failure)
            let error: String? = if case .failed(let message) = status { message } else { nil }
            try store.finishRun(input.run, status: runStatus(status), counts: input.runCounts, error: error)
            let decoder = input.stage.decoderCounters
            reports[input.position] = InputReport(
                input: input.location.description, status: status, progress: input.counters.snapshot,
                decodedFrames: decoder.decodedFrames, corruptPackets: decoder.corruptPackets,
                topClasses: sink.topLabelCounts[slot].sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                    .map { (classIndex: $0.key, frames: $0.value) })
        }
        return configuration.inputs.indices.compactMap { reports[$0] }
    }

    /// One input, opened and registered: its reader inside a decode stage, its run and writer.
    private struct OpenedInput {
        let position: Int
        let location: InputLocation
        let stage: DecodeStage
        let counters: InputCounters
        let run: RunID
        let writer: FrameWriter

        var runCounts: RunCounts {
            let now = counters.snapshot
            return RunCounts(decoded: now.sampled, labeled: now.labeled, dropped: now.dropped)
        }
    }

    private func open(_ input: PipelineConfiguration.Input, position: Int, frames: FrameQueue<PendingFrame>) throws
        -> OpenedInput
    {
        let location = input.location
        let reader = try FrameReader(input: location, options: input.decoder, spec: .googLeNet, logger: logger) { [logger] event in
            logger.notice("\(event)", metadata: ["input": "\(location)"])
        }
        let source = try store.register(source: SourceDescriptor(uri: location.description, kind: sourceKind(location)))
        if configuration.restart { try store.deleteFrames(of: source) }
        let alreadyStored = try store.storedFrameIndices(of: source)
        if !alreadyStored.isEmpty {
            logger.info("resuming: frames already stored are skipped", metadata: [
                "input": "\(location)", "stored": "\(alreadyStored.count)",
            ])
        }
        let run = try store.beginRun(RunSettings(
            source: source, precision: model.numerics.precision.rawValue, sampling: describe(input.decoder), modelSHA256: model.sha256))
        let counters = InputCounters(duration: reader.duration)
        let lane = frames.addLane(capacity: configuration.queueCapacity, policy: configuration.backpressure(for: input))
        let stage = DecodeStage(input: position, reader: reader, queue: frames, lane: lane,
                                alreadyStored: alreadyStored, counters: counters)
        return OpenedInput(position: position, location: location, stage: stage, counters: counters, run: run,
                           writer: try store.makeWriter(run: run))
    }

    private func status(of input: OpenedInput, stop: StopRequest, failure: (any Error)?) -> InputReport.Status {
        if let failure { return .failed("\(failure)") }
        switch input.stage.outcome {
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

    private func sourceKind(_ location: InputLocation) -> SourceKind {
        switch location.kind {
        case .file: .file
        case .rtsp: .rtsp
        case .http: .http
        case .otherURL: .stream
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
