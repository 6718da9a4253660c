package import Foundation
import GRDB

/// A read-only connection for people's SQL (`framewise query`, `framewise segments`). The file is opened with
/// SQLITE_OPEN_READONLY and `PRAGMA query_only`, and every statement is checked with `sqlite3_stmt_readonly`
/// before it runs, so a write is refused up front and nothing changes. Reads run in WAL snapshots: the
/// pipeline keeps writing meanwhile.
package final class ReadOnlyDatabase: ReadOnlyLabelDatabase {
    let queue: DatabaseQueue

    package var dialect: SQLDialect { .sqlite }

    /// Opens an existing database; a missing file is an error (nothing is created).
    package init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LabelStoreError.missingDatabase(path: path)
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(SQLiteStoreConnection.busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA query_only = 1")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Runs one SQL statement with positional `arguments` (for `?` placeholders) and hands its column names,
    /// then each row, to `sink`. Refuses statements that would write.
    package func run(_ sql: String, arguments: [QueryArgument] = [], into sink: some ResultSink) throws {
        try queue.read { db in
            let statement = try Self.readOnlyStatement(db, sql: sql, arguments: arguments)
            try sink.begin(columns: statement.columnNames)
            let rows = try Row.fetchCursor(statement)
            var values: [QueryValue] = []
            while let row = try rows.next() {
                values.removeAll(keepingCapacity: true)
                for value in row.databaseValues { values.append(QueryValue(value)) }
                try sink.write(row: values)
            }
            try sink.end()
        }
    }

    /// The integer in the first column of the first row (0 when there is no row), e.g. of `SELECT count(*) ...`.
    package func count(_ sql: String, arguments: [QueryArgument] = []) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(Self.readOnlyStatement(db, sql: sql, arguments: arguments)) ?? 0
        }
    }

    private static func readOnlyStatement(_ db: Database, sql: String, arguments: [QueryArgument]) throws -> Statement {
        let statement = try db.makeStatement(sql: sql)
        guard statement.isReadonly else { throw LabelStoreError.writeRefused }
        try statement.setArguments(StatementArguments(arguments.map(\.databaseValue)))
        return statement
    }
}

/// A value bound to a `?` placeholder. From the command line, text that reads as a number binds as a number
/// (so `pts / 60 > ?` compares numbers), anything else as text.
package enum QueryArgument: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    package init(commandLine text: String) {
        let unsigned = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        // "007" stays text: leading zeros mean an identifier, not a number.
        let leadingZero = unsigned.first == "0" && unsigned.dropFirst().first?.isNumber == true
        let looksNumeric = unsigned.first.map { $0.isNumber || $0 == "." } == true && !leadingZero
        if looksNumeric, let integer = Int64(text) {
            self = .integer(integer)
        } else if looksNumeric, let real = Double(text), real.isFinite {
            self = .real(real)
        } else {
            self = .text(text)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let value): value.databaseValue
        case .real(let value): value.databaseValue
        case .text(let value): value.databaseValue
        case .blob(let value): value.databaseValue
        }
    }
}

/// One cell of a result row, in SQLite's storage classes.
package enum QueryValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    /// The value as an integer, if it is one.
    package var int64: Int64? { if case .integer(let value) = self { value } else { nil } }
    /// The value as a real (an integer converts), if it is a number.
    package var double: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
    /// The value as text, if it is text.
    package var text: String? { if case .text(let value) = self { value } else { nil } }
    /// The value as bytes, if it is a blob.
    package var blob: Data? { if case .blob(let value) = self { value } else { nil } }

    /// The integer, or `LabelStoreError.unexpectedValue` (a column of another type, or NULL).
    func requiredInt64() throws -> Int64 {
        guard case .integer(let value) = self else { throw unexpected("an integer") }
        return value
    }

    /// The number as a real, or `LabelStoreError.unexpectedValue`.
    func requiredDouble() throws -> Double {
        guard let value = double else { throw unexpected("a number") }
        return value
    }

    /// The text, or `LabelStoreError.unexpectedValue`.
    func requiredText() throws -> String {
        guard case .text(let value) = self else { throw unexpected("text") }
        return value
    }

    /// The bytes, or `LabelStoreError.unexpectedValue`.
    func requiredBlob() throws -> Data {
        guard case .blob(let value) = self else { throw unexpected("bytes") }
        return value
    }

    private func unexpected(_ expected: String) -> LabelStoreError {
        .unexpectedValue("\(self)", expected: expected)
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let integer): self = .integer(integer)
        case .double(let real): self = .real(real)
        case .string(let text): self = .text(text)
        case .blob(let data): self = .blob(data)
        }
    }
}
