import ArgumentParser
import Foundation
import LabelStore

/// Where the database is: `--db PATH|URL`, else `$FRAMEWISE_DB`, else `framewise.sqlite` in the current
/// directory. A `postgres://user[:password]@host[:port]/db[?sslmode=MODE]` URL names a PostgreSQL database.
struct DatabaseLocation: ParsableArguments {
    @Option(name: .customLong("db"), help: """
        The database: an SQLite file or postgres://user@host[:port]/db (default: $FRAMEWISE_DB or ./framewise.sqlite).
        """)
    var explicitPath: String?

    var path: String {
        explicitPath ?? ProcessInfo.processInfo.environment["FRAMEWISE_DB"] ?? "framewise.sqlite"
    }

    /// The database `path` names (a URL's password is read here and never shown).
    func location() throws -> LabelDatabaseLocation {
        try LabelDatabaseLocation(path)
    }
}

extension ResultFormat: ExpressibleByArgument {}

extension ResultPrinter {
    /// A printer writing to standard output.
    static func standardOutput(_ format: ResultFormat) -> ResultPrinter {
        ResultPrinter(format: format, output: { print($0, terminator: "") })
    }
}

/// `framewise query "SQL"`: runs one read-only SQL statement on the database and prints the result.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run one read-only SQL statement on the label database.",
        discussion: """
            Tables: sources, runs, frames, classes, labels. Views: predictions, label_segments.
            Example: framewise query --param tabby \
            "SELECT source, start_pts, end_pts FROM label_segments WHERE label = ? ORDER BY start_pts"
            """
    )

    @OptionGroup var database: DatabaseLocation

    @Option(help: "Output format: \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ResultFormat = .table

    @Option(name: .customLong("param"), help: "A value for the next ? placeholder (numbers bind as numbers).")
    var parameters: [String] = []

    @Argument(help: "The SQL statement.")
    var sql: String

    func run() async throws {
        try await exitingOnError {
            let reader = try database.location().openReadOnly()
            try reader.run(sql, arguments: parameters.map(QueryArgument.init(commandLine:)),
                           into: ResultPrinter.standardOutput(format))
        }
    }
}
