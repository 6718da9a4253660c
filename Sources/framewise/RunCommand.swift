import ArgumentParser
import Foundation
import GoogLeNet
import LabelStore
import Logging
import Pipeline
import VideoDecoding

/// `framewise run`: label videos (or the inputs of a pipeline file) and store the answers.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Label every sampled frame of the inputs and store the top-5 labels in SQLite.",
        discussion: """
            INPUT is a video file, an rtsp:// or http(s):// URL, or a pipeline file (.yaml, see pipelines/README.md).
            Frames already stored for an input are skipped, so an interrupted run resumes; --restart redoes them.
            Examples:
              framewise run lobby.mp4 --every 5
              framewise run rtsp://user:pass@camera/stream --fps 2 --db lobby.sqlite
              framewise run pipelines/file-example.yaml
            """)

    @Argument(help: "Video files, stream URLs, or one pipeline file.")
    var inputs: [String]

    @OptionGroup var database: DatabaseLocation
    @OptionGroup var model: ModelOption

    @Option(help: "Sample every Nth frame (0, N, 2N, ...).")
    var every: Int?
    @Option(help: "Sample X frames per second of presentation time.")
    var fps: Double?
    @Flag(help: "Sample key frames only (the others are not decoded).")
    var keyframes = false
    @Option(help: "Start at T seconds.")
    var start: Double?
    @Option(help: "Stop at T seconds.")
    var end: Double?

    @Option(help: "Compute in fp32 (default), bf16 (CPUs with AVX512_BF16) or int8 (after `framewise model calibrate`).")
    var precision: Precision?

    @Option(help: "GoogLeNet workers (default: the number of cores).")
    var workers: Int?
    @Option(help: "Frames per inference call (micro-batching; a batch waits at most --batch-deadline).")
    var batch: Int?
    @Option(help: "Seconds a worker waits to fill a batch.")
    var batchDeadline: Double?
    @Option(help: "RTSP transport: tcp or udp.")
    var transport: String?
    @Option(help: "Seconds without frames after which a live input counts as dead.")
    var stallTimeout: Double?
    @Option(help: "Frames that may wait per input between the decoder and the workers.")
    var queue: Int?
    @Option(help: "What a live input's full queue does: drop_oldest or wait.")
    var whenFull: String?

    @Flag(help: "Redo frames that are already stored instead of skipping them.")
    var restart = false
    @Flag(help: "Print errors and the summary only.")
    var quiet = false

    func validate() throws {
        if [every != nil, fps != nil, keyframes].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --every, --fps and --keyframes")
        }
        if let every, every < 1 { throw ValidationError("--every must be at least 1") }
        if let fps, !(fps > 0) { throw ValidationError("--fps must be positive") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        if let queue, queue < 1 { throw ValidationError("--queue must be at least 1") }
        if let start, let end, end <= start { throw ValidationError("--end must be after --start") }
    }

    func run() async throws {
        try await exitingOnError { try runPipeline() }
    }

    private func runPipeline() throws {
        let logger = CommandLineLogging.logger(label: "framewise.run", quiet: quiet)
        let configuration = try makeConfiguration()
        let loaded = try model.load(directory: configuration.modelDirectory)
        let store = try LabelStore(path: configuration.databasePath)
        let numerics = try loaded.numerics(for: configuration.precision)
        let runner = PipelineRunner(configuration: configuration, model: loaded.pipelineModel(numerics: numerics), store: store,
                                    logger: logger)

        let stop = StopRequest()
        let stopper = SignalStopper(stop: stop)
        let display = ProgressDisplay(quiet: quiet)
        stop.onChange { level in
            display.note(level == .immediate ? "stopping now" : "stopping: finishing the frames in flight (Ctrl-C again to stop at once)")
        }
        let started = Date()
        let reports = try runner.run(stop: stop, progressInterval: display.interval) { display.show($0) }
        withExtendedLifetime(stopper) {}
        display.finish()

        let elapsed = Date().timeIntervalSince(started)
        RunSummary(reports: reports, elapsed: elapsed, databasePath: configuration.databasePath, labels: loaded.labels).print()
        if reports.contains(where: { if case .failed = $0.status { true } else { false } }) {
            throw ExitCode.failure
        }
        if reports.contains(where: { $0.status == .interrupted }) { throw ExitCode(130) }
    }

    /// The run's configuration: a pipeline file's, with the options given here taking precedence, or one
    /// built from the options alone.
    private func makeConfiguration() throws -> PipelineConfiguration {
        var configuration: PipelineConfiguration
        if inputs.count == 1, let path = inputs.first, path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            if every != nil || fps != nil || keyframes || start != nil || end != nil || transport != nil || stallTimeout != nil {
                throw ValidationError("sampling and input options go into the pipeline file \(path), not on the command line")
            }
            configuration = try PipelineFile.load(path: path)
        } else {
            configuration = PipelineConfiguration(name: "command line", inputs: try inputs.map(makeInput))
            configuration.databasePath = database.path
        }
        if let path = database.explicitPath { configuration.databasePath = path }
        if let directory = model.directory { configuration.modelDirectory = directory }
        if let precision { configuration.precision = precision }
        if let workers { configuration.workers = workers }
        if let batch { configuration.batch = batch }
        if let batchDeadline { configuration.batchDeadline = batchDeadline }
        if let queue { configuration.queueCapacity = queue }
        if let whenFull {
            guard let policy = BackpressurePolicy(rawValue: whenFull) else {
                throw ValidationError("--when-full must be drop_oldest or wait")
            }
            configuration.liveBackpressure = policy
        }
        configuration.restart = configuration.restart || restart
        return configuration
    }

    private func makeInput(_ text: String) throws -> PipelineConfiguration.Input {
        let location = try InputLocation(text)
        var options = PipelineConfiguration.Input.defaultDecoderOptions(for: location)
        if let every { options.sampling = .everyNth(every) }
        if let fps { options.sampling = .framesPerSecond(fps) }
        if keyframes { options.sampling = .keyframes }
        options.window = TimeWindow(start: start ?? 0, end: end)
        if let transport {
            guard let value = RTSPTransport(rawValue: transport) else { throw ValidationError("--transport must be tcp or udp") }
            options.rtspTransport = value
        }
        if let stallTimeout { options.stallTimeout = stallTimeout }
        return PipelineConfiguration.Input(location: location, decoder: options)
    }
}
