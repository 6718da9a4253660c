import Foundation
import GRDB

/// A copy of a label database made by `LabelDatabaseLocation.backUp(to:)`.
package struct BackupSummary: Hashable, Sendable {
    package let bytes: Int64
    package let frames: Int
}

extension LabelDatabaseLocation {
    /// A consistent copy of an SQLite database at `path`, while others write it: `VACUUM INTO` reads one
    /// snapshot in one step (SQLite's stepped online backup restarts whenever another connection commits, so
    /// with cameras committing every 250 ms it would never finish), then `PRAGMA quick_check` checks the copy.
    /// Holds every frame committed before it began. PostgreSQL: one line saying to use `pg_dump`.
    package func backUp(to path: String) throws -> BackupSummary {
        guard case .sqlite(let source) = self else {
            throw LabelStoreError.unsupported("a PostgreSQL database is backed up with pg_dump (e.g. pg_dump -Fc -f framewise.dump DBNAME), "
                + "and restored with pg_restore into an empty database")
        }
        guard FileManager.default.fileExists(atPath: source) else { throw LabelStoreError.missingDatabase(path: source) }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw LabelStoreError.unsupported("\(path) exists already: a backup never overwrites a file")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(SQLiteStoreConnection.busyTimeout)
        do {
            let original = try DatabaseQueue(path: source, configuration: configuration)
            try original.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
            try original.close()
            let copy = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? copy.close() }
            return try copy.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                guard check == ["ok"] else {
                    throw LabelStoreError.unsupported("the copy at \(path) failed its check: \(check.prefix(3).joined(separator: "; "))")
                }
                let frames = try Int.fetchOne(db, sql: "SELECT count(*) FROM frames") ?? 0
                let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
                return BackupSummary(bytes: size, frames: frames)
            }
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: path)
            throw LabelStoreError.cannotOpen(path: source, reason: error.message ?? "\(error.resultCode)")
        }
    }
}

extension ReadOnlyLabelDatabase {
    /// Prints what the database holds, as three results: rows and bytes per table (with its indexes), per
    /// source (frames, the oldest and newest, thumbnails and their bytes), and frames per day (UTC; a file's
    /// frames count on the day their run ended).
    package func printStats(into sink: some ResultSink) throws {
        let tables = ["sources", "runs", "frames", "labels", "thumbnails", "classes", "jobs"]
        let perTable = tables.map { table in
            "SELECT '\(table)' AS \"table\", (SELECT count(*) FROM \(table)) AS \"rows\", \(dialect.bytes(ofTable: table)) AS bytes"
        }.joined(separator: "\nUNION ALL ")
        try run(perTable, into: sink)
        try run("""
            SELECT s.id AS source_id, s.uri AS source, count(f.id) AS frames,
                   \(dialect.utcTime("min(coalesce(f.captured_at, r.finished_at))")) AS oldest,
                   \(dialect.utcTime("max(coalesce(f.captured_at, r.finished_at))")) AS newest,
                   count(t.frame_id) AS thumbnails, coalesce(sum(length(t.jpeg)), 0) AS thumbnail_bytes
              FROM sources AS s
              LEFT JOIN frames AS f ON f.source_id = s.id
              LEFT JOIN runs AS r ON r.id = f.run_id
              LEFT JOIN thumbnails AS t ON t.frame_id = f.id
             GROUP BY s.id, s.uri ORDER BY s.id
            """, into: sink)
        try run("""
            SELECT \(dialect.utcDay("coalesce(f.captured_at, r.finished_at)")) AS day, count(*) AS frames
              FROM frames AS f JOIN runs AS r ON r.id = f.run_id
             GROUP BY 1 ORDER BY 1
            """, into: sink)
    }
}

extension SQLDialect {
    /// Bytes a table takes with its indexes.
    func bytes(ofTable table: String) -> String {
        switch self {
        case .sqlite: "(SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name = '\(table)'))"
        case .postgresql: "pg_total_relation_size('\(table)')"
        }
    }

    /// Unix seconds as `YYYY-MM-DD HH:MM:SS` in UTC.
    func utcTime(_ seconds: String) -> String {
        switch self {
        case .sqlite: "datetime(\(seconds), 'unixepoch')"
        case .postgresql: "to_char(to_timestamp(\(seconds)) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
        }
    }

    /// Unix seconds as the UTC day, `YYYY-MM-DD`.
    func utcDay(_ seconds: String) -> String {
        switch self {
        case .sqlite: "date(\(seconds), 'unixepoch')"
        case .postgresql: "to_char(to_timestamp(\(seconds)) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        }
    }
}

extension LabelDatabaseLocation {
    /// SQLite: `PRAGMA quick_check` on a read-only connection (the file is not changed), returning how long it
    /// took; a damaged file throws `LabelStoreError.damaged` with SQLite's first finding. A missing or empty file
    /// (a new database) and PostgreSQL (the server checks its own pages) return nil.
    package func quickCheck() throws -> Duration? {
        guard case .sqlite(let path) = self,
              let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue, size > 0
        else { return nil }
        let started = ContinuousClock.now
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(SQLiteStoreConnection.busyTimeout)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            let findings = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(3)") }
            guard findings == ["ok"] else {
                throw LabelStoreError.damaged(path: path, problem: "quick_check: " + findings.joined(separator: "; "))
            }
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode.primaryResultCode) {
            throw LabelStoreError.damaged(path: path, problem: error.message ?? "\(error.resultCode)")
        } catch let error as DatabaseError {
            throw LabelStoreError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
        return ContinuousClock.now - started
    }
}
