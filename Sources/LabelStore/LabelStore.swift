import Foundation
import GRDB

/// The SQLite database of a Framewise installation: opens (and migrates) the file, registers sources, runs and
/// classes, and hands out the `FrameWriter` that stores labelled frames. Holds a GRDB `DatabasePool` in WAL mode:
/// one write connection, any number of concurrent readers.
public final class LabelStore: LabelDatabase {
    /// Tuning of the write connection; `busy_timeout` lets it wait for another process instead of failing.
    static let busyTimeout: TimeInterval = 10

    let pool: DatabasePool

    /// Opens or creates the database at `path` and brings its schema up to date.
    public convenience init(path: String) throws {
        try self.init(path: path, migratingUpTo: nil)
    }

    /// Opens the database, applying migrations only up to `lastMigration` (tests build old databases with it).
    init(path: String, migratingUpTo lastMigration: String?) throws {
        pool = try Self.openPool(path: path, migratingUpTo: lastMigration)
    }

    /// Opens (or creates) the file as a WAL pool whose writer waits for other processes' writers, and brings
    /// its schema up to date. The store and the job queue each hold one.
    static func openPool(path: String, migratingUpTo lastMigration: String? = nil) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // A larger page cache keeps the labels_by_class index hot during long runs.
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw LabelStoreError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        }
        try Schema.migrate(pool, upTo: lastMigration)
        return pool
    }

    /// The id of `source`, inserting it the first time it is seen. The identity is the URI plus the fingerprint:
    /// new content at a known path is a new source (the registration names the one it supersedes). A file
    /// source stored before fingerprints existed (fingerprint '') is adopted by the first fingerprinted run.
    public func register(source: SourceDescriptor) throws -> SourceRegistration {
        let fingerprint = source.fingerprint ?? ""
        return try pool.write { db in
            let find = "SELECT id FROM sources WHERE uri = ? AND fingerprint = ?"
            if let id = try Int64.fetchOne(db, sql: find, arguments: [source.uri, fingerprint]) {
                return SourceRegistration(id: SourceID(rawValue: id), supersedes: nil)
            }
            if !fingerprint.isEmpty,
               let legacy = try Int64.fetchOne(db, sql: find + " AND kind = 'file'", arguments: [source.uri, ""])
            {
                try db.execute(sql: "UPDATE sources SET fingerprint = ? WHERE id = ?", arguments: [fingerprint, legacy])
                return SourceRegistration(id: SourceID(rawValue: legacy), supersedes: nil)
            }
            let previous = try Int64.fetchOne(db, sql: "SELECT max(id) FROM sources WHERE uri = ?", arguments: [source.uri])
            try db.execute(
                sql: "INSERT INTO sources (uri, kind, fingerprint, created_at) VALUES (?, ?, ?, ?)",
                arguments: [source.uri, source.kind.rawValue, fingerprint, Date().timeIntervalSince1970])
            return SourceRegistration(id: SourceID(rawValue: db.lastInsertedRowID), supersedes: previous.map(SourceID.init))
        }
    }

    /// Stores the model's classes. A database already holding a different class list is refused, because its
    /// stored labels would be misread.
    public func storeClasses(_ classes: [ClassLabel]) throws {
        try pool.write { db in
            for label in classes {
                try db.execute(
                    sql: "INSERT INTO classes (class_index, wnid, label, names) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [label.index, label.wnid, label.label, label.names])
                if db.changesCount == 0 {
                    let stored = try Row.fetchOne(
                        db, sql: "SELECT wnid, label, names FROM classes WHERE class_index = ?", arguments: [label.index])
                    guard let stored, stored["wnid"] == label.wnid, stored["label"] == label.label,
                          stored["names"] == label.names
                    else { throw LabelStoreError.classesMismatch(classIndex: label.index) }
                }
            }
        }
    }

    /// Records the start of a run (status `running`). Earlier runs of the same source still marked `running`
    /// belong to a process that was killed (one source is labelled by one process at a time): they are marked
    /// `interrupted`, keeping the counters they last recorded.
    public func beginRun(_ settings: RunSettings) throws -> RunID {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE runs SET status = 'interrupted', error = coalesce(error, ?) WHERE source_id = ? AND status = 'running'",
                arguments: ["the process ended before the run finished", settings.source.rawValue])
            try db.execute(
                sql: """
                    INSERT INTO runs (source_id, started_at, status, precision, sampling, model_sha256, decoding, live)
                    VALUES (?, ?, 'running', ?, ?, ?, ?, ?)
                    """,
                arguments: [settings.source.rawValue, Date().timeIntervalSince1970, settings.precision,
                            settings.sampling, settings.modelSHA256, settings.decoding, settings.live])
            return RunID(rawValue: db.lastInsertedRowID)
        }
    }

    /// Updates a running run's counters, so a killed run still shows how far it got.
    public func recordProgress(of run: RunID, counts: RunCounts) throws {
        try updateRun(run, counts: counts, status: nil, error: nil)
    }

    /// Records how a run ended: its final counters, status and error message (already free of secrets).
    public func finishRun(_ run: RunID, status: RunStatus, counts: RunCounts, error: String? = nil) throws {
        try updateRun(run, counts: counts, status: status, error: error)
    }

    private func updateRun(_ run: RunID, counts: RunCounts, status: RunStatus?, error: String?) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET frames_decoded = ?, frames_sampled = ?, frames_labeled = ?, frames_dropped = ?,
                           frames_skipped = ?, status = coalesce(?, status), error = coalesce(?, error),
                           finished_at = CASE WHEN ? IS NULL THEN finished_at ELSE ? END
                     WHERE id = ?
                    """,
                arguments: [counts.decoded, counts.sampled, counts.labeled, counts.dropped, counts.skipped,
                            status?.rawValue, error, status?.rawValue, Date().timeIntervalSince1970, run.rawValue])
            if db.changesCount == 0 { throw LabelStoreError.unknownRun(run.rawValue) }
        }
    }

    /// A writer that stores frames of `run` (for the run's source) in batched transactions; `onBatch` hears
    /// of each batch: how many frames it inserted and how many were already stored, or that it was lost.
    public func makeWriter(run: RunID, policy: FrameWriter.Policy = .init(),
                           onBatch: (@Sendable (FrameWriter.BatchOutcome) -> Void)? = nil) throws -> FrameWriter
    {
        let (source, classIndices) = try pool.read { db in
            guard let source = try Int64.fetchOne(db, sql: "SELECT source_id FROM runs WHERE id = ?",
                                                  arguments: [run.rawValue])
            else { throw LabelStoreError.unknownRun(run.rawValue) }
            return (source, try Set(Int.fetchAll(db, sql: "SELECT class_index FROM classes")))
        }
        guard !classIndices.isEmpty else { throw LabelStoreError.noClasses }
        return FrameWriter(committer: SQLiteBatchCommitter(pool: pool), source: SourceID(rawValue: source), run: run,
                           classIndices: classIndices, policy: policy, onBatch: onBatch)
    }

    /// The frame indices already stored for `source`: a resumed run skips them.
    public func storedFrameIndices(of source: SourceID) throws -> StoredFrameIndices {
        try pool.read { db in
            var indices = StoredFrameIndices()
            let cursor = try Int64.fetchCursor(
                db, sql: "SELECT frame_index FROM frames WHERE source_id = ? ORDER BY frame_index",
                arguments: [source.rawValue])
            while let index = try cursor.next() { indices.appendAscending(index) }
            return indices
        }
    }

    /// The decoding modes (`runs.decoding`) of the runs whose frames of `source` are stored, sorted.
    public func decodingModes(ofStoredFramesOf source: SourceID) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT decoding FROM runs
                 WHERE source_id = ? AND EXISTS (SELECT 1 FROM frames WHERE run_id = runs.id) ORDER BY decoding
                """, arguments: [source.rawValue])
        }
    }

    /// The index a new live session of `source` starts numbering its frames at: one past the last stored.
    public func nextFrameIndex(of source: SourceID) throws -> Int64 {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT coalesce(max(frame_index) + 1, 0) FROM frames WHERE source_id = ?",
                               arguments: [source.rawValue]) ?? 0
        }
    }

    /// Deletes every stored frame (and its labels) of `source`, for `--restart`. Runs stay as history.
    public func deleteFrames(of source: SourceID) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM frames WHERE source_id = ?", arguments: [source.rawValue])
        }
    }

    /// Checkpoints the write-ahead log into the file, then closes the readers and last the writer, so SQLite can
    /// remove the log when no other process has the file open. (SQLite folds the log in by itself only when the
    /// last connection closes, which a process that exits with connections open never does.)
    public func close() throws {
        try pool.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
        pool.releaseMemory()
        try pool.close()
    }
}
