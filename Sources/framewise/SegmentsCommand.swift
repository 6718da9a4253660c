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
            var conditions = ["label = ?"]
            var arguments: [QueryArgument] = [.text(label)]
            if let source {
                // The same rule as the report's `--source`, so both name the same sources.
                let ids = try reader.sources().filter { $0.matches(source) }.map(\.id)
                guard !ids.isEmpty else { throw ReportError.unknownSource(source) }
                conditions.append("source_id IN (\(ids.map { _ in "?" }.joined(separator: ", ")))")
                arguments += ids.map { .integer($0.rawValue) }
            }
            if let minScore {
                conditions.append("mean_score >= ?")
                arguments.append(.real(minScore))
            }
            let sql = """
                SELECT source, label, \(Self.timecode("start_pts", reader.dialect)) AS start,
                       \(Self.timecode("end_pts", reader.dialect)) AS "end", frames, \(Self.rounded("mean_score", reader.dialect))
                       AS mean_score
                  FROM label_segments
                 WHERE \(conditions.joined(separator: " AND "))
                 ORDER BY source, start_pts
                """
            try reader.run(sql, arguments: arguments, into: ResultPrinter.standardOutput(format))
        }
    }

    /// SQL turning a number of seconds into H:MM:SS.mmm (hours keep counting past 24).
    private static func timecode(_ seconds: String, _ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite:
            "printf('%d:%02d:%06.3f', CAST(\(seconds) / 3600 AS INTEGER), CAST(\(seconds) / 60 AS INTEGER) % 60, "
                + "\(seconds) - 60 * CAST(\(seconds) / 60 AS INTEGER))"
        case .postgresql:
            "trunc(\(seconds) / 3600)::bigint || ':' || lpad((trunc(\(seconds) / 60)::bigint % 60)::text, 2, '0') || ':' || "
                + "to_char(\(seconds) - 60 * trunc(\(seconds) / 60), 'FM00.000')"
        }
    }

    /// SQL rounding a real to 3 decimals (PostgreSQL rounds only numerics to a number of places).
    private static func rounded(_ value: String, _ dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: "round(\(value), 3)"
        case .postgresql: "round(\(value)::numeric, 3)"
        }
    }
}
