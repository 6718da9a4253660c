#if PostgreSQL
import Foundation
import PostgresNIO

/// People's SQL (`framewise query`, `framewise segments`) on a PostgreSQL label database, read-only by the
/// server, not by parsing: the session starts with `default_transaction_read_only` and a `statement_timeout`,
/// each statement runs in a `BEGIN READ ONLY` transaction that is rolled back afterwards, and PostgresNIO
/// sends exactly one statement. Values arrive as `QueryValue`s in SQLite's storage classes, so `ResultPrinter`
/// prints the same text for the same data on both databases.
package final class PostgresReadOnlyDatabase: ReadOnlyLabelDatabase {
    /// How long one statement may run before the server cancels it.
    package static let statementTimeout = "60s"

    let session: PostgresSession

    package var dialect: SQLDialect { .postgresql }

    package init(location: PostgresLocation) throws {
        session = try PostgresSession(location: location, startupParameters: [
            ("default_transaction_read_only", "on"), ("statement_timeout", Self.statementTimeout),
        ])
    }

    package func run(_ sql: String, arguments: [QueryArgument] = [], into sink: some ResultSink) throws {
        let query = Self.query(sql, arguments: arguments)
        let (columns, rows) = try session.transaction(begin: "BEGIN READ ONLY", end: "ROLLBACK") { connection in
            let rows = try connection.query(query).rows
            let columns = try rows.first.map { $0.map(\.columnName) } ?? Self.columnsOfEmptyResult(query, connection)
            return (columns, try rows.map { try $0.map(Self.value(of:)) })
        }
        try sink.begin(columns: columns)
        for row in rows { try sink.write(row: row) }
        try sink.end()
    }

    package func count(_ sql: String, arguments: [QueryArgument] = []) throws -> Int {
        let collector = FirstValue()
        try run(sql, arguments: arguments, into: collector)
        guard case .integer(let count) = collector.value else { return 0 }
        return Int(count)
    }

    /// `sql` with `?` placeholders numbered and `arguments` bound to them.
    static func query(_ sql: String, arguments: [QueryArgument]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let value): binds.append(value)
            case .real(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let value): binds.append(ByteBuffer(bytes: value))
            }
        }
        return PostgresQuery(unsafeSQL: SQLText(sql).withNumberedPlaceholders, binds: binds)
    }

    /// The column names of a statement that returned no row (PostgresNIO gives names with rows only): the
    /// statement as a subquery left-joined to one row yields one row of NULLs. Statements that cannot be a
    /// subquery (SHOW, EXPLAIN) print no header then.
    private static func columnsOfEmptyResult(_ query: PostgresQuery, _ connection: PostgresSession.Connection) throws
        -> [String]
    {
        var statement = query.sql.trimmingCharacters(in: .whitespacesAndNewlines)
        while statement.hasSuffix(";") { statement = String(statement.dropLast()) }
        let probe = PostgresQuery(
            unsafeSQL: "SELECT probe.* FROM (SELECT 1) AS one LEFT JOIN (\(statement)\n) AS probe ON true",
            binds: query.binds)
        try connection.execute("SAVEPOINT column_probe")
        do {
            let names = try connection.query(probe).rows.first.map { $0.map(\.columnName) } ?? []
            try connection.execute("RELEASE SAVEPOINT column_probe")
            return names
        } catch {
            try connection.execute("ROLLBACK TO SAVEPOINT column_probe")
            return []
        }
    }

    /// A numeric as SQLite would hold it: without decimals (`sum` of bigints) an integer, else a real (`avg`,
    /// `round(x::numeric, 3)`). Its binary form starts with ndigits, weight, sign and the display scale.
    private static func numericValue(_ bytes: ByteBuffer?) -> QueryValue {
        guard let bytes, let scale = bytes.getInteger(at: bytes.readerIndex + 6, as: Int16.self),
              let text = PostgresData(type: .numeric, value: bytes).numeric?.string
        else { return .null }
        if scale == 0, let integer = Int64(text) { return .integer(integer) }
        return Double(text).map(QueryValue.real) ?? .text(text)
    }

    /// A cell in SQLite's storage classes: integers (and booleans as 0/1), reals (numeric too), text, blobs.
    static func value(of cell: PostgresCell) throws -> QueryValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric: return numericValue(cell.bytes)
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea: return .blob(Data(cell.bytes.map { Array($0.readableBytesView) } ?? []))
        case .timestamptz, .timestamp, .date: return .text(Self.text(of: try cell.decode(Date.self), type: cell.dataType))
        case .text, .varchar, .bpchar, .name, .json, .jsonb, .uuid: return .text(try cell.decode(String.self))
        default:
            throw LabelStoreError.unprintableColumn(name: cell.columnName, type: "OID \(cell.dataType.rawValue)")
        }
    }

    /// A time as PostgreSQL prints it in UTC: `2026-11-29 18:42:19.5+00`, without zone for `timestamp`,
    /// the day alone for `date`.
    private static func text(of date: Date, type: PostgresDataType) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        guard type != .date else { return day }
        let seconds = date.timeIntervalSince1970
        let microseconds = Int(((seconds - seconds.rounded(.down)) * 1_000_000).rounded())
        var time = String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        if microseconds > 0 {
            var fraction = String(format: "%06d", microseconds)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            time += "." + fraction
        }
        return day + " " + time + (type == .timestamptz ? "+00" : "")
    }
}

/// Keeps the first value of a result.
private final class FirstValue: ResultSink {
    var value: QueryValue?
    func begin(columns: [String]) {}
    func write(row: [QueryValue]) { if value == nil { value = row.first } }
    func end() {}
}
#endif
