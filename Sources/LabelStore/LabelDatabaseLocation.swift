import Foundation

/// Which SQL a database speaks, for the few statements Framewise words differently on each.
package enum SQLDialect: Sendable {
    case sqlite, postgresql

    /// The database's clock in Unix seconds (a real), as an SQL expression.
    package var now: String {
        switch self {
        case .sqlite: "((julianday('now') - 2440587.5) * 86400.0)"
        case .postgresql: "extract(epoch FROM now())::float8"
        }
    }
}

/// A label database opened for people's read-only SQL: `ReadOnlyDatabase` (SQLite) or
/// `PostgresReadOnlyDatabase`. A statement that would write is refused and changes nothing.
package protocol ReadOnlyLabelDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs one statement with positional `arguments` (`?` placeholders) and hands its column names, then each
    /// row, to `sink`.
    func run(_ sql: String, arguments: [QueryArgument], into sink: some ResultSink) throws
    /// The integer in the first column of the first row (0 when there is none).
    func count(_ sql: String, arguments: [QueryArgument]) throws -> Int
}

/// Where a label database is: an SQLite file (a path) or a PostgreSQL database (a `postgres://` URL). The one
/// way every command turns `--db`, `$FRAMEWISE_DB` or a pipeline file's `sink.database` into a database.
package enum LabelDatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A `postgres://` or `postgresql://` URL names a PostgreSQL database; anything else is a file path.
    package init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self = PostgresLocation.isPostgresURL(text)
            ? .postgres(try PostgresLocation(url: text, environment: environment))
            : .sqlite(path: text)
    }

    /// The path, or the URL without its password.
    package var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }

    /// Opens (creating or upgrading its schema) the database for the pipeline.
    package func openForWriting() throws -> LabelStore {
        switch self {
        case .sqlite(let path): try LabelStore(path: path)
        case .postgres(let location): try LabelStore(postgres: location)
        }
    }

    /// A connection for the store's and the job queue's statements (creating or upgrading the schema).
    func openConnection() throws -> any StoreConnection {
        switch self {
        case .sqlite(let path): try SQLiteStoreConnection(path: path)
        case .postgres(let location):
            #if PostgreSQL
            try PostgresStoreConnection(location: location)
            #else
            throw LabelStoreError.builtWithoutPostgreSQL(location: location.description)
            #endif
        }
    }

    /// Opens an existing database for read-only queries (nothing is created).
    package func openReadOnly() throws -> any ReadOnlyLabelDatabase {
        switch self {
        case .sqlite(let path): try ReadOnlyDatabase(path: path)
        case .postgres(let location):
            #if PostgreSQL
            try PostgresReadOnlyDatabase(location: location)
            #else
            throw LabelStoreError.builtWithoutPostgreSQL(location: location.description)
            #endif
        }
    }
}

extension ReadOnlyLabelDatabase {
    /// Runs a statement without arguments.
    package func run(_ sql: String, into sink: some ResultSink) throws {
        try run(sql, arguments: [], into: sink)
    }
}
