import Foundation
import Synchronization

/// The label database the pipeline writes: sources, classes, runs, resume and the `FrameWriter` that stores
/// labelled frames, on an SQLite file or a PostgreSQL server with the same tables and meaning. Each statement
/// is written once, against `SQLStatements`; the dialects differ only where `SQLDialect` and the per-dialect
/// `StoreConnection` (its transactions, its batch committer) say. `LabelDatabaseLocation.openForWriting()`
/// opens the one a location names.
///
/// Every method blocks its caller until the database has answered, and may be called from any thread.
package final class LabelStore: Sendable {
    /// Held by each source registration, so two processes meeting the same new source insert it once.
    private static let registrationLockKey: Int64 = 0x6677_7265_6769_7374
    /// The id of the source with a URI and fingerprint (its identity).
    private static let sourceByIdentity = "SELECT id FROM sources WHERE uri = ? AND fingerprint = ?"

    let connection: any StoreConnection

    /// Opens or creates the SQLite file at `path` and brings its schema up to date.
    package convenience init(path: String) throws {
        try self.init(path: path, migratingUpTo: nil)
    }

    /// Connects to a PostgreSQL database and applies missing migrations.
    package convenience init(postgres location: PostgresLocation) throws {
        try self.init(postgres: location, migratingUpTo: nil)
    }

    /// Opens the SQLite file, applying migrations only up to `lastMigration` (tests build old databases with it).
    init(path: String, migratingUpTo lastMigration: String?) throws {
        connection = try SQLiteStoreConnection(path: path, migratingUpTo: lastMigration)
    }

    /// Connects to PostgreSQL, applying migrations only up to `lastMigration`.
    init(postgres location: PostgresLocation, migratingUpTo lastMigration: String?) throws {
        #if PostgreSQL
        connection = try PostgresStoreConnection(location: location, migratingUpTo: lastMigration)
        #else
        throw LabelStoreError.builtWithoutPostgreSQL(location: location.description)
        #endif
    }

    /// The id of `source`, inserting it the first time it is seen. The identity is the URI plus the fingerprint:
    /// new content at a known path is a new source (the registration names the one it supersedes). A file
    /// source stored before fingerprints existed (fingerprint '') is adopted by the first fingerprinted run.
    package func register(source: SourceDescriptor) throws -> SourceRegistration {
        let fingerprint = source.fingerprint ?? ""
        return try connection.transaction { sql in
            if let lock = sql.dialect.serializingStatement(key: Self.registrationLockKey) { try sql.execute(lock, []) }
            let find = Self.sourceByIdentity
            if let id = try sql.integer(find, [.text(source.uri), .text(fingerprint)]) {
                return SourceRegistration(id: SourceID(rawValue: id), supersedes: nil)
            }
            if !fingerprint.isEmpty, let legacy = try sql.integer(find + " AND kind = 'file'", [.text(source.uri), .text("")]) {
                try sql.execute("UPDATE sources SET fingerprint = ? WHERE id = ?", [.text(fingerprint), .integer(legacy)])
                return SourceRegistration(id: SourceID(rawValue: legacy), supersedes: nil)
            }
            let previous = try sql.integer("SELECT max(id) FROM sources WHERE uri = ?", [.text(source.uri)])
            let id = try sql.integer(
                "INSERT INTO sources (uri, kind, fingerprint, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                [.text(source.uri), .text(source.kind.rawValue), .text(fingerprint), .real(Date().timeIntervalSince1970)])
            return SourceRegistration(id: SourceID(rawValue: id ?? 0), supersedes: previous.map(SourceID.init))
        }
    }

    /// Stores the model's classes (one statement). A database already holding a different class list is
    /// refused, because its stored labels would be misread.
    package func storeClasses(_ classes: [ClassLabel]) throws {
        guard !classes.isEmpty else { return }
        let rows = Array(repeating: "(\(placeholders(4)))", count: classes.count).joined(separator: ", ")
        let arguments = classes.flatMap { label -> [QueryArgument] in
            [.integer(Int64(label.index)), .text(label.wnid), .text(label.label), .text(label.names)]
        }
        let stored = try connection.transaction { sql in
            try sql.execute("INSERT INTO classes (class_index, wnid, label, names) VALUES \(rows) ON CONFLICT DO NOTHING", arguments)
            return try sql.rows("SELECT class_index, wnid, label, names FROM classes", [])
        }
        var storedByIndex: [Int64: [QueryValue]] = [:]
        for row in stored { if case .integer(let index) = row.first { storedByIndex[index] = row } }
        for label in classes {
            let expected: [QueryValue] = [.integer(Int64(label.index)), .text(label.wnid), .text(label.label), .text(label.names)]
            guard storedByIndex[Int64(label.index)] == expected else {
                throw LabelStoreError.classesMismatch(classIndex: label.index)
            }
        }
    }

    /// Stores the categories a run scores (those not yet stored) and returns every one's id, by wnid.
    package func storeCategories(_ categories: [CategoryRecord]) throws -> [String: Int64] {
        guard !categories.isEmpty else { return [:] }
        let rows = Array(repeating: "(\(placeholders(4)))", count: categories.count).joined(separator: ", ")
        let arguments = categories.flatMap { category -> [QueryArgument] in
            [.text(category.wnid), .text(category.name), .text(category.names), .integer(Int64(category.leaves))]
        }
        let stored = try connection.transaction { sql in
            try sql.execute("INSERT INTO categories (wnid, name, names, leaves) VALUES \(rows) ON CONFLICT DO NOTHING", arguments)
            return try sql.rows("SELECT wnid, id FROM categories WHERE wnid IN (\(placeholders(categories.count)))",
                                categories.map { .text($0.wnid) })
        }
        return stored.reduce(into: [:]) { ids, row in
            if case .text(let wnid) = row[0], case .integer(let id) = row[1] { ids[wnid] = id }
        }
    }

    /// Records the start of a run (status `running`). Earlier runs of the same source still marked `running`
    /// belong to a process that was killed (one source is labelled by one process at a time): they are marked
    /// `interrupted`, keeping the counters they last recorded, and their appearances still open are closed where
    /// they were last seen (no appearance spans two runs).
    package func beginRun(_ settings: RunSettings) throws -> RunID {
        try connection.transaction { sql in
            try sql.execute(
                "UPDATE appearances SET open = 0 WHERE source_id = ? AND open = 1", [.integer(settings.source.rawValue)])
            try sql.execute(
                "UPDATE runs SET status = 'interrupted', error = coalesce(error, ?) WHERE source_id = ? AND status = 'running'",
                [.text("the process ended before the run finished"), .integer(settings.source.rawValue)])
            let id = try sql.integer("""
                INSERT INTO runs (source_id, started_at, status, precision, sampling, model_sha256, decoding, live, views,
                                  features, heads)
                VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [.integer(settings.source.rawValue), .real(Date().timeIntervalSince1970), .text(settings.precision),
                      .text(settings.sampling), .text(settings.modelSHA256), .text(settings.decoding),
                      .integer(settings.live ? 1 : 0), .text(settings.views), .text(settings.features), .text(settings.heads)])
            return RunID(rawValue: id ?? 0)
        }
    }

    /// Updates a running run's counters, so a killed run still shows how far it got.
    package func recordProgress(of run: RunID, counts: RunCounts) throws {
        try updateRun(run, counts: counts, status: nil, error: nil)
    }

    /// Records how a run ended: its final counters, status and error message (already free of secrets).
    package func finishRun(_ run: RunID, status: RunStatus, counts: RunCounts, error: String? = nil) throws {
        try updateRun(run, counts: counts, status: status, error: error)
    }

    private func updateRun(_ run: RunID, counts: RunCounts, status: RunStatus?, error: String?) throws {
        let finishedAt: QueryArgument = status == nil ? .null : .real(Date().timeIntervalSince1970)
        let updated = try connection.transaction { sql in
            try sql.rows("""
                UPDATE runs SET frames_decoded = ?, frames_sampled = ?, frames_labeled = ?, frames_dropped = ?,
                       frames_skipped = ?, status = coalesce(?, status), error = coalesce(?, error),
                       finished_at = coalesce(?, finished_at)
                 WHERE id = ? RETURNING id
                """, [.integer(Int64(counts.decoded)), .integer(Int64(counts.sampled)), .integer(Int64(counts.labeled)),
                      .integer(Int64(counts.dropped)), .integer(Int64(counts.skipped)),
                      status.map { .text($0.rawValue) } ?? .null, error.map(QueryArgument.text) ?? .null, finishedAt,
                      .integer(run.rawValue)])
        }
        if updated.isEmpty { throw LabelStoreError.unknownRun(run.rawValue) }
    }

    /// A writer storing frames of `run` (for the run's source) in batched, idempotent transactions; `onBatch`
    /// hears of each batch: how many frames it inserted and how many were already stored, or that the database
    /// refused it (lost).
    package func makeWriter(run: RunID, policy: FrameWriter.Policy = .init(),
                           onBatch: (@Sendable (FrameWriter.BatchOutcome) -> Void)? = nil) throws -> FrameWriter
    {
        let (source, classIndices) = try connection.transaction { sql in
            guard let source = try sql.integer("SELECT source_id FROM runs WHERE id = ?", [.integer(run.rawValue)])
            else { throw LabelStoreError.unknownRun(run.rawValue) }
            let classes = try sql.rows("SELECT class_index FROM classes", []).compactMap { row -> Int? in
                guard case .integer(let index) = row.first else { return nil }
                return Int(index)
            }
            return (source, Set(classes))
        }
        guard !classIndices.isEmpty else { throw LabelStoreError.noClasses }
        return FrameWriter(committer: try connection.makeBatchCommitter(), source: SourceID(rawValue: source), run: run,
                           classIndices: classIndices, policy: policy, onBatch: onBatch)
    }

    /// The frame indices already stored for `source`: a resumed run skips them.
    package func storedFrameIndices(of source: SourceID) throws -> StoredFrameIndices {
        let indices = LockedIndices()
        try connection.transaction { sql in
            try sql.forEachRow("SELECT frame_index FROM frames WHERE source_id = ? ORDER BY frame_index",
                               [.integer(source.rawValue)]) { row in
                if case .integer(let index) = row.first { indices.value.withLock { $0.appendAscending(index) } }
            }
        }
        return indices.value.withLock { $0 }
    }

    /// The decoding modes (`runs.decoding`) of the runs whose frames of `source` are stored, sorted (a file's
    /// resume checks that it decodes as they did).
    package func decodingModes(ofStoredFramesOf source: SourceID) throws -> [String] {
        try decodingModes(ofStoredFramesWhere: "source_id = ?", [.integer(source.rawValue)])
    }

    /// The decoding modes of the stored frames of the source `descriptor` identifies, without registering it (none
    /// when it is not known): what `framewise enqueue` checks a job's decoding against.
    package func decodingModes(ofStoredFramesOf descriptor: SourceDescriptor) throws -> [String] {
        try decodingModes(ofStoredFramesWhere: "source_id = (\(Self.sourceByIdentity))",
                          [.text(descriptor.uri), .text(descriptor.fingerprint ?? "")])
    }

    /// The decoding modes of the stored frames of every source at `uri` (every content a path has held).
    package func decodingModes(ofStoredFramesAt uri: String) throws -> [String] {
        try decodingModes(ofStoredFramesWhere: "source_id IN (SELECT id FROM sources WHERE uri = ?)", [.text(uri)])
    }

    private func decodingModes(ofStoredFramesWhere sourceCondition: String, _ arguments: [QueryArgument]) throws -> [String] {
        try connection.transaction { sql in
            try sql.rows("""
                SELECT DISTINCT decoding FROM runs
                 WHERE \(sourceCondition) AND EXISTS (SELECT 1 FROM frames WHERE run_id = runs.id) ORDER BY decoding
                """, arguments).compactMap { row -> String? in
                guard case .text(let mode) = row.first else { return nil }
                return mode
            }
        }
    }

    /// The index a new live session of `source` starts numbering its frames at: one past the last stored.
    package func nextFrameIndex(of source: SourceID) throws -> Int64 {
        try connection.transaction { sql in
            try sql.integer("SELECT coalesce(max(frame_index) + 1, 0) FROM frames WHERE source_id = ?",
                            [.integer(source.rawValue)]) ?? 0
        }
    }

    /// Deletes every stored frame (and its labels) of `source` and the appearances seen in them, for
    /// `--restart`. Runs stay as history.
    package func deleteFrames(of source: SourceID) throws {
        try connection.transaction { sql in
            try sql.execute("DELETE FROM appearances WHERE source_id = ?", [.integer(source.rawValue)])
            try sql.execute("DELETE FROM frames WHERE source_id = ?", [.integer(source.rawValue)])
        }
    }

    /// Closes the database once its writers have closed; nothing may use it afterwards. SQLite first folds its
    /// write-ahead log into the file (so the file alone holds everything, e.g. to be copied); PostgreSQL's
    /// connections are closed.
    package func close() throws {
        try connection.close()
    }
}

/// Frame indices collected (on PostgreSQL: on the event loop's thread) while the caller waits.
private final class LockedIndices: Sendable {
    let value = Mutex(StoredFrameIndices())
}
