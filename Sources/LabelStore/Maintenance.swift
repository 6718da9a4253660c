package import Foundation

/// What `LabelStore.prune` deleted (or, on a dry run, would delete).
package struct PruneSummary: Hashable, Sendable {
    package var frames = 0
    package var runs = 0
    package var sources = 0
    /// Bytes the SQLite file gave back to the file system (`incremental_vacuum`); 0 on PostgreSQL.
    package var bytesReleased: Int64 = 0
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

    /// The condition on `frames AS f JOIN runs AS r` with its arguments.
    fileprivate var condition: (sql: String, arguments: [QueryArgument]) {
        let (filter, arguments) = sourceFilter(column: "f.source_id")
        return ("(f.captured_at < ? OR (f.captured_at IS NULL AND r.status <> 'running' AND r.finished_at < ?))" + filter,
                [.real(cut), .real(cut)] + arguments)
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
    /// frames deleted so far after each chunk. A dry run counts and deletes nothing.
    package func prune(_ request: PruneRequest, dryRun: Bool = false, onChunk: (Int) -> Void = { _ in }) throws -> PruneSummary {
        let (condition, arguments) = request.condition
        let chosen = "SELECT f.id FROM frames AS f JOIN runs AS r ON r.id = f.run_id WHERE \(condition)"
        var summary = PruneSummary()
        if dryRun {
            summary.frames = Int(try connection.transaction { try $0.integer("SELECT count(*) FROM (\(chosen)) AS chosen", arguments) } ?? 0)
            return summary
        }
        while true {
            let deleted = try connection.transaction { sql in
                try sql.rows("DELETE FROM frames WHERE id IN (\(chosen) ORDER BY f.id LIMIT ?) RETURNING id",
                             arguments + [.integer(Int64(request.chunkSize))]).count
            }
            summary.frames += deleted
            if deleted > 0 { onChunk(summary.frames) }
            if deleted < request.chunkSize { break }
        }
        let (runsOfSources, runArguments) = request.sourceFilter(column: "source_id")
        let (chosenSources, sourceArguments) = request.sourceFilter(column: "id")
        try connection.transaction { sql in
            summary.runs = try sql.rows("""
                DELETE FROM runs WHERE status <> 'running' AND finished_at < ?\(runsOfSources)
                   AND NOT EXISTS (SELECT 1 FROM frames WHERE frames.run_id = runs.id)
                   AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.run_id = runs.id AND jobs.state IN ('queued', 'running'))
                RETURNING id
                """, [.real(request.cut)] + runArguments).count
            summary.sources = try sql.rows("""
                DELETE FROM sources WHERE created_at < ?\(chosenSources)
                   AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.source_id = sources.id)
                   AND NOT EXISTS (SELECT 1 FROM frames WHERE frames.source_id = sources.id)
                   AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.source_id = sources.id AND jobs.state IN ('queued', 'running'))
                RETURNING id
                """, [.real(request.cut)] + sourceArguments).count
        }
        summary.bytesReleased = try connection.releaseFreePages()
        return summary
    }
}
