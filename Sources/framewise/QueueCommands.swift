import ArgumentParser
import Foundation
import LabelStore
import Logging
import Pipeline
import VideoDecoding
import GoogLeNet

/// `framewise enqueue`: adds files to the database's shared job queue, for `framewise work` on any machine.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Add files to the shared job queue of the database (labelled by `framewise work`).",
        discussion: """
            Each INPUT becomes one job. A path is stored absolute: every worker must be able to read it (shared
            storage), or give a URL. A URL's password must be a ${VARIABLE} reference, expanded by each worker
            from its environment. Enqueueing an input that is still queued or running with the same sampling adds
            nothing. A file whose stored frames were decoded otherwise than --decoding says is refused (its frames
            never mix two modes). Examples:
              framewise enqueue /srv/recordings/2026-11-*.mp4 --every 5 --db postgres://framewise@db/framewise
              framewise enqueue /srv/recordings/2026-12-*.mp4 --fps 2 --decoding skip-nonref
              framewise enqueue 'https://archive.example/lobby.mp4?token=${ARCHIVE_TOKEN}' --fps 2 --priority 10
            """)

    @Argument(help: "Video files (paths every worker can read) or URLs.")
    var inputs: [String]

    @OptionGroup var database: DatabaseLocation
    @OptionGroup var sampling: SamplingOptions

    @Option(help: "Decoding work to leave out: full, skip-loop-filter, skip-nonref (with --fps) or both joined by +.")
    var decoding = "full"

    @Option(help: "Higher runs first (default 0); equal priorities run in the order enqueued.")
    var priority = 0

    func run() async throws {
        try await exitingOnError {
            var options = DecoderOptions()
            try sampling.apply(to: &options)
            options.shortcuts = try decodingShortcuts(decoding, "--decoding")
            let environment = ProcessInfo.processInfo.environment
            let location = try database.location()
            // Every input is checked before any is added.
            let queued = try inputs.map { try QueuedInput(enqueueing: $0, decoder: options, environment: environment) }
            let store = try location.openForWriting()
            defer { try? store.close() }
            for input in queued { try input.checkDecoding(against: store) }
            let queue = try JobQueue(location: location)
            defer { queue.close() }
            for input in queued {
                let request = input.request(priority: priority)
                let described = self.described(request)
                switch try queue.enqueue(request) {
                case .added(let id): print("job \(id): \(described)")
                case .alreadyOpen(let id, request.decoding): print("job \(id) is already queued or running: \(described)")
                case .alreadyOpen(let id, let other):
                    throw ConfigurationError(message: "\(described): job \(id) is already queued or running with decoding \(other)")
                }
            }
        }
    }

    /// The job in words: its input as it may be printed (its secrets are references, but a user name is redacted
    /// too), its sampling, and its decoding unless full.
    private func described(_ request: JobRequest) -> String {
        let input = (try? InputLocation(request.input).description) ?? request.input
        let decoding = request.decoding == DecodingShortcuts.none.description ? "" : ", \(request.decoding)"
        return "\(input) (\(request.sampling)\(decoding))"
    }
}

/// `framewise work`: labels the files of the shared job queue, one job at a time, until stopped.
struct WorkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "work",
        abstract: "Label the files of the shared job queue (run one per machine; jobs are shared out).",
        discussion: """
            Claims a job, labels it, and the next. A job's lease is renewed while it runs; when a worker dies,
            another takes its job over after the lease and resumes it from the frames already stored, so every
            frame is stored once. Ctrl-C (SIGTERM) finishes the frames in flight and puts the job back in the
            queue; a second one stops at once. Example:
              framewise work --db postgres://framewise@db/framewise --workers 2
            """)

    @OptionGroup var database: DatabaseLocation
    @OptionGroup var model: ModelOption
    @OptionGroup var pool: WorkerPoolOptions

    @Option(help: "Seconds a job is held without renewal before another worker may take it over.")
    var lease: Double = 30
    @Option(help: "Seconds between looks at an empty queue.")
    var poll: Double = 2
    @Flag(help: "Stop once no job is queued or running.")
    var untilEmpty = false
    @Flag(help: "Print errors and the summary only.")
    var quiet = false

    func run() async throws {
        try await exitingOnError { try await work() }
    }

    private func work() async throws {
        let logger = CommandLineLogging.logger(label: "framewise.work", quiet: quiet)
        var configuration = PipelineConfiguration(name: "work", inputs: [])
        configuration.modelDirectory = model.directory
        try pool.apply(to: &configuration)
        let settings = QueueWorker.Settings(
            lease: try checked(lease, "--lease", OptionLimits.lease), idlePoll: try checked(poll, "--poll", OptionLimits.timeout),
            untilEmpty: untilEmpty)
        let loaded = try model.load(directory: configuration.modelDirectory)
        let location = try database.location()
        let store = try location.openForWriting()
        let queue = try JobQueue(location: location)
        let worker = QueueWorker(
            queue: queue, configuration: configuration,
            model: LoadedModel(loaded, numerics: try loaded.numerics(for: configuration.precision)), store: store,
            settings: settings, logger: logger)

        let service = PipelineService { stop in try worker.run(stop: stop) }
        try await service.runUntilDone(logger: logger)
        let summary = service.outcome ?? .init()
        print("work: \(summary.completed) completed, \(summary.failed) failed, \(summary.unfinished) not finished")
    }
}

/// `framewise jobs`: the shared job queue, one row per job, with its progress.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "List the jobs of the shared queue: state, worker, attempts and progress.")

    @OptionGroup var database: DatabaseLocation

    @Option(help: "Output format: \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ResultFormat = .table

    func run() async throws {
        try await exitingOnError {
            let reader = try database.location().openReadOnly()
            try reader.printJobs(into: ResultPrinter.standardOutput(format))
        }
    }
}
