import GRDB
import FoundationEssentials

/// Commits `FrameWriter` batches to an SQLite file: one write transaction on the pool's writer, a frame row
/// (`ON CONFLICT (source_id, frame_index) DO NOTHING`) followed by its answers, then the thumbnails and the
/// appearances.
struct SQLiteBatchCommitter: FrameBatchCommitter {
    let pool: DatabasePool

    func commit(_ batch: FrameBatch, source: SourceID, run: RunID) throws -> CommittedBatch {
        try pool.write { db in
            let stored = try Self.insert(batch.frames, source: source, run: run, db: db)
            let thumbnails = try Self.insert(batch.thumbnails, source: source, db: db)
            if !batch.features.isEmpty {
                let insert = try db.cachedStatement(sql: QueuedFeatures.insert)
                for features in batch.features {
                    try insert.execute(arguments: StatementArguments(features.arguments(source: source).map(\.databaseValue)))
                }
            }
            if !batch.appearances.isEmpty {
                let upsert = try db.cachedStatement(sql: AppearanceRecord.upsert)
                for appearance in batch.appearances {
                    try upsert.execute(arguments: StatementArguments(
                        appearance.arguments(source: source, run: run).map(\.databaseValue)))
                }
            }
            return CommittedBatch(stored: stored, thumbnails: thumbnails)
        }
    }

    /// Inserts each thumbnail for the source's frame of that index; returns how many were inserted.
    private static func insert(_ thumbnails: [QueuedThumbnail], source: SourceID, db: Database) throws -> Int {
        guard !thumbnails.isEmpty else { return 0 }
        let insertThumbnail = try db.cachedStatement(sql: """
            INSERT INTO thumbnails (frame_id, width, height, jpeg)
            SELECT id, ?, ?, ? FROM frames WHERE source_id = ? AND frame_index = ?
            ON CONFLICT (frame_id) DO NOTHING
            """)
        var inserted = 0
        for (frameIndex, thumbnail) in thumbnails {
            insertThumbnail.setUncheckedArguments([
                thumbnail.width, thumbnail.height, thumbnail.jpeg, source.rawValue, frameIndex,
            ])
            try insertThumbnail.execute()
            inserted += db.changesCount
        }
        return inserted
    }

    /// Inserts the frames the source does not have yet, each with its labels; returns how many were inserted.
    private static func insert(_ batch: [StoredFrame], source: SourceID, run: RunID, db: Database) throws -> Int {
        let insertFrame = try db.cachedStatement(sql: """
            INSERT INTO frames (source_id, run_id, frame_index, pts, captured_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (source_id, frame_index) DO NOTHING
            """)
        let insertLabel = try db.cachedStatement(
            sql: "INSERT INTO labels (frame_id, rank, class_index, score) VALUES (?, ?, ?, ?)")
        // Prepared when first needed (GRDB caches them): a run of one view and no categories or heads uses none.
        func insertViewLabel() throws -> Statement {
            try db.cachedStatement(sql: "INSERT INTO view_labels (frame_id, view, rank, class_index, score) VALUES (?, ?, ?, ?, ?)")
        }
        func insertScore(_ kind: SubjectScore.Kind) throws -> Statement {
            try db.cachedStatement(sql: "INSERT INTO \(kind.table) (frame_id, view, \(kind.idColumn), score) VALUES (?, ?, ?, ?)")
        }
        var stored = 0
        for frame in batch {
            insertFrame.setUncheckedArguments([
                source.rawValue, run.rawValue, frame.frameIndex, frame.pts, frame.capturedAt?.timeIntervalSince1970,
            ])
            try insertFrame.execute()
            guard db.changesCount == 1 else { continue }
            let frameID = db.lastInsertedRowID
            for (position, answer) in frame.top.enumerated() {
                insertLabel.setUncheckedArguments([frameID, position + 1, answer.classIndex, Double(answer.score)])
                try insertLabel.execute()
            }
            for view in frame.otherViews {
                for (position, answer) in view.top.enumerated() {
                    let statement = try insertViewLabel()
                    statement.setUncheckedArguments([frameID, view.view, position + 1, answer.classIndex, Double(answer.score)])
                    try statement.execute()
                }
            }
            for scored in frame.scores {
                let statement = try insertScore(scored.kind)
                statement.setUncheckedArguments([frameID, scored.view, scored.id, Double(scored.score)])
                try statement.execute()
            }
            stored += 1
        }
        return stored
    }
}
