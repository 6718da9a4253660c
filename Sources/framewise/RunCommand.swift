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
            `${NAME}` in an input is replaced by the environment variable NAME: keep passwords out of the arguments.
            Files (local or over HTTP) resume: frames already stored are skipped (--restart redoes them). Every
            run of a live stream is a new session that stores every frame it labels.
            Examples:
              framewise run lobby.mp4 --every 5
              CAMERA_PASSWORD=... framewise run 'rtsp://viewer:${CAMERA_PASSWORD}@camera/stream' --fps 2 --db lobby.sqlite
              framewise run pipelines/file-example.yaml
            """)

    @Argument(help: "Video files, stream URLs, or one pipeline file.")
    var inputs: [String]

    @OptionGroup var database: DatabaseLocation
    @OptionGroup var model: ModelOption

    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var answers: AnswerOptions
    @OptionGroup var pool: WorkerPoolOptions
    @Option(help: "Decoding work to leave out: full, skip-loop-filter, skip-nonref (with --fps) or both joined by +.")
    var decoding: String?
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

    func run() async throws {
        try await exitingOnError { try await runPipeline() }
    }

    private func runPipeline() async throws {
        let logger = CommandLineLogging.logger(label: "framewise.run", quiet: quiet)
        let configuration = try makeConfiguration()
        try configuration.validate()
        let loaded = try model.load(directory: configuration.modelDirectory)
        let databasePath = database.explicitPath ?? configuration.databasePath ?? database.path
        let location = try LabelDatabaseLocation(databasePath)
        let store = try location.openForWriting()
        let numerics = try loaded.numerics(for: configuration.precision)
        let runner = PipelineRunner(configuration: configuration, model: LoadedModel(loaded, numerics: numerics), store: store,
                                    logger: logger)

        let display = ProgressDisplay(quiet: quiet)
        let service = PipelineService { stop in
            try runner.run(stop: stop, progressInterval: display.interval) { display.show($0) }
        }
        service.stop.onChange { level in
            display.note(level == .immediate ? "stopping now" : "stopping: finishing the frames in flight (Ctrl-C again to stop at once)")
        }
        let started = Date()
        try await service.runUntilDone(logger: logger)
        let reports = service.outcome ?? []
        display.finish()

        let elapsed = Date().timeIntervalSince(started)
        RunSummary(reports: reports, elapsed: elapsed, databasePath: location.description, labels: loaded.labels).print()
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
            if sampling.isGiven || answers.givesViews || decoding != nil || transport != nil || stallTimeout != nil {
                throw ConfigurationError(message: "sampling and input options go into the pipeline file \(path), not on the command line")
            }
            configuration = try PipelineFile.load(path: path)
        } else {
            configuration = PipelineConfiguration(name: "command line", inputs: try inputs.map(makeInput))
        }
        if let directory = model.directory { configuration.modelDirectory = directory }
        try answers.apply(to: &configuration)
        try pool.apply(to: &configuration)
        if let queue { configuration.queueCapacity = try checked(queue, "--queue", OptionLimits.queue) }
        if let whenFull {
            guard let policy = BackpressurePolicy(rawValue: whenFull) else {
                throw ConfigurationError(message: "--when-full must be drop_oldest or wait, found '\(whenFull)'")
            }
            configuration.liveBackpressure = policy
        }
        configuration.restart = configuration.restart || restart
        return configuration
    }

    /// One input from the command line, `${NAME}` references expanded, with the sampling options given.
    private func makeInput(_ text: String) throws -> PipelineConfiguration.Input {
        let expanded: String
        do {
            expanded = try EnvironmentReferences.expand(text, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ConfigurationError(message: "an input refers to the environment: \(error)")
        }
        let location = try InputLocation(expanded)
        var options = PipelineConfiguration.Input.defaultDecoderOptions(for: location)
        try sampling.apply(to: &options)
        options.views = try answers.frameViews()
        if let decoding { options.shortcuts = try decodingShortcuts(decoding, "--decoding") }
        if let transport {
            guard let value = RTSPTransport(rawValue: transport) else {
                throw ConfigurationError(message: "--transport must be tcp or udp, found '\(transport)'")
            }
            options.rtspTransport = value
        }
        if let stallTimeout { options.stallTimeout = try checked(stallTimeout, "--stall-timeout", OptionLimits.timeout) }
        return PipelineConfiguration.Input(location: location, decoder: options)
    }
}
