import ArgumentParser
import GoogLeNet
import Pipeline
import VideoDecoding

/// Which frames of an input are labelled: `run` and `enqueue` take the same options.
struct SamplingOptions: ParsableArguments {
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

    /// Whether any of these options was given.
    var isGiven: Bool { every != nil || fps != nil || keyframes || start != nil || end != nil }

    /// Sets the sampling and the window of `options`, each value checked against `OptionLimits`.
    func apply(to options: inout DecoderOptions) throws {
        if [every != nil, fps != nil, keyframes].filter({ $0 }).count > 1 {
            throw ConfigurationError(message: "choose one of --every, --fps and --keyframes")
        }
        if let every { options.sampling = .everyNth(try checked(every, "--every", OptionLimits.every)) }
        if let fps { options.sampling = .framesPerSecond(try checked(fps, "--fps", OptionLimits.fps)) }
        if keyframes { options.sampling = .keyframes }
        let window = TimeWindow(start: try checked(start ?? 0, "--start", OptionLimits.position),
                                end: try end.map { try checked($0, "--end", OptionLimits.position) })
        if let end = window.end, end <= window.start {
            throw ConfigurationError(message: "--end must be after --start (\(window.start)), found \(end)")
        }
        options.window = window
    }
}

/// What the network sees of each frame and what its answers are gathered into: views, regions, categories.
struct AnswerOptions: ParsableArguments {
    @Option(name: .customLong("view"), help: "What the network sees: center (default), full or tiles (repeat for several; the first is what `predictions` shows).")
    var views: [String] = []
    @Option(name: .customLong("region"), help: "A named part of the frame as its own view: NAME=x,y,width,height in fractions of the frame (repeatable).")
    var regions: [String] = []
    @Option(name: .customLong("category"), help: "A WordNet category to score instead of the everyday set (a word or a wnid; repeatable; see `framewise categories`).")
    var categories: [String] = []
    @Flag(help: "Score no categories.")
    var noCategories = false
    @Option(name: .customLong("head"), help: "Apply a trained head: HEAD (on the view it was trained on, else the first) or VIEW=HEAD (repeatable; see `framewise heads`).")
    var heads: [String] = []
    @Option(help: "Which frames' feature vectors are stored for `framewise similar`: off, thumbnails (default: the frames with a picture) or all.")
    var features: FeatureStorage?

    /// Whether a view or region was given.
    var givesViews: Bool { !views.isEmpty || !regions.isEmpty }

    /// The views in the order given (with no --view, the centre crop), the regions after them.
    func frameViews() throws -> [FrameView] {
        var chosen: [FrameView] = try views.map { name in
            guard let view = FrameView(builtIn: name) else {
                throw ConfigurationError(message: "--view must be center, full or tiles (regions: --region NAME=x,y,w,h), found '\(name)'")
            }
            return view
        }
        if chosen.isEmpty { chosen = [.center] }
        return chosen + (try regions.map(regionView))
    }

    /// Sets the categories of `configuration` when one was given (or none asked for).
    func apply(to configuration: inout PipelineConfiguration) throws {
        if noCategories, !categories.isEmpty {
            throw ConfigurationError(message: "choose --category or --no-categories")
        }
        if noCategories { configuration.categories = [] }
        if !categories.isEmpty { configuration.categories = categories }
        if !heads.isEmpty { configuration.heads = try heads.map(HeadUse.init) }
        if let features { configuration.features = features }
    }
}

/// How the frames are labelled and what is kept: `run` and `work` take the same options.
struct WorkerPoolOptions: ParsableArguments {
    @Option(help: "Compute in fp32 (default), bf16 (CPUs with AVX512_BF16) or int8 (after `framewise model calibrate`).")
    var precision: Precision?
    @Option(help: "GoogLeNet workers (default: the number of cores).")
    var workers: Int?
    @Option(help: "Frames per inference call (micro-batching; a batch waits at most --batch-deadline).")
    var batch: Int?
    @Option(help: "Seconds a worker waits to fill a batch.")
    var batchDeadline: Double?
    @Option(help: "Which frames keep a small JPEG: off, segments (the first frame of each top-1 segment) or every=SECONDS (those and one every SECONDS).")
    var thumbnails: String?

    /// Overrides `configuration`'s values with the options given, each checked against `OptionLimits`.
    func apply(to configuration: inout PipelineConfiguration) throws {
        if let precision { configuration.precision = precision }
        if let workers { configuration.workers = try checked(workers, "--workers", OptionLimits.workers) }
        if let batch { configuration.batch = try checked(batch, "--batch", OptionLimits.batch) }
        if let batchDeadline {
            configuration.batchDeadline = try checked(batchDeadline, "--batch-deadline", OptionLimits.batchDeadline)
        }
        if let thumbnails {
            do {
                configuration.thumbnails = try ThumbnailPolicy(thumbnails)
            } catch {
                throw ConfigurationError(message: "--thumbnails: \(error.message)")
            }
        }
    }
}

extension FeatureStorage: ExpressibleByArgument {}

/// A `--region NAME=x,y,width,height` option's view, else its one-line error.
func regionView(_ text: String) throws -> FrameView {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw ConfigurationError(message: "--region must be NAME=x,y,width,height, found '\(text)'") }
    do {
        return .region(try RegionOfFrame(name: parts[0], text: parts[1]))
    } catch {
        throw ConfigurationError(message: "--region \(error)")
    }
}

/// `text` read as decoding shortcuts (`full`, `skip-loop-filter`, ...), else the option's one-line error.
func decodingShortcuts(_ text: String, _ option: String) throws -> DecodingShortcuts {
    guard let shortcuts = DecodingShortcuts(text) else {
        throw ConfigurationError(message: "\(option) must be \(DecodingShortcuts.choices), found '\(text)'")
    }
    return shortcuts
}

/// `value` if `range` allows it, else the option's one-line error.
func checked(_ value: Int, _ option: String, _ range: ClosedRange<Int>) throws -> Int {
    if let violation = range.violation(of: value) { throw ConfigurationError(message: "\(option) \(violation)") }
    return value
}

/// `value` if `limit` allows it, else the option's one-line error.
func checked(_ value: Double, _ option: String, _ limit: NumberLimit) throws -> Double {
    if let violation = limit.violation(of: value) { throw ConfigurationError(message: "\(option) \(violation)") }
    return value
}
