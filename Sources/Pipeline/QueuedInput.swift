import Foundation
package import LabelStore
package import VideoDecoding

/// A file as a job of the shared queue: what `framewise enqueue` stores and what `framewise work` rebuilds
/// the input from. The input is kept as every worker must open it — an absolute path (on storage all workers
/// share) or a URL whose secrets are `${VARIABLE}` references, expanded by each worker from its own
/// environment — the sampling options travel as JSON in `jobs.options`, and the decoding shortcuts in
/// `jobs.decoding`.
package struct QueuedInput: Sendable, Equatable {
    /// The input as stored: references unexpanded.
    package let input: String
    package let sampling: SamplingPolicy
    package let window: TimeWindow
    package let decoding: DecodingShortcuts

    /// The options JSON of `jobs.options`.
    private struct Options: Codable {
        var every: Int?
        var fps: Double?
        var keyframes: Bool?
        var start: Double?
        var end: Double?
    }

    /// Why a job cannot be queued or run, in one line.
    package struct Problem: Error, CustomStringConvertible {
        package let description: String
    }

    /// An input given to `framewise enqueue`: a path (`${NAME}` expanded here) becomes canonical and must exist; a
    /// URL is kept as given and must carry its secrets as `${VARIABLE}` references (the queue is a table every
    /// machine reads).
    package init(enqueueing text: String, decoder: DecoderOptions, environment: [String: String],
                currentDirectory: String = FileManager.default.currentDirectoryPath) throws(Problem)
    {
        let location: InputLocation
        do {
            location = try InputLocation(text)
        } catch {
            throw Problem(description: "\(error)")
        }
        if location.kind == .rtsp {
            throw Problem(description: "\(location): the queue is for files; a camera runs in a pipeline (framewise serve)")
        }
        if let conflict = decoder.conflict { throw Problem(description: "\(location): \(conflict)") }
        if location.isNetwork {
            // Kept with its references: each worker expands them.
            let literal = InputLocation.secretParts(of: text).filter { !EnvironmentReferences.isOnlyReferences($0) }
            if !literal.isEmpty {
                throw Problem(description: """
                    \(location): a queued URL is stored for every worker to read: give its password as ${VARIABLE} \
                    (each worker expands it from its environment)
                    """)
            }
            input = text
        } else {
            let expanded: String
            do {
                expanded = try EnvironmentReferences.expand(text, environment: environment)
            } catch {
                throw Problem(description: "\(text): \(error)")
            }
            // The path the source is known by (symbolic links resolved), so two spellings are one job.
            let path = SourceIdentity.canonicalPath(
                URL(fileURLWithPath: expanded, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true)).path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw Problem(description: "\(path): no such file")
            }
            input = path
        }
        sampling = decoder.sampling
        window = decoder.window
        decoding = decoder.shortcuts
    }

    /// The input of a claimed job.
    package init(job: ClaimedJob) throws(Problem) {
        let options: Options
        do {
            options = try JSONDecoder().decode(Options.self, from: Data(job.options.utf8))
        } catch {
            throw Problem(description: "job \(job.id): its options are not readable: \(error)")
        }
        guard let decoding = DecodingShortcuts(job.decoding) else {
            throw Problem(description: "job \(job.id): its decoding '\(job.decoding)' is not one of \(DecodingShortcuts.choices)")
        }
        self.decoding = decoding
        input = job.input
        sampling = if let every = options.every {
            .everyNth(every)
        } else if let fps = options.fps {
            .framesPerSecond(fps)
        } else if options.keyframes == true {
            .keyframes
        } else {
            .everyFrame
        }
        window = TimeWindow(start: options.start ?? 0, end: options.end)
    }

    /// The row `framewise enqueue` adds.
    package func request(priority: Int) -> JobRequest {
        var options = Options(start: window.start > 0 ? window.start : nil, end: window.end)
        switch sampling {
        case .everyFrame: break
        case .everyNth(let n): options.every = n
        case .framesPerSecond(let rate): options.fps = rate
        case .keyframes: options.keyframes = true
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(options)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return JobRequest(input: input, sampling: decoderOptions(for: nil).summary, options: json,
                          decoding: decoding.description, priority: priority)
    }

    /// Refuses the job when the file's stored frames were decoded otherwise, as a resumed run is refused: a
    /// file's frames never mix two decoding modes.
    package func checkDecoding(against store: LabelStore) throws {
        let location = try InputLocation(input)
        // Only frames stored under this path and decoded otherwise make the file worth reading for its fingerprint
        // (which content they belong to): a month of recordings is enqueued without reading them.
        let atPath = try store.decodingModes(ofStoredFramesAt: SourceIdentity.uri(of: location))
        guard atPath.contains(where: { $0 != decoding.description }) else { return }
        let stored = try store.decodingModes(ofStoredFramesOf: try SourceIdentity.descriptor(for: location))
        if let mismatch = DecodingMismatch(input: location.description, stored: stored, wanted: decoding, decoder: "the job",
                                           remedy: "give the same decoding (--decoding)") {
            throw Problem(description: mismatch.description)
        }
    }

    /// The pipeline input a worker opens: references expanded from `environment`.
    func pipelineInput(environment: [String: String]) throws(Problem) -> PipelineConfiguration.Input {
        let location: InputLocation
        do {
            location = try InputLocation(try EnvironmentReferences.expand(input, environment: environment))
        } catch let error as EnvironmentReferences.Failure {
            throw Problem(description: "\(input): \(error)")
        } catch {
            throw Problem(description: "\(error)")
        }
        return PipelineConfiguration.Input(location: location, decoder: decoderOptions(for: location))
    }

    private func decoderOptions(for location: InputLocation?) -> DecoderOptions {
        var options = location.map(PipelineConfiguration.Input.defaultDecoderOptions(for:)) ?? DecoderOptions()
        options.sampling = sampling
        options.window = window
        options.shortcuts = decoding
        return options
    }
}
