import ArgumentParser
import Foundation
import LabelStore
import Report

/// `framewise segments LABEL`: the time ranges where LABEL was the top-1 answer, without writing SQL.
struct SegmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments",
        abstract: "List the time ranges where a label was the top-1 answer.",
        discussion: "Reads the label_segments view; times are H:MM:SS.mmm from the start of the video."
    )

    @Argument(help: "A class label as stored in classes.label, e.g. tabby.")
    var label: String

    @OptionGroup var database: DatabaseLocation

    @Option(help: "Only this source: its URI, its id, or the last part of its path.")
    var source: String?

    @Option(help: "Only segments whose mean top-1 score is at least this.")
    var minScore: Double?

    @Option(help: "Output format: \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ResultFormat = .table

    func run() async throws {
        try await exitingOnError {
            let reader = try database.location().openReadOnly()
            guard try reader.classIndex(ofLabel: label) != nil else { throw ReportError.unknownLabel(label) }
            var sourceIDs: [SourceID]?
            if let source {
                // The same rule as the report's `--source`, so both name the same sources.
                let ids = try reader.sources().filter { $0.matches(source) }.map(\.id)
                guard !ids.isEmpty else { throw ReportError.unknownSource(source) }
                sourceIDs = ids
            }
            try reader.printSegments(of: label, sources: sourceIDs, minScore: minScore, into: ResultPrinter.standardOutput(format))
        }
    }
}
