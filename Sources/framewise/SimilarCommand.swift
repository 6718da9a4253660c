import ArgumentParser
import Foundation
import GoogLeNet
import LabelStore
import Pipeline

/// `framewise similar IMAGE | --frame ID`: the stored frames most like a picture or a frame, by the cosine
/// similarity of their GoogLeNet features (stored by runs with `--features thumbnails|all`).
struct SimilarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "Find the stored frames most like a picture or a frame (GoogLeNet features, cosine similarity).",
        discussion: """
            Columns: frame_id, source, pts, captured_at, score (best first). Only frames whose features were
            stored are searched (`run --features thumbnails`, the default, stores those of frames with a picture;
            `--features all` every frame's).
            """
    )

    @OptionGroup var database: DatabaseLocation
    @OptionGroup var model: ModelOption
    @OptionGroup var precision: PrecisionOption

    @Argument(help: "A picture to search with.")
    var image: String?
    @Option(help: "Search with a stored frame's features instead of a picture.")
    var frame: Int64?
    @Option(help: "How many frames to print.")
    var top = 10
    @Option(help: "Only frames of this source (its id, URI or the last part of its path).")
    var source: String?
    @Option(help: "Only frames captured at or after T (Unix seconds or ISO 8601).")
    var from: String?
    @Option(help: "Only frames captured before T (Unix seconds or ISO 8601).")
    var to: String?
    @Option(help: "The view whose features are compared (default center).")
    var view = "center"
    @Option(help: "Output format: \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ResultFormat = .table

    func validate() throws {
        guard (image == nil) != (frame == nil) else { throw ValidationError("give a picture or --frame ID (one of them)") }
        guard (1...10_000).contains(top) else { throw ValidationError("--top must be between 1 and 10000") }
    }

    func run() async throws {
        try await exitingOnError {
            let location = try self.database.location()
            let database = try location.openReadOnly()
            let sources = try source.map { Set(try sourceIDs(matching: $0, in: database).map(\.rawValue)) }
            let query: [Float]
            if let frame {
                guard let stored = try database.storedVector(ofFrame: frame, view: view) else {
                    throw LabelStoreError.invalidHead("frame \(frame) has no stored features of the view \(view) "
                        + "(runs store them with --features; the default keeps those of frames with a picture)")
                }
                query = stored
            } else {
                let loaded = try model.load()
                query = try HeadExamples(model: LoadedModel(loaded, numerics: try loaded.numerics(for: precision.precision)))
                    .picture(image!, headView: view).features
            }
            let rows = try SimilarFrames.search(
                query, top: top, view: view, sources: sources, from: try from.map { try Self.time($0, "--from") },
                to: try to.map { try Self.time($0, "--to") }, in: database, at: location)
            let printer = ResultPrinter.standardOutput(format)
            printer.begin(columns: SimilarFrames.columns)
            for row in rows { printer.write(row: row) }
            printer.end()
        }
    }

    /// Unix seconds, or an ISO 8601 date and time.
    private static func time(_ text: String, _ option: String) throws -> Double {
        if let seconds = Double(text) { return seconds }
        if let date = ISO8601DateFormatter().date(from: text) { return date.timeIntervalSince1970 }
        throw ConfigurationError(message: "\(option) must be Unix seconds or an ISO 8601 time (2026-12-02T08:00:00Z), found '\(text)'")
    }
}
