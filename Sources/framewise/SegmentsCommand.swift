import ArgumentParser
import Foundation
import LabelStore
import Report

/// `framewise segments LABEL | --category NAME`: when a label or category was there (its appearances), or with
/// `--raw` the runs of frames where a label was the top-1 answer, without writing SQL.
struct SegmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments",
        abstract: "List when a label or a category was there (its appearances).",
        discussion: """
            Reads the appearances table (an appearance opens when the score reaches the run's enter threshold on
            enough consecutive frames and ends after its last frame above exit); with --raw, the label_segments view
            (every run of equal top-1 answers). start and end are H:MM:SS.mmm from the start of the video;
            start_captured_at and end_captured_at the wall-clock times of live inputs (Unix seconds).
            """
    )

    @Argument(help: "A class label as stored in classes.label, e.g. tabby.")
    var label: String?

    @Option(help: "A category as stored (see `framewise categories`), e.g. dog.")
    var category: String?

    @Option(help: "A head's class as HEAD/CLASS (see `framewise heads`), e.g. gate-state/open.")
    var head: String?

    @Flag(help: "The raw top-1 runs of LABEL (label_segments) instead of its appearances.")
    var raw = false

    @Option(help: "Only this view (center, full, tiles or a region's name).")
    var view: String?

    @OptionGroup var database: DatabaseLocation

    @Option(help: "Only this source: its URI, its id, or the last part of its path.")
    var source: String?

    @Option(help: "Only appearances whose peak score (with --raw: segments whose mean top-1 score) is at least this.")
    var minScore: Double?

    @Option(help: "Output format: \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ResultFormat = .table

    func run() async throws {
        try await exitingOnError {
            guard [label, category, head].compactMap({ $0 }).count == 1 else {
                throw ValidationFailure("name one LABEL, --category or --head")
            }
            if raw, label == nil { throw ValidationFailure("--raw lists top-1 runs of a LABEL, not of a category or a head") }
            let reader = try database.location().openReadOnly()
            if let label, try reader.classIndex(ofLabel: label) == nil { throw ReportError.unknownLabel(label) }
            if let category { try reader.requireStoredCategory(category) }
            if let head, try reader.count("""
                SELECT count(*) FROM head_classes AS c JOIN heads AS h ON h.id = c.head_id WHERE h.name || '/' || c.name = ?
                """, arguments: [.text(head)]) == 0 {
                throw ValidationFailure("no head has the class \(head) (HEAD/CLASS; see framewise heads)")
            }
            let sources = try source.map { try sourceIDs(matching: $0, in: reader) }
            let output = ResultPrinter.standardOutput(format)
            if raw, let label {
                try reader.printSegments(of: label, sources: sources, minScore: minScore, into: output)
            } else {
                try reader.printAppearances(
                    of: label ?? category ?? head ?? "", vocabulary: head != nil ? "head" : category != nil ? "category" : "imagenet",
                    sources: sources,
                    view: view, minScore: minScore, into: output)
            }
        }
    }
}
