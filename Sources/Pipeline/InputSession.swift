import Foundation
import LabelStore
import Logging
import Metrics
import VideoDecoding
import GoogLeNet
import Synchronization

/// Why an input failed, keeping what the decoder said of its kind: a `permanent` failure (a refused password,
/// a missing file, an unsupported codec) comes back the same when tried again, a transient one (a network error,
/// a timeout) may not. The daemon retries permanent failures slowly and the queue fails their jobs at once.
package struct InputFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line naming the input (redacted).
    package let message: String
    package let isPermanent: Bool
    /// A missing file whose directory is missing too: this machine's storage is at fault (a stale mount),
    /// not the input.
    package let isStorageMissing: Bool

    init(_ message: String, isPermanent: Bool = false, isStorageMissing: Bool = false) {
        self.message = message
        self.isPermanent = isPermanent
        self.isStorageMissing = isStorageMissing
    }

    init(_ error: DecodingError, location: InputLocation) {
        var storageMissing = false
        if error.kind == .notFound, location.kind == .file {
            let directory = URL(fileURLWithPath: location.description).deletingLastPathComponent().path
            storageMissing = !FileManager.default.fileExists(atPath: directory)
        }
        self.init(error.description, isPermanent: error.kind.isPermanent, isStorageMissing: storageMissing)
    }

    package var description: String { message }
}

extension DecodingError.Kind {
    /// Whether opening the same input again would fail the same way (until someone changes the input, the
    /// camera's account or the file).
    var isPermanent: Bool {
        switch self {
        case .notFound, .permissionDenied, .isDirectory, .notMedia, .noVideoStream, .unsupportedCodec, .invalidURL,
             .authenticationFailed: true
        case .connectionRefused, .unknownHost, .timedOut, .cancelled, .reconnectGaveUp, .failed: false
        }
    }
}

/// One opened input, from `open` until its run is recorded: it owns its run's bookkeeping — the
/// one-reader-per-source reservation, the source's registration, resume (a file's stored frames) or a live
/// session's numbering, the run's row, the writer and how the run ended — while the long-lived
/// `LabellingStages` only carry its frames. Its frames carry its `InputTag`; the sink holds its `SinkInput`.
///
/// Ownership: the decode stage (and its reader) belongs to the thread that runs the session, the `SinkInput`
/// to the sink's thread; the counters are atomics anyone may read.
final class InputSession: Sendable {
    /// The input's place among the configured inputs (for reports in the order given).
    let position: Int
    let location: InputLocation
    /// How its source is known in the database (the one-reader-per-source check holds it).
    let identity: SourceDescriptor
    /// A live stream (a session that stores every frame it labels) rather than a file.
    let isLive: Bool
    let tag: InputTag
    let decoder: DecodeStage
    let record: SinkInput
    private let stages: LabellingStages

    private init(position: Int, location: InputLocation, identity: SourceDescriptor, isLive: Bool, tag: InputTag,
                 decoder: DecodeStage, record: SinkInput, stages: LabellingStages)
    {
        self.position = position
        self.location = location
        self.identity = identity
        self.isLive = isLive
        self.tag = tag
        self.decoder = decoder
        self.record = record
        self.stages = stages
    }

    var counters: InputCounters { tag.counters }

    /// Opens one input of `configuration` into `stages`: reserves its source, opens the reader, registers the
    /// source and begins its run. A reason it cannot run (cannot open; its source is already being read;
    /// `--restart` on a live stream) is thrown as an `InputFailure`; a database error as it is.
    ///
    /// One reader per source: a network input is known by its redacted URL, so a second reader of a stream
    /// already being read is refused before it connects (cameras allow few sessions); a file is known by its
    /// content, read once it has opened.
    static func open(_ input: PipelineConfiguration.Input, position: Int, of configuration: PipelineConfiguration,
                     into stages: LabellingStages, onEvent: (@Sendable (DecoderEvent) -> Void)? = nil) throws -> InputSession
    {
        let location = input.location
        let logger = stages.logger
        let categories = try stages.categories.scoring(for: configuration.categories, in: stages.store, logger: logger)
        let heads = try HeadCatalog.resolve(configuration.heads, views: input.decoder.views.map(\.name), model: stages.model,
                                            store: stages.store, logger: logger)
        var reserved: SourceDescriptor?
        if location.isNetwork {
            let identity = try identity(of: location)
            try stages.reserve(identity, for: location)
            reserved = identity
        }
        do {
            var options = input.decoder
            options.thumbnailWidth = configuration.thumbnails == .off ? nil : ThumbnailScaler.defaultWidth
            let reader: FrameReader
            do {
                reader = try FrameReader(input: location, options: options, spec: .googLeNet, logger: logger) { event in
                    logger.notice("\(event)", metadata: ["input": "\(location)"])
                    onEvent?(event)
                }
            } catch {
                throw InputFailure(error, location: location)
            }
            if configuration.restart, reader.isLive {
                throw InputFailure(ConfigurationError.restartOfLiveInput(location).message, isPermanent: true)
            }
            let identity = try reserved ?? identity(of: location)
            if reserved == nil {
                try stages.reserve(identity, for: location)
                reserved = identity
            }
            return try begin(reader: reader, identity: identity, input: input, position: position, of: configuration,
                             categories: categories, heads: heads, in: stages)
        } catch {
            if let reserved { stages.release(reserved) }
            throw error
        }
    }

    private static func identity(of location: InputLocation) throws -> SourceDescriptor {
        do {
            return try SourceIdentity.descriptor(for: location)
        } catch {
            throw InputFailure("\(error)", isPermanent: true)
        }
    }

    private static func begin(reader: FrameReader, identity: SourceDescriptor, input: PipelineConfiguration.Input,
                              position: Int, of configuration: PipelineConfiguration,
                              categories: (scoring: CategoryScoring, names: [Int64: String]), heads: HeadCatalog.Resolved,
                              in stages: LabellingStages) throws
        -> InputSession
    {
        let store = stages.store
        let location = input.location
        let registration = try store.register(source: identity)
        if let previous = registration.supersedes {
            stages.logger.notice("new content at a known path: labelled as a new source; the old frames stay under the old one",
                                 metadata: ["input": "\(location)", "source": "\(registration.id)", "previousSource": "\(previous)"])
        }
        var frameIndexBase: Int64 = 0
        var alreadyStored = StoredFrameIndices()
        if reader.isLive {
            frameIndexBase = try store.nextFrameIndex(of: registration.id)
        } else {
            if configuration.restart { try store.deleteFrames(of: registration.id) }
            alreadyStored = try store.storedFrameIndices(of: registration.id)
            if !alreadyStored.isEmpty, let mismatch = DecodingMismatch(
                input: location.description, stored: try store.decodingModes(ofStoredFramesOf: registration.id),
                wanted: input.decoder.shortcuts, decoder: "this run", remedy: "give the same decoding to resume, or --restart")
            {
                throw InputFailure(mismatch.description, isPermanent: true)
            }
            if !alreadyStored.isEmpty {
                stages.logger.info("resuming: frames already stored are skipped",
                                   metadata: ["input": "\(location)", "stored": "\(alreadyStored.count)"])
            }
        }
        let run = try store.beginRun(RunSettings(
            source: registration.id, precision: stages.model.numerics.precision.rawValue, sampling: input.decoder.summary,
            modelSHA256: stages.model.sha256, decoding: input.decoder.shortcuts.description, live: reader.isLive,
            views: input.decoder.views.map(\.name).joined(separator: ","), features: configuration.features.rawValue,
            heads: heads.description))
        let frameAges = reader.isLive ? Metrics.Timer(label: "framewise_frame_age_seconds",
            dimensions: [("pipeline", configuration.name), ("input", location.description)], factory: stages.metrics) : nil
        let tag = stages.makeTag(counters: InputCounters(duration: reader.duration, frameAges: frameAges),
                                scoring: InputScoring(categories: categories.scoring, heads: heads.scorings,
                                                      keepsFeatures: configuration.features != .off))
        let writer: FrameWriter
        do {
            writer = try store.makeWriter(run: run) { [stages] outcome in stages.recordBatch(outcome, of: tag.counters) }
        } catch {
            try? store.finishRun(run, status: .failed, counts: RunCounts(), error: "not started: \(error)")
            throw error
        }
        let policy = reader.isLive ? configuration.liveBackpressure : .wait
        let lane = stages.frames.addLane(capacity: configuration.queueCapacity, policy: policy)
        let pictures = FramePictures(capacity: configuration.queueCapacity + stages.picturesInFlight)
        let stored = alreadyStored
        let decoder = DecodeStage(reader: reader, input: tag, queue: stages.frames, lane: lane, pictures: pictures) {
            stored.contains($0)
        }
        let record = SinkInput(
            tag: tag, source: registration.id, run: run, writer: writer, frameIndexBase: frameIndexBase, pictures: pictures,
            classNames: stages.model.classes.map(\.label),
            subjectNames: [VocabularyAnswers.category: categories.names, VocabularyAnswers.head: heads.names],
            features: configuration.features,
            timeline: InputTimeline(thumbnails: configuration.thumbnails, appearances: configuration.appearances))
        stages.sink.register(record)
        return InputSession(position: position, location: location, identity: identity, isLive: reader.isLive, tag: tag,
                            decoder: decoder, record: record, stages: stages)
    }

    /// Runs the input to its end (or a stop) on the calling thread: decodes it, waits until the workers and the
    /// sink are done with its frames, and records how its run ended.
    func run(stop: StopRequest) -> InputReport {
        stages.track(self)
        let observation = stop.onChange { [decoder] level in
            decoder.stop()
            if level == .immediate { decoder.dropWaitingFrames() }
        }
        if stop.level > .none { decoder.stop() }
        let outcome = decoder.run()
        // Frames still with the workers finish, unless stopping at once or the workers have failed.
        while tag.framesInFlight.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            if stop.level == .immediate || stages.failure != nil { decoder.dropWaitingFrames() }
        }
        stages.sink.end(tag)
        record.writerClosed.wait()
        stop.remove(observation)
        stages.untrack(self)
        defer { stages.release(identity) }
        return finish(status: status(of: outcome, stop: stop))
    }

    /// Ends the run of an input that was opened but will not run (another input's database error), as failed.
    func abandon(because error: any Error) {
        decoder.stop()
        _ = decoder.run()
        stages.sink.unregister(tag)
        try? record.writer.close()
        try? stages.store.finishRun(record.run, status: .failed, counts: counters.snapshot.counts,
                                    error: "not started: \(error)")
        stages.release(identity)
    }

    /// Writes the counters so far to the run's row (so a killed run shows how far it got).
    func recordProgress() {
        try? stages.store.recordProgress(of: record.run, counts: counters.snapshot.counts)
    }

    private func finish(status: InputReport.Status) -> InputReport {
        var status = status
        var counts = counters.snapshot
        if case .failed = status, counts.inFlight > 0 {
            // Frames a failing worker held when the run broke off.
            counters.dropped.add(counts.inFlight, ordering: .relaxed)
            counts = counters.snapshot
        }
        let error: String? = if case .failed(let failure) = status { failure.message } else { nil }
        do {
            try recordingOnceReachable {
                try stages.store.finishRun(record.run, status: status.runStatus, counts: counts.counts, error: error)
            }
        } catch {
            stages.logger.error("cannot record the end of the run", metadata: ["input": "\(location)", "error": "\(error)"])
            if case .failed = status {} else { status = .failed(InputFailure("cannot record the end of the run: \(error)")) }
        }
        return InputReport(input: location.description, status: status, isLive: isLive, progress: counts,
                           topClasses: record.topClasses)
    }

    /// How long the end of a run is tried again while the database cannot be reached (a PostgreSQL server
    /// restarting), so that how the run ended is recorded once it is back.
    static let endRecordingPatience: Duration = .seconds(30)

    /// Runs `record`, trying again every second while the database cannot be reached, for up to
    /// `endRecordingPatience`; any other error is thrown at once.
    private func recordingOnceReachable(_ record: () throws -> Void) throws {
        let deadline = ContinuousClock.now + Self.endRecordingPatience
        while true {
            do {
                return try record()
            } catch LabelStoreError.cannotOpen where ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    private func status(of outcome: DecodeOutcome, stop: StopRequest) -> InputReport.Status {
        if let failure = stages.failure { return .failed(InputFailure("\(failure)")) }
        switch outcome {
        case .failed(let error): return .failed(InputFailure(error, location: location))
        case .stopped: return .interrupted
        case .finished: return stop.level > .none ? .interrupted : .completed
        }
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
