import Foundation
import GoogLeNet
import VideoDecoding
import Yams

/// Reads a pipeline definition (YAML, schema in `pipelines/README.md`) into a `PipelineConfiguration`.
///
/// Every mistake is reported with the file, the line and the dotted key: unknown keys, wrong types,
/// out-of-range values, undefined `${VARIABLE}` references. Credentials are best given as `${VARIABLE}`.
package enum PipelineFile {
    package static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> PipelineConfiguration
    {
        try read(YAMLFields.document(file: path, environment: environment), file: path)
    }

    package static func parse(_ text: String, file: String, environment: [String: String]) throws -> PipelineConfiguration {
        try read(YAMLFields.document(text, file: file, environment: environment), file: file)
    }

    private static func read(_ document: YAMLFields, file: String) throws -> PipelineConfiguration {
        var fields = document
        let name = try fields.string("name") ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent

        var sampling = SamplingPolicy.everyFrame
        var window = TimeWindow.whole
        if var section = try fields.mapping("sampling") {
            (sampling, window) = try readSampling(&section)
            try section.rejectUnknownKeys()
        }

        var shortcuts: DecodingShortcuts?
        if let decoding = try fields.string("decoding") {
            shortcuts = DecodingShortcuts(decoding)
            if shortcuts == nil { throw fields.error("decoding", "must be \(DecodingShortcuts.choices), found '\(decoding)'") }
        }

        var sourceSections: [YAMLFields] = []
        if let single = try fields.mapping("source") { sourceSections.append(single) }
        if let many = try fields.list("sources") { sourceSections += many }
        guard !sourceSections.isEmpty else { throw fields.error("source", "a pipeline needs a source (or a list of sources)") }
        let inputs = try sourceSections.map { section in
            var section = section
            let input = try readSource(&section, sampling: sampling, window: window, shortcuts: shortcuts)
            try section.rejectUnknownKeys()
            return input
        }

        var configuration = PipelineConfiguration(name: name, inputs: inputs)
        let views = try readViews(&fields)
        for index in configuration.inputs.indices { configuration.inputs[index].decoder.views = views }
        if let categories = try fields.strings("categories") { configuration.categories = categories }
        configuration.features = try fields.choice("features", of: FeatureStorage.self) ?? configuration.features
        configuration.heads = try readHeads(&fields)
        if var appearances = try fields.mapping("appearances") {
            configuration.appearances = try readAppearances(&appearances)
            try appearances.rejectUnknownKeys()
        }
        if var model = try fields.mapping("model") {
            configuration.modelDirectory = try model.string("directory").map(expandingTilde)
            configuration.precision = try model.choice("precision", of: Precision.self) ?? configuration.precision
            try model.rejectUnknownKeys()
        }
        configuration.workers = try fields.int("workers", in: OptionLimits.workers) ?? configuration.workers
        configuration.batch = try fields.int("batch", in: OptionLimits.batch) ?? configuration.batch
        if var queue = try fields.mapping("queue") {
            configuration.queueCapacity = try queue.int("capacity", in: OptionLimits.queue) ?? configuration.queueCapacity
            configuration.liveBackpressure = try queue.choice("when_full", of: BackpressurePolicy.self) ?? configuration.liveBackpressure
            configuration.batchDeadline = try queue.double("batch_deadline", in: OptionLimits.batchDeadline) ?? configuration.batchDeadline
            try queue.rejectUnknownKeys()
        }
        if let thumbnails = try fields.string("thumbnails") {
            do {
                configuration.thumbnails = try ThumbnailPolicy(thumbnails)
            } catch {
                throw fields.error("thumbnails", error.message)
            }
        }
        configuration.retention = try fields.period("retention")
        if var sink = try fields.mapping("sink") {
            configuration.databasePath = try sink.string("database").map(expandingTilde)
            try sink.rejectUnknownKeys()
        }
        try fields.rejectUnknownKeys()
        return configuration
    }

    /// `views: [center, tiles]` and `regions: {gate: [x, y, width, height]}`: the views in that order, the regions
    /// after them (with no `views:`, the centre crop and then the regions).
    private static func readViews(_ fields: inout YAMLFields) throws -> [FrameView] {
        var views: [FrameView] = [.center]
        if let names = try fields.strings("views") {
            views = try names.map { name in
                guard let view = FrameView(builtIn: name) else {
                    throw fields.error("views", "expected center, full or tiles (regions go under regions:), found '\(name)'")
                }
                return view
            }
        }
        if var regions = try fields.mapping("regions") {
            for name in regions.keys {
                guard let values = try regions.doubles(name, in: NumberLimit(atLeast: 0, atMost: 1)), values.count == 4 else {
                    throw regions.error(name, "expected [x, y, width, height] as fractions of the frame")
                }
                do {
                    views.append(.region(try RegionOfFrame(name: name, x: values[0], y: values[1], width: values[2],
                                                           height: values[3])))
                } catch {
                    throw regions.error(name, error.description)
                }
            }
        }
        guard Set(views.map(\.name)).count == views.count else { throw fields.error("views", "a view is given twice") }
        return views
    }

    /// `heads:` as a mapping of views to heads (`{gate: gate-state}`), or a list of `HEAD` / `VIEW=HEAD`.
    private static func readHeads(_ fields: inout YAMLFields) throws -> [HeadUse] {
        guard let node = fields.node("heads") else { return [] }
        if case .mapping = node {
            var heads = try fields.fields(of: node, key: "heads")
            let uses = try heads.keys.map { view in
                guard let head = try heads.string(view) else { throw heads.error(view, "expected a head's name") }
                return HeadUse(head: head, view: view)
            }
            try heads.rejectUnknownKeys()
            return uses
        }
        let texts: [String]
        switch node {
        case .scalar(let scalar): texts = [scalar.string]
        case .sequence(let items): texts = try items.map { item in
                guard case .scalar(let scalar) = item else { throw fields.error("heads", "expected a head's name, or VIEW=HEAD") }
                return scalar.string
            }
        default: throw fields.error("heads", "expected {VIEW: HEAD, ...} or a list of heads")
        }
        return try texts.map { text in
            do { return try HeadUse(text) } catch { throw fields.error("heads", "\(error)") }
        }
    }

    private static func readAppearances(_ section: inout YAMLFields) throws -> AppearanceThresholds {
        var thresholds = AppearanceThresholds()
        thresholds.enter = try section.double("enter", in: OptionLimits.appearanceScore).map(Float.init) ?? thresholds.enter
        thresholds.exit = try section.double("exit", in: OptionLimits.appearanceScore).map(Float.init) ?? thresholds.exit
        thresholds.frames = try section.int("frames", in: OptionLimits.appearanceFrames) ?? thresholds.frames
        thresholds.gap = try section.double("gap", in: OptionLimits.appearanceGap) ?? thresholds.gap
        if let conflict = thresholds.conflict { throw section.error("exit", conflict) }
        return thresholds
    }

    private static func readSampling(_ section: inout YAMLFields) throws -> (SamplingPolicy, TimeWindow) {
        var policies: [(String, SamplingPolicy)] = []
        if let every = try section.int("every", in: OptionLimits.every) { policies.append(("every", .everyNth(every))) }
        if let fps = try section.double("fps", in: OptionLimits.fps) { policies.append(("fps", .framesPerSecond(fps))) }
        if try section.bool("keyframes") == true { policies.append(("keyframes", .keyframes)) }
        if policies.count > 1 {
            throw section.error(policies[1].0, "choose one of every, fps and keyframes")
        }
        let start = try section.double("start", in: OptionLimits.position) ?? 0
        let end = try section.double("end", in: OptionLimits.position)
        if let end, end <= start { throw section.error("end", "must be after start (\(start))") }
        return (policies.first?.1 ?? .everyFrame, TimeWindow(start: start, end: end))
    }

    private static func readSource(_ section: inout YAMLFields, sampling: SamplingPolicy, window: TimeWindow,
                                   shortcuts: DecodingShortcuts?) throws
        -> PipelineConfiguration.Input
    {
        guard let uri = try section.string("uri") else { throw section.error("uri", "a source needs a uri") }
        let location: InputLocation
        do {
            location = try InputLocation(uri.hasPrefix("~") ? expandingTilde(uri) : uri)
        } catch {
            throw section.error("uri", "\(error)")
        }
        var options = PipelineConfiguration.Input.defaultDecoderOptions(for: location)
        options.sampling = sampling
        options.window = window
        if let shortcuts { options.shortcuts = shortcuts }
        options.rtspTransport = try section.choice("transport", of: RTSPTransport.self) ?? options.rtspTransport
        options.decoderThreads = try section.int("decoder_threads", in: OptionLimits.decoderThreads) ?? options.decoderThreads
        if var timeouts = try section.mapping("timeouts") {
            options.openTimeout = try timeouts.double("open", in: OptionLimits.timeout) ?? options.openTimeout
            options.stallTimeout = try timeouts.double("stall", in: OptionLimits.timeout) ?? options.stallTimeout
            try timeouts.rejectUnknownKeys()
        }
        if let reconnectNode = section.node("reconnect") {
            if case .scalar(let scalar) = reconnectNode, ["false", "no", "off"].contains(scalar.string.lowercased()) {
                options.reconnect = nil
            } else {
                var reconnect = try section.fields(of: reconnectNode, key: "reconnect")
                var policy = ReconnectPolicy()
                policy.initialDelay = try reconnect.double("initial_delay", in: OptionLimits.reconnectDelay) ?? policy.initialDelay
                policy.maximumDelay = try reconnect.double("max_delay", in: OptionLimits.reconnectDelay) ?? policy.maximumDelay
                let attempts = try reconnect.int("max_attempts", in: OptionLimits.reconnectAttempts)
                policy.maximumAttempts = attempts == 0 ? nil : attempts
                try reconnect.rejectUnknownKeys()
                options.reconnect = policy
            }
        }
        return PipelineConfiguration.Input(location: location, decoder: options)
    }

    private static func expandingTilde(_ path: String) -> String {
        (path as NSString).expandingTildeInPath
    }
}
