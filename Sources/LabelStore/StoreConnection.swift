import Foundation
import GRDB
#if PostgreSQL
import PostgresNIO
#endif
import Synchronization

/// The statements of one transaction, in either dialect: SQL with `?` placeholders (numbered for PostgreSQL
/// by `SQLText`), arguments as `QueryArgument`s, rows as `QueryValue`s. The store's and the job queue's
/// statements are written once against it; what differs between the dialects is said in `SQLDialect`.
protocol SQLStatements {
    var dialect: SQLDialect { get }
    /// Runs one statement whose rows, if any, do not matter.
    func execute(_ sql: String, _ arguments: [QueryArgument]) throws
    /// Runs one statement and returns its rows.
    func rows(_ sql: String, _ arguments: [QueryArgument]) throws -> [[QueryValue]]
    /// Runs one statement, handing each row to `body` as it is read (for results too large to collect).
    func forEachRow(_ sql: String, _ arguments: [QueryArgument], _ body: @escaping @Sendable ([QueryValue]) throws -> Void) throws
}

/// `?, ?, ?` for `count` values: the placeholders of an `IN (…)` list or a row of `VALUES`.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}

extension SQLStatements {
    /// The first column of the first row as an integer, if there is one.
    func integer(_ sql: String, _ arguments: [QueryArgument]) throws -> Int64? {
        guard case .integer(let value) = try rows(sql, arguments).first?.first else { return nil }
        return value
    }
}

/// A writable database the store and the job queue talk to: SQLite through a GRDB pool, or a PostgreSQL
/// server through one `PostgresSession`. Every call blocks until the database has answered.
protocol StoreConnection: Sendable {
    var dialect: SQLDialect { get }
    /// The database, as it may be printed (a path, or a URL without its password).
    var location: String { get }
    /// Runs `body` in one write transaction (SQLite: `BEGIN IMMEDIATE`, so writers queue at its start):
    /// committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: (any SQLStatements) throws -> T) throws -> T
    /// Runs `body` in a read transaction: SQLite on a reader of the pool (the writer is not held); PostgreSQL on
    /// the store's session.
    func read<T>(_ body: (any SQLStatements) throws -> T) throws -> T
    /// A committer for a frame writer's batches (PostgreSQL: possibly on a connection of its own).
    func makeBatchCommitter() throws -> any FrameBatchCommitter
    /// After deletions: SQLite gives at most `pages` free pages back to the file system (all when nil: in steps
    /// with a checkpoint after each, so the write-ahead log stays small, then truncating it), returning the bytes
    /// the file shrank by; PostgreSQL's autovacuum reuses the space (0).
    func releaseFreePages(atMost pages: Int?) throws -> Int64
    /// What the database takes on disk, and what of it holds rows.
    func size() throws -> DatabaseSize
    /// SQLite: from now on the writer leaves checkpoints to `boundLog` (`wal_autocheckpoint = 0`), so no commit of
    /// the sink ever copies the log into the file. PostgreSQL: nothing.
    func takeOverCheckpoints() throws
    /// SQLite: checkpoints the write-ahead log, on a connection of its own (see `SQLiteStoreConnection`).
    /// PostgreSQL: nil.
    func boundLog(to limit: Int64) throws -> LogCheckpoint?
    /// Closes the connections (SQLite first folds its write-ahead log into the file).
    func close() throws
}

extension SQLDialect {
    /// Taken at the start of a transaction so that concurrent processes registering the same new source
    /// insert it once (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serializes writers).
    func serializingStatement(key: Int64) -> String? {
        switch self {
        case .sqlite: nil
        case .postgresql: "SELECT pg_advisory_xact_lock(\(key))"
        }
    }
}

/// An SQLite file: a WAL pool with one writer and concurrent readers.
final class SQLiteStoreConnection: StoreConnection {
    /// `busy_timeout`: the writer waits this long for another process's writer instead of failing.
    static let busyTimeout: TimeInterval = 10

    let pool: DatabasePool
    let location: String
    var dialect: SQLDialect { .sqlite }
    /// The connection `boundLog` checkpoints on, opened at its first call: beside the pool's writer, so a
    /// PASSIVE checkpoint copies the log while the sink goes on committing.
    private let checkpointer = Mutex<DatabaseQueue?>(nil)

    /// Opens (or creates) the file and brings its schema up to date (or up to `lastMigration`, for tests).
    init(path: String, migratingUpTo lastMigration: String? = nil) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            // A larger page cache keeps the labels_by_class index hot during long runs.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // When a checkpoint lets the write-ahead log start again from its beginning, the file is cut back
            // to this size (without it, it keeps the size of its largest moment).
            try db.execute(sql: "PRAGMA journal_size_limit = \(LogCheckpoint.keptLogBytes)")
        }
        do {
            try Self.createIncrementallyVacuumed(path)
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw LabelStoreError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
        location = path
        try Schema.migrate(pool, upTo: lastMigration)
    }

    /// A new (missing or empty) file is made with `auto_vacuum = INCREMENTAL`, so pages freed by pruning can be
    /// given back to the file system. SQLite takes the setting only before the first table and before WAL mode,
    /// which the pool turns on at open: hence a first connection of its own.
    private static func createIncrementallyVacuumed(_ path: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
        guard size == nil || size == 0 else { return }
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
        try queue.close()
    }

    func transaction<T>(_ body: (any SQLStatements) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteStatements(db: db))
                return .commit
            }
            return result!
        }
    }

    func read<T>(_ body: (any SQLStatements) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteStatements(db: db)) }
    }

    func makeBatchCommitter() throws -> any FrameBatchCommitter {
        SQLiteBatchCommitter(pool: pool)
    }

    /// Pages given back per transaction when all of them are (`atMost: nil`), 100 MB at 4 kB pages. Each step's
    /// moved pages wait in the write-ahead log until a checkpoint, so giving back all at once made the log as
    /// large as the pages moved (13.7 GB after a 30-day backlog of a 8.1 GB database, on a disk that may be full):
    /// a PASSIVE checkpoint after each step lets the next one write the log from its beginning again.
    static let releaseStepPages = 25_600

    func releaseFreePages(atMost pages: Int?) throws -> Int64 {
        try pool.writeWithoutTransaction { db in
            let pageCount = { try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
            let before = try pageCount()
            if let pages {
                try db.execute(sql: "PRAGMA incremental_vacuum(\(pages))")
            } else {
                // Until a step frees nothing (none left, or a file without auto_vacuum, where it does nothing).
                var remaining = before
                repeat {
                    remaining = try pageCount()
                    try db.execute(sql: "PRAGMA incremental_vacuum(\(Self.releaseStepPages))")
                    _ = try db.checkpoint(.passive)
                } while try pageCount() < remaining
                _ = try db.checkpoint(.truncate)
            }
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return try (before - pageCount()) * pageSize
        }
    }

    func size() throws -> DatabaseSize {
        let pages = try pool.read { db in
            try (Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0, Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0,
                 Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
        return DatabaseSize(bytes: Self.fileBytes(location) + Self.fileBytes(location + "-wal"),
                            liveBytes: (pages.0 - pages.1) * pages.2)
    }

    func takeOverCheckpoints() throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
    }

    /// A PASSIVE checkpoint on the checkpointer's connection: it never waits and holds no lock a commit needs;
    /// when it copies the whole log (no reader holds an older snapshot) the next commit starts the log again from
    /// its beginning, cut to `journal_size_limit`. When the log has passed `limit` and readers kept part of it, a
    /// TRUNCATE checkpoint, which waits for those readers — blocking writers meanwhile, so the sink's commits wait
    /// too — for at most `LogCheckpoint.readerPatience`; if they are still there it gives up until the next call.
    /// Returns what it did when it went past the PASSIVE checkpoint.
    func boundLog(to limit: Int64) throws -> LogCheckpoint? {
        try checkpointer.withLock { checkpointer in
            if checkpointer == nil {
                var configuration = Configuration()
                configuration.busyMode = .timeout(LogCheckpoint.readerPatience / .seconds(1))
                checkpointer = try DatabaseQueue(path: location, configuration: configuration)
            }
            let started = ContinuousClock.now, before = Self.fileBytes(location + "-wal")
            let mode = try checkpointer!.writeWithoutTransaction { db -> LogCheckpoint.Mode? in
                let passive = try db.checkpoint(.passive)
                guard passive.checkpointedFrameCount < passive.walFrameCount, before > limit else { return nil }
                do {
                    try db.checkpoint(.truncate)
                    return .truncate
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                    return .readersInTheWay
                }
            }
            return mode.map {
                LogCheckpoint(mode: $0, bytesBefore: before, bytesAfter: Self.fileBytes(location + "-wal"),
                              duration: ContinuousClock.now - started)
            }
        }
    }

    private static func fileBytes(_ path: String) -> Int64 {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Checkpoints the write-ahead log into the file, then closes the readers and last the writer, so SQLite can
    /// remove the log when no other process has the file open. (SQLite folds the log in by itself only when the
    /// last connection closes, which a process that exits with connections open never does.)
    func close() throws {
        try checkpointer.withLock { try $0?.close() }
        try pool.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
        pool.releaseMemory()
        try pool.close()
    }
}

/// What bounding SQLite's write-ahead log did (`LabelStore.boundLog(to:)`).
package struct LogCheckpoint: Sendable {
    /// How the log was checkpointed.
    package enum Mode: String, Sendable {
        /// Readers held part of it; after waiting for them the log was copied and emptied.
        case truncate
        /// Readers held part of it for longer than `readerPatience`: tried again later.
        case readersInTheWay = "readers in the way"
    }

    /// The size the log is cut back to when it starts again (`journal_size_limit`).
    package static let keptLogBytes: Int64 = 4 << 20
    /// How long a TRUNCATE checkpoint waits for readers, holding the writer (the sink's commits wait as long).
    package static let readerPatience: Duration = .milliseconds(200)

    package let mode: Mode
    package let bytesBefore: Int64
    package let bytesAfter: Int64
    package let duration: Duration
}

private struct SQLiteStatements: SQLStatements {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [QueryArgument]) throws {
        try db.execute(sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
    }

    func rows(_ sql: String, _ arguments: [QueryArgument]) throws -> [[QueryValue]] {
        try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
            .map { $0.databaseValues.map(QueryValue.init) }
    }

    func forEachRow(_ sql: String, _ arguments: [QueryArgument], _ body: @escaping @Sendable ([QueryValue]) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
        while let row = try cursor.next() { try body(row.databaseValues.map(QueryValue.init)) }
    }
}

#if PostgreSQL
/// A PostgreSQL database: one session for the store's own statements, and up to `writerConnections` more that
/// frame writers share (writer N uses connection N mod 4), so the server commits several inputs' batches at
/// once on its cores instead of one after another.
final class PostgresStoreConnection: StoreConnection {
    /// Connections the writers of one process share at most (several machines each bring theirs).
    static let writerConnections = 4

    let session: PostgresSession
    private let writerSessions = Mutex<(sessions: [PostgresSession], writers: Int)>(([], 0))
    var dialect: SQLDialect { .postgresql }
    var location: String { session.location.description }

    /// Connects to `location` and applies missing migrations (or those up to `lastMigration`, for tests).
    init(location: PostgresLocation, migratingUpTo lastMigration: String? = nil) throws {
        session = try PostgresSession(location: location)
        try PostgresSchema.migrate(session, upTo: lastMigration)
    }

    func transaction<T>(_ body: (any SQLStatements) throws -> T) throws -> T {
        try session.transaction { connection in try body(PostgresStatements(connection: connection)) }
    }

    /// The connection for the next writer: a new one while there are fewer than `writerConnections`.
    func makeBatchCommitter() throws -> any FrameBatchCommitter {
        try writerSessions.withLock { state in
            defer { state.writers += 1 }
            if state.sessions.count < Self.writerConnections {
                state.sessions.append(try PostgresSession(location: session.location))
            }
            return PostgresBatchCommitter(session: state.sessions[state.writers % state.sessions.count])
        }
    }

    func read<T>(_ body: (any SQLStatements) throws -> T) throws -> T {
        try transaction(body)
    }

    func releaseFreePages(atMost pages: Int?) throws -> Int64 { 0 }

    func size() throws -> DatabaseSize {
        DatabaseSize(bytes: try transaction { try $0.integer("SELECT pg_database_size(current_database())", []) } ?? 0,
                     liveBytes: nil)
    }

    func takeOverCheckpoints() throws {}

    func boundLog(to limit: Int64) throws -> LogCheckpoint? { nil }

    func close() throws {
        session.close()
        for writerSession in writerSessions.withLock({ $0.sessions }) { writerSession.close() }
    }
}

private struct PostgresStatements: SQLStatements {
    let connection: PostgresSession.Connection
    var dialect: SQLDialect { .postgresql }

    func execute(_ sql: String, _ arguments: [QueryArgument]) throws {
        try connection.execute(PostgresReadOnlyDatabase.query(sql, arguments: arguments))
    }

    func rows(_ sql: String, _ arguments: [QueryArgument]) throws -> [[QueryValue]] {
        try connection.query(PostgresReadOnlyDatabase.query(sql, arguments: arguments)).rows
            .map { try $0.map(PostgresReadOnlyDatabase.value(of:)) }
    }

    func forEachRow(_ sql: String, _ arguments: [QueryArgument], _ body: @escaping @Sendable ([QueryValue]) throws -> Void) throws {
        try connection.forEachRow(PostgresReadOnlyDatabase.query(sql, arguments: arguments)) { row in
            try body(row.map(PostgresReadOnlyDatabase.value(of:)))
        }
    }
}
#endif
