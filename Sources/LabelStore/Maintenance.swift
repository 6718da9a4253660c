import Foundation

/// What `LabelStore.prune` deleted (or, on a dry run, would delete).
package struct PruneSummary: Hashable, Sendable {
    package var frames = 0
    package var runs = 0
    package var sources = 0
    /// Bytes the SQLite file gave back to the file system (`incremental_vacuum`); 0 on PostgreSQL.
    package var bytesReleased: Int64 = 0

    package init() {}
}

/// Which stored frames retention removes: captured before `cut` (live inputs), or of a finished run that ended
/// before it (files have no capture time). Frames of a run in progress over a file are never chosen.
package struct PruneRequest: Hashable, Sendable {
    /// Unix seconds.
    package var cut: Double
    /// Only these sources (nil: all).
    package var sources: [SourceID]?
    /// Frames deleted per transaction: a writer waits for at most one chunk.
    package var chunkSize: Int

    package static let defaultChunkSize = 5000

    package init(cut: Double, sources: [SourceID]? = nil, chunkSize: Int = PruneRequest.defaultChunkSize) {
        self.cut = cut
        self.sources = sources
        self.chunkSize = chunkSize
    }

    /// The ids of the frames the request chooses, at most `limit` (nil: all), oldest first: cameras' frames by
    /// capture time, then the frames of files' finished runs (`live = 0`, no capture time) that ended before the
    /// cut. Each part is led by its own index — `frames_by_capture`, the runs then `frames_by_run` — and the
    /// source filter (`+source_id`) never by the sources' index: a chunk reads the frames it deletes, not the
    /// table (on 2 M frames, the single query with `ORDER BY id` read them all, 1.1 s, when none was left).
    fileprivate func chosenFrames(limit: Int?) -> (sql: String, arguments: [QueryArgument]) {
        let (cameraSources, cameraArguments) = sourceFilter(column: "+source_id")
        let (fileSources, fileArguments) = sourceFilter(column: "+f.source_id")
        let limitClause = limit == nil ? "" : " LIMIT ?"
        let limitArgument: [QueryArgument] = limit.map { [.integer(Int64($0))] } ?? []
        return ("""
            SELECT id FROM (SELECT id FROM frames WHERE captured_at < ?\(cameraSources) ORDER BY captured_at\(limitClause)) AS cameras
            UNION ALL
            SELECT id FROM (SELECT f.id FROM runs AS r CROSS JOIN frames AS f
                             WHERE f.run_id = r.id AND r.finished_at < ? AND r.status <> 'running' AND r.live = 0
                               AND +f.captured_at IS NULL\(fileSources)\(limitClause)) AS files\(limitClause)
            """,
            [.real(cut)] + cameraArguments + limitArgument + [.real(cut)] + fileArguments + limitArgument + limitArgument)
    }

    /// ` AND column IN (…)` for `sources` with its arguments; nothing when all sources are pruned.
    fileprivate func sourceFilter(column: String) -> (sql: String, arguments: [QueryArgument]) {
        guard let sources else { return ("", []) }
        return (" AND \(column) IN (\(placeholders(sources.count)))", sources.map { .integer($0.rawValue) })
    }
}

extension LabelStore {
    /// Deletes the frames `request` chooses, oldest first, `chunkSize` per transaction (their labels and
    /// thumbnails go with them), then the runs and sources left without frames — unless a live session, a run
    /// in progress or a queued or running job still needs them. On SQLite the pages freed go back to the file
    /// system (`incremental_vacuum`, on databases made with `auto_vacuum = INCREMENTAL`). `onChunk` hears the
    /// frames deleted so far after each chunk. A dry run counts and deletes nothing. (The daemon runs the same
    /// steps one at a time, paced: `pruneChunk`, `removeFramelessRunsAndSources`, `releaseFreePages`.)
    package func prune(_ request: PruneRequest, dryRun: Bool = false, onChunk: (Int) -> Void = { _ in }) throws -> PruneSummary {
        var summary = PruneSummary()
        if dryRun {
            let (chosen, arguments) = request.chosenFrames(limit: nil)
            summary.frames = Int(try connection.transaction { try $0.integer("SELECT count(*) FROM (\(chosen)) AS chosen", arguments) } ?? 0)
            return summary
        }
        while true {
            let deleted = try pruneChunk(request)
            summary.frames += deleted
            if deleted > 0 { onChunk(summary.frames) }
            if deleted < request.chunkSize { break }
        }
        (summary.runs, summary.sources) = try removeFramelessRunsAndSources(request)
        summary.bytesReleased = try connection.releaseFreePages(atMost: nil)
        return summary
    }

    /// Deletes at most `request.chunkSize` of the frames `request` chooses, the oldest first, in one
    /// transaction (a writer waits for at most this one); returns how many went. Fewer than `chunkSize`: none is left.
    package func pruneChunk(_ request: PruneRequest) throws -> Int {
        let (chosen, arguments) = request.chosenFrames(limit: request.chunkSize)
        return try connection.transaction { sql in
            let deleted = try sql.rows("DELETE FROM frames WHERE id IN (\(chosen)) RETURNING captured_at, run_id", arguments)
            // The last chunk (no older frame left) reaches up to the cut and over every file run, so it also repairs
            // what a stopped prune left.
            let isLast = deleted.count < request.chunkSize
            let cameraTimes = deleted.compactMap { $0[0].double }
            let fileRuns = deleted.filter { $0[0].double == nil }.compactMap { $0[1].int64 }
            let reach = isLast ? request.cut : cameraTimes.max()
            if let reach {
                for statement in Self.pruneCompanions { try sql.execute(statement, [.real(reach), .real(request.cut)]) }
            }
            if let first = isLast ? 0 : fileRuns.min(), let last = isLast ? .max : fileRuns.max() {
                try sql.execute(Self.filePruneCompanion, [.real(request.cut), .integer(first), .integer(last)])
            }
            return deleted.count
        }
    }

    /// Statements run in each prune chunk's transaction after its frames went, with two arguments: how far the
    /// chunk reached (`?1`: the capture time of the newest camera frame it deleted, or the cut for the last chunk of
    /// a prune) and the cut (`?2`), both Unix seconds; not run for a chunk of files' frames only. (Files' are
    /// `filePruneCompanion`'s.) Labels, other views' labels, category and head scores,
    /// thumbnails and stored features need none (their foreign keys, PostgreSQL's trigger of steps 0006, 0009 and
    /// 0010, delete them with their frame); a table that keeps rows by time of its own adds its statement here
    /// (never a head's examples, which keep their own copies). Appearances go by what is left of their frames, so
    /// only the sources pruned lose any: one whose last frame is gone ended before the cut and goes; one whose
    /// first frame is gone but not its last spans the cut and now starts at its source's first frame left (its
    /// counts and scores stay as seen, its picture goes if its frame did) — once it is closed or its run no longer
    /// runs: the sink upserts an open appearance by its key, start included, so moving its start would make the
    /// next batch insert it again beside the moved row, and the next prune fail on the two (a static scene longer
    /// than the retention stopped every prune of `scripts/soak-daemon`). Such a pair, left by a daemon built
    /// before that was mended, is repaired first: of two overlapping appearances of the same subject in one run
    /// (never made otherwise), the older row goes, before moving both to the same start would fail on the key.
    /// Each statement reads only the appearances the chunk can have cut: cameras' that start no later than the
    /// newest frame it deleted (led by `appearances_by_capture`; those that started earlier were moved or deleted by
    /// the chunks before, but for open ones of a running run; the `+` keeps the other terms from leading). Reading
    /// every appearance older than the cut instead — the whole backlog — and, for the one deleting ended
    /// appearances, the whole table, held the writer ~4 s per chunk with 259 k appearances left to prune (0.8 ms
    /// now; docs/measurements.md, "Retention at full size").
    static let pruneCompanions: [String] = [
        """
        DELETE FROM appearances
         WHERE start_captured_at <= ?1 AND +start_captured_at < ?2
           AND EXISTS (SELECT 1 FROM appearances AS other
                        WHERE other.run_id = appearances.run_id AND other.view = appearances.view
                          AND other.vocabulary = appearances.vocabulary AND other.class_id = appearances.class_id
                          AND other.id > appearances.id AND other.start_frame_index <= appearances.end_frame_index
                          AND appearances.start_frame_index <= other.end_frame_index)
        """,
        """
        DELETE FROM appearances
         WHERE start_captured_at <= ?1
           AND (end_captured_at < ?2 OR end_captured_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM frames AS f
                            WHERE f.source_id = appearances.source_id AND f.frame_index = appearances.end_frame_index)
        """,
        """
        UPDATE appearances
           SET (start_frame_index, start_pts, start_captured_at) = (
                   SELECT f.frame_index, f.pts, f.captured_at FROM frames AS f
                    WHERE f.source_id = appearances.source_id AND f.frame_index > appearances.start_frame_index
                    ORDER BY f.frame_index LIMIT 1),
               thumbnail_frame_index = CASE WHEN EXISTS (
                   SELECT 1 FROM frames AS f
                    WHERE f.source_id = appearances.source_id AND f.frame_index = appearances.thumbnail_frame_index)
                   THEN thumbnail_frame_index END
         WHERE start_captured_at <= ?1 AND +start_captured_at < ?2
           AND NOT EXISTS (SELECT 1 FROM frames AS f
                            WHERE f.source_id = appearances.source_id AND f.frame_index = appearances.start_frame_index)
           AND (open = 0 OR NOT EXISTS (SELECT 1 FROM runs AS r WHERE r.id = appearances.run_id AND r.status = 'running'))
        """,
    ]

    /// The statement each prune chunk that deleted frames of files (no capture time) runs after them, with the
    /// cut (`?1`, Unix seconds) and the range of those frames' runs (`?2`, `?3`; every run for the last chunk of a
    /// prune): files' appearances whose last frame went. Led by the runs' ids and the appearances' key, so a chunk
    /// reads the appearances of the runs it pruned, not those of every finished run ended before the cut.
    static let filePruneCompanion = """
        DELETE FROM appearances
         WHERE run_id IN (SELECT id FROM runs WHERE id BETWEEN ?2 AND ?3 AND finished_at < ?1 AND status <> 'running' AND live = 0)
           AND +start_captured_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM frames AS f
                            WHERE f.source_id = appearances.source_id AND f.frame_index = appearances.end_frame_index)
        """

    /// Deletes the runs and sources `request` covers that are left without frames and ended (were created)
    /// before the cut — unless a run is in progress, or a queued or running job still needs them.
    package func removeFramelessRunsAndSources(_ request: PruneRequest) throws -> (runs: Int, sources: Int) {
        let (runsOfSources, runArguments) = request.sourceFilter(column: "source_id")
        let (chosenSources, sourceArguments) = request.sourceFilter(column: "id")
        return try connection.transaction { sql in
            let runs = try sql.rows("""
                DELETE FROM runs WHERE status <> 'running' AND finished_at < ?\(runsOfSources)
                   AND NOT EXISTS (SELECT 1 FROM frames WHERE frames.run_id = runs.id)
                   AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.run_id = runs.id AND jobs.state IN ('queued', 'running'))
                RETURNING id
                """, [.real(request.cut)] + runArguments).count
            let sources = try sql.rows("""
                DELETE FROM sources WHERE created_at < ?\(chosenSources)
                   AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.source_id = sources.id)
                   AND NOT EXISTS (SELECT 1 FROM frames WHERE frames.source_id = sources.id)
                   AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.source_id = sources.id AND jobs.state IN ('queued', 'running'))
                RETURNING id
                """, [.real(request.cut)] + sourceArguments).count
            return (runs, sources)
        }
    }

    /// SQLite: gives at most `pages` free pages back to the file system (all, then truncating the write-ahead
    /// log, when nil); the bytes the file shrank by. PostgreSQL: 0 (autovacuum reuses the space).
    package func releaseFreePages(atMost pages: Int?) throws -> Int64 {
        try connection.releaseFreePages(atMost: pages)
    }

    /// The ids of the sources stored under these URIs (a file by its canonical path, a stream by its redacted URL).
    package func sources(withURIs uris: [String]) throws -> [SourceID] {
        guard !uris.isEmpty else { return [] }
        return try connection.read { sql in
            try sql.rows("SELECT id FROM sources WHERE uri IN (\(placeholders(uris.count)))", uris.map { .text($0) })
                .compactMap { if case .integer(let id) = $0.first { SourceID(rawValue: id) } else { nil } }
        }
    }

    /// When the oldest frame of `sources` (all when nil) was captured, or its run ended (files); nil without frames.
    package func oldestFrameTime(of sources: [SourceID]? = nil) throws -> Double? {
        let request = PruneRequest(cut: 0, sources: sources)
        let (cameras, cameraArguments) = request.sourceFilter(column: "source_id")
        let (files, fileArguments) = request.sourceFilter(column: "r.source_id")
        let rows = try connection.read { sql in
            try sql.rows("""
                SELECT min(t) FROM (
                    SELECT min(captured_at) AS t FROM frames WHERE captured_at IS NOT NULL\(cameras)
                    UNION ALL
                    SELECT min(r.finished_at) AS t FROM runs AS r WHERE r.status <> 'running' AND r.live = 0\(files)
                       AND EXISTS (SELECT 1 FROM frames AS f WHERE f.run_id = r.id AND +f.captured_at IS NULL)
                ) AS oldest
                """, cameraArguments + fileArguments)
        }
        switch rows.first?.first {
        case .real(let value)?: return value
        case .integer(let value)?: return Double(value)
        default: return nil
        }
    }

    /// How large the database is: what it takes on disk, and what of that holds rows.
    package func size() throws -> DatabaseSize {
        try connection.size()
    }

    /// SQLite: from now on the writer never checkpoints the write-ahead log itself (a commit that crosses SQLite's
    /// 1000 pages would copy them into the file while the sink waits, up to 1.8 s after a prune chunk); the caller
    /// calls `boundLog` often instead, off the sink's thread.
    package func takeOverCheckpoints() throws {
        try connection.takeOverCheckpoints()
    }

    /// SQLite: a PASSIVE checkpoint of the write-ahead log beside the writer, and when the log has passed `limit`
    /// bytes because readers held it, a TRUNCATE one (see `LogCheckpoint`); what it did beyond the PASSIVE one,
    /// else nil. PostgreSQL: nil.
    package func boundLog(to limit: Int64) throws -> LogCheckpoint? {
        try connection.boundLog(to: limit)
    }
}

/// How large a database is.
package struct DatabaseSize: Hashable, Sendable {
    /// What it takes on disk (SQLite: the file and its write-ahead log; PostgreSQL: `pg_database_size`).
    package var bytes: Int64
    /// What of that holds rows (SQLite: `(page_count − freelist_count) × page_size`); nil on PostgreSQL, whose
    /// files keep the space of deleted rows for new ones and give no cheap measure of it.
    package var liveBytes: Int64?
}
