import Foundation
import PostgresNIO
import Synchronization

/// The label database on a PostgreSQL server: the same tables, meaning and behaviour as `LabelStore` (SQLite),
/// shared by every Framewise process that names the same `postgres://` URL; the schema is brought up to date
/// when it opens. Holds one connection for sources and runs, and up to `writerConnections` more that the frame
/// writers share (writer N uses connection N mod 4): the server commits several inputs' batches at once on its
/// cores, instead of one after another as SQLite's single writer must.
public final class PostgresLabelStore: LabelDatabase {
    /// Connections the writers of one process share at most (several machines each bring theirs).
    static let writerConnections = 4

    let session: PostgresSession
    /// The writers' connections, opened as writers need them, and how many writers were made.
    private let writerSessions = Mutex<(sessions: [PostgresSession], writers: Int)>(([], 0))
    /// Held by each source registration, so two processes meeting the same new source insert it once.
    private static let registrationLockKey: Int64 = 0x6677_7265_6769_7374

    /// Connects to `location` and applies missing migrations.
    public convenience init(location: PostgresLocation) throws {
        try self.init(location: location, migratingUpTo: nil)
    }

    /// Connects, applying migrations only up to `lastMigration` (tests build old databases with it).
    init(location: PostgresLocation, migratingUpTo lastMigration: String?) throws {
        session = try PostgresSession(location: location)
        try PostgresSchema.migrate(session, upTo: lastMigration)
    }

    public func register(source: SourceDescriptor) throws -> SourceRegistration {
        let fingerprint = source.fingerprint ?? ""
        return try session.transaction { connection in
            try connection.execute("SELECT pg_advisory_xact_lock(\(Self.registrationLockKey))")
            func sourceID(_ query: PostgresQuery) throws -> Int64? {
                try connection.query(query).rows.first?.decode(Int64?.self)
            }
            if let id = try sourceID("SELECT id FROM sources WHERE uri = \(source.uri) AND fingerprint = \(fingerprint)") {
                return SourceRegistration(id: SourceID(rawValue: id), supersedes: nil)
            }
            if !fingerprint.isEmpty, let legacy = try sourceID(
                "SELECT id FROM sources WHERE uri = \(source.uri) AND fingerprint = '' AND kind = 'file'")
            {
                try connection.execute("UPDATE sources SET fingerprint = \(fingerprint) WHERE id = \(legacy)")
                return SourceRegistration(id: SourceID(rawValue: legacy), supersedes: nil)
            }
            let previous = try sourceID("SELECT max(id) FROM sources WHERE uri = \(source.uri)")
            let id = try sourceID("""
                INSERT INTO sources (uri, kind, fingerprint, created_at)
                VALUES (\(source.uri), \(source.kind.rawValue), \(fingerprint), \(Date().timeIntervalSince1970))
                RETURNING id
                """)
            return SourceRegistration(id: SourceID(rawValue: id ?? 0), supersedes: previous.map(SourceID.init))
        }
    }

    public func storeClasses(_ classes: [ClassLabel]) throws {
        let indices = classes.map { Int32($0.index) }, wnids = classes.map(\.wnid)
        let labels = classes.map(\.label), names = classes.map(\.names)
        let given = "unnest($1::integer[], $2::text[], $3::text[], $4::text[]) AS given(class_index, wnid, label, names)"
        let mismatch = try session.transaction { connection in
            try connection.execute(PostgresQuery(
                unsafeSQL: "INSERT INTO classes (class_index, wnid, label, names) SELECT * FROM \(given) ON CONFLICT DO NOTHING",
                binds: classBinds(indices, wnids, labels, names)))
            return try connection.query(PostgresQuery(unsafeSQL: """
                SELECT min(given.class_index) FROM \(given) JOIN classes USING (class_index)
                 WHERE (classes.wnid, classes.label, classes.names) IS DISTINCT FROM (given.wnid, given.label, given.names)
                """, binds: classBinds(indices, wnids, labels, names))).rows.first?.decode(Int32?.self)
        }
        if let mismatch { throw LabelStoreError.classesMismatch(classIndex: Int(mismatch)) }
    }

    private func classBinds(_ indices: [Int32], _ wnids: [String], _ labels: [String], _ names: [String])
        -> PostgresBindings
    {
        var binds = PostgresBindings(capacity: 4)
        binds.append(indices)
        binds.append(wnids)
        binds.append(labels)
        binds.append(names)
        return binds
    }

    public func beginRun(_ settings: RunSettings) throws -> RunID {
        try session.transaction { connection in
            try connection.execute("""
                UPDATE runs SET status = 'interrupted', error = coalesce(error, \("the process ended before the run finished"))
                 WHERE source_id = \(settings.source.rawValue) AND status = 'running'
                """)
            let id = try connection.query("""
                INSERT INTO runs (source_id, started_at, status, precision, sampling, model_sha256, decoding, live)
                VALUES (\(settings.source.rawValue), \(Date().timeIntervalSince1970), 'running', \(settings.precision),
                        \(settings.sampling), \(settings.modelSHA256), \(settings.decoding), \(settings.live ? 1 : 0))
                RETURNING id
                """).rows.first?.decode(Int64.self)
            return RunID(rawValue: id ?? 0)
        }
    }

    public func recordProgress(of run: RunID, counts: RunCounts) throws {
        try updateRun(run, counts: counts, status: nil, error: nil)
    }

    public func finishRun(_ run: RunID, status: RunStatus, counts: RunCounts, error: String?) throws {
        try updateRun(run, counts: counts, status: status, error: error)
    }

    private func updateRun(_ run: RunID, counts: RunCounts, status: RunStatus?, error: String?) throws {
        let finishedAt: Double? = status == nil ? nil : Date().timeIntervalSince1970
        let result = try session.query("""
            UPDATE runs SET frames_decoded = \(counts.decoded), frames_sampled = \(counts.sampled),
                   frames_labeled = \(counts.labeled), frames_dropped = \(counts.dropped),
                   frames_skipped = \(counts.skipped), status = coalesce(\(status?.rawValue)::text, status),
                   error = coalesce(\(error)::text, error),
                   finished_at = coalesce(\(finishedAt)::double precision, finished_at)
             WHERE id = \(run.rawValue)
            """)
        if result.metadata.rows == 0 { throw LabelStoreError.unknownRun(run.rawValue) }
    }

    public func makeWriter(run: RunID, policy: FrameWriter.Policy = .init(),
                           onBatch: (@Sendable (FrameWriter.BatchOutcome) -> Void)? = nil) throws -> FrameWriter
    {
        let (source, classIndices) = try session.withConnection { connection in
            guard let source = try connection.query("SELECT source_id FROM runs WHERE id = \(run.rawValue)")
                .rows.first?.decode(Int64.self)
            else { throw LabelStoreError.unknownRun(run.rawValue) }
            let classes = try connection.query("SELECT class_index FROM classes").rows.map { try Int($0.decode(Int32.self)) }
            return (source, Set(classes))
        }
        guard !classIndices.isEmpty else { throw LabelStoreError.noClasses }
        return FrameWriter(committer: PostgresBatchCommitter(session: try nextWriterSession()), source: SourceID(rawValue: source),
                           run: run, classIndices: classIndices, policy: policy, onBatch: onBatch)
    }

    public func storedFrameIndices(of source: SourceID) throws -> StoredFrameIndices {
        let indices = LockedIndices()
        try session.withConnection { connection in
            try connection.forEachRow(
                "SELECT frame_index FROM frames WHERE source_id = \(source.rawValue) ORDER BY frame_index"
            ) { row in
                let index = try row.decode(Int64.self)
                indices.value.withLock { $0.appendAscending(index) }
            }
        }
        return indices.value.withLock { $0 }
    }

    public func decodingModes(ofStoredFramesOf source: SourceID) throws -> [String] {
        try session.query("""
            SELECT DISTINCT decoding FROM runs
             WHERE source_id = \(source.rawValue) AND EXISTS (SELECT 1 FROM frames WHERE run_id = runs.id) ORDER BY decoding
            """).rows.map { try $0.decode(String.self) }
    }

    public func nextFrameIndex(of source: SourceID) throws -> Int64 {
        try session.query("SELECT coalesce(max(frame_index) + 1, 0) FROM frames WHERE source_id = \(source.rawValue)")
            .rows.first?.decode(Int64.self) ?? 0
    }

    public func deleteFrames(of source: SourceID) throws {
        try session.query("DELETE FROM frames WHERE source_id = \(source.rawValue)")
    }

    public func close() throws {
        session.close()
        for writerSession in writerSessions.withLock({ $0.sessions }) { writerSession.close() }
    }

    /// The connection for the next writer: a new one while there are fewer than `writerConnections`.
    private func nextWriterSession() throws -> PostgresSession {
        try writerSessions.withLock { state in
            defer { state.writers += 1 }
            if state.sessions.count < Self.writerConnections {
                state.sessions.append(try PostgresSession(location: session.location))
            }
            return state.sessions[state.writers % state.sessions.count]
        }
    }
}

/// Frame indices collected on the event loop's thread while the caller waits.
private final class LockedIndices: Sendable {
    let value = Mutex(StoredFrameIndices())
}
