#if PostgreSQL
import Foundation
import PostgresNIO

/// Commits `FrameWriter` batches to PostgreSQL in one round trip: the batch's columns travel as arrays
/// (binary), `unnest` turns them back into rows, and one statement inserts the frames
/// (`ON CONFLICT (source_id, frame_index) DO NOTHING ... RETURNING id`) and the labels of exactly the frames it
/// inserted, atomically. Frames already stored are left out before the insert, so they take no id from the
/// sequence (ids then count as SQLite's do; `ON CONFLICT` still settles two writers racing for one frame).
/// The frames' other views and category scores ride in the same statement; thumbnails and appearances, when the
/// batch has any, follow in the same transaction.
struct PostgresBatchCommitter: FrameBatchCommitter {
    let session: PostgresSession

    /// Frames and answers of one batch. `$1` source, `$2` run, `$3...$5` the frames' columns (captured_at NaN
    /// for none: arrays carry no NULLs here), `$6...$9` the labels' columns keyed by frame index; then, when the
    /// batch has any, the other views' labels (5 arrays) and the scores of each kind it has (4 arrays each, in
    /// the order of `scoreKinds`), numbered on.
    static func insertFrames(viewLabels: Bool, scoreKinds: [SubjectScore.Kind]) -> String {
        var next = 10
        func parameters(_ types: [String]) -> String {
            defer { next += types.count }
            return types.enumerated().map { "$\(next + $0.offset)::\($0.element)[]" }.joined(separator: ", ")
        }
        var statement = """
            WITH inserted AS (
                INSERT INTO frames (source_id, run_id, frame_index, pts, captured_at)
                SELECT $1, $2, frame_index, pts, nullif(captured_at, 'NaN')
                  FROM unnest($3::bigint[], $4::double precision[], $5::double precision[]) AS batch(frame_index, pts, captured_at)
                 WHERE NOT EXISTS (SELECT FROM frames WHERE source_id = $1 AND frames.frame_index = batch.frame_index)
                ON CONFLICT (source_id, frame_index) DO NOTHING
                RETURNING id, frame_index
            ), labelled AS (
                INSERT INTO labels (frame_id, rank, class_index, score)
                SELECT inserted.id, answer.rank, answer.class_index, answer.score
                  FROM unnest($6::bigint[], $7::integer[], $8::integer[], $9::double precision[])
                       AS answer(frame_index, rank, class_index, score)
                  JOIN inserted USING (frame_index)
            )
            """
        if viewLabels {
            statement += """
                , view_labelled AS (
                    INSERT INTO view_labels (frame_id, view, rank, class_index, score)
                    SELECT inserted.id, answer.view, answer.rank, answer.class_index, answer.score
                      FROM unnest(\(parameters(["bigint", "text", "integer", "integer", "double precision"])))
                           AS answer(frame_index, view, rank, class_index, score)
                      JOIN inserted USING (frame_index)
                )
                """
        }
        for kind in scoreKinds {
            statement += """
                , \(kind.table)_inserted AS (
                    INSERT INTO \(kind.table) (frame_id, view, \(kind.idColumn), score)
                    SELECT inserted.id, scored.view, scored.id, scored.score
                      FROM unnest(\(parameters(["bigint", "text", "bigint", "double precision"])))
                           AS scored(frame_index, view, id, score)
                      JOIN inserted USING (frame_index)
                )
                """
        }
        return statement + "\nSELECT count(*) FROM inserted"
    }

    /// One thumbnail for the source's frame of that index, unless it has one.
    static let insertThumbnail = """
        INSERT INTO thumbnails (frame_id, width, height, jpeg)
        SELECT id, $3, $4, $5 FROM frames WHERE source_id = $1 AND frame_index = $2
        ON CONFLICT (frame_id) DO NOTHING
        """

    func commit(_ batch: FrameBatch, source: SourceID, run: RunID) throws -> CommittedBatch {
        let query = Self.framesQuery(Self.firstOfEachIndex(batch.frames), source: source, run: run)
        guard !batch.thumbnails.isEmpty || !batch.features.isEmpty || !batch.appearances.isEmpty else {
            return CommittedBatch(stored: try Self.count(session.query(query)), thumbnails: 0)
        }
        return try session.transaction { connection in
            let stored = try Self.count(connection.query(query))
            var inserted = 0
            for (frameIndex, thumbnail) in batch.thumbnails {
                var binds = PostgresBindings(capacity: 5)
                binds.append(source.rawValue)
                binds.append(frameIndex)
                binds.append(Int32(thumbnail.width))
                binds.append(Int32(thumbnail.height))
                binds.append(ByteBuffer(bytes: thumbnail.jpeg))
                inserted += try connection.query(PostgresQuery(unsafeSQL: Self.insertThumbnail, binds: binds))
                    .metadata.rows ?? 0
            }
            for features in batch.features {
                try connection.execute(PostgresReadOnlyDatabase.query(QueuedFeatures.insert, arguments: features.arguments(source: source)))
            }
            for appearance in batch.appearances {
                try connection.execute(PostgresReadOnlyDatabase.query(
                    AppearanceRecord.upsert, arguments: appearance.arguments(source: source, run: run)))
            }
            return CommittedBatch(stored: stored, thumbnails: inserted)
        }
    }

    private static func count(_ result: PostgresQueryResult) throws -> Int {
        try Int(result.rows.first?.decode(Int64.self) ?? 0)
    }

    /// The batch without repeated frame indices (the first is kept, the others count as already stored):
    /// one statement cannot insert a frame and then skip it again.
    private static func firstOfEachIndex(_ frames: [StoredFrame]) -> [StoredFrame] {
        var seen = Set<Int64>()
        return frames.filter { seen.insert($0.frameIndex).inserted }
    }

    private static func framesQuery(_ frames: [StoredFrame], source: SourceID, run: RunID) -> PostgresQuery {
        let labelCount = frames.reduce(0) { $0 + $1.top.count }
        var labelFrames: [Int64] = [], ranks: [Int32] = [], classes: [Int32] = [], scores: [Double] = []
        labelFrames.reserveCapacity(labelCount)
        ranks.reserveCapacity(labelCount)
        classes.reserveCapacity(labelCount)
        scores.reserveCapacity(labelCount)
        for frame in frames {
            for (position, answer) in frame.top.enumerated() {
                labelFrames.append(frame.frameIndex)
                ranks.append(Int32(position + 1))
                classes.append(Int32(answer.classIndex))
                scores.append(Double(answer.score))
            }
        }
        var viewFrames: [Int64] = [], views: [String] = [], viewRanks: [Int32] = [], viewClasses: [Int32] = []
        var viewScores: [Double] = []
        var scored: [SubjectScore.Kind: (frames: [Int64], views: [String], ids: [Int64], scores: [Double])] = [:]
        for frame in frames {
            for view in frame.otherViews {
                for (position, answer) in view.top.enumerated() {
                    viewFrames.append(frame.frameIndex)
                    views.append(view.view)
                    viewRanks.append(Int32(position + 1))
                    viewClasses.append(Int32(answer.classIndex))
                    viewScores.append(Double(answer.score))
                }
            }
            for score in frame.scores {
                scored[score.kind, default: ([], [], [], [])].frames.append(frame.frameIndex)
                scored[score.kind]!.views.append(score.view)
                scored[score.kind]!.ids.append(score.id)
                scored[score.kind]!.scores.append(Double(score.score))
            }
        }
        var binds = PostgresBindings(capacity: 18)
        binds.append(source.rawValue)
        binds.append(run.rawValue)
        binds.append(frames.map(\.frameIndex))
        binds.append(frames.map(\.pts))
        binds.append(frames.map { $0.capturedAt?.timeIntervalSince1970 ?? .nan })
        binds.append(labelFrames)
        binds.append(ranks)
        binds.append(classes)
        binds.append(scores)
        if !viewFrames.isEmpty {
            binds.append(viewFrames)
            binds.append(views)
            binds.append(viewRanks)
            binds.append(viewClasses)
            binds.append(viewScores)
        }
        let scoreKinds = SubjectScore.Kind.allCases.filter { scored[$0] != nil }
        for kind in scoreKinds {
            binds.append(scored[kind]!.frames)
            binds.append(scored[kind]!.views)
            binds.append(scored[kind]!.ids)
            binds.append(scored[kind]!.scores)
        }
        let sql = insertFrames(viewLabels: !viewFrames.isEmpty, scoreKinds: scoreKinds)
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
#endif
