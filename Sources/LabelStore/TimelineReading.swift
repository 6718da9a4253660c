import Foundation
import GRDB

/// A stored source as listed for reports: its row of `sources`.
public struct SourceRecord: Hashable, Sendable {
    public let id: SourceID
    /// Already redacted when stored.
    public let uri: String
    public let kind: String
    public init(id: SourceID, uri: String, kind: String) {
        self.id = id
        self.uri = uri
        self.kind = kind
    }
}

/// Which stored frames a timeline covers: bounds on `pts` (seconds from the start) and on `captured_at`
/// (Unix seconds), each inclusive and optional.
public struct FrameWindow: Hashable, Sendable {
    public var ptsFrom: Double?
    public var ptsTo: Double?
    public var capturedFrom: Double?
    public var capturedTo: Double?
    public init(ptsFrom: Double? = nil, ptsTo: Double? = nil, capturedFrom: Double? = nil, capturedTo: Double? = nil) {
        self.ptsFrom = ptsFrom
        self.ptsTo = ptsTo
        self.capturedFrom = capturedFrom
        self.capturedTo = capturedTo
    }
}

/// One stored frame as a timeline sees it: its top-1 answer, whether it has a thumbnail, and where a chosen
/// class (the "focus") ranks among its top 5.
public struct TimelineFrame: Hashable, Sendable {
    public let frameID: Int64
    public let frameIndex: Int64
    public let pts: Double
    /// Unix seconds, for live sources.
    public let capturedAt: Double?
    public let topClass: Int
    public let topScore: Double
    public let hasThumbnail: Bool
    /// Rank (1–5) and score of the focus class in this frame, if it is among the top 5.
    public let focusRank: Int?
    public let focusScore: Double?
}

extension ReadOnlyDatabase {
    /// Every source, in the order they were registered.
    public func sources() throws -> [SourceRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, uri, kind FROM sources ORDER BY id").map { row in
                SourceRecord(id: SourceID(rawValue: row["id"]), uri: row["uri"], kind: row["kind"])
            }
        }
    }

    /// The short label of every class, by class index.
    public func classLabels() throws -> [Int: String] {
        try queue.read { db in
            var labels: [Int: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT class_index, label FROM classes") {
                labels[row["class_index"]] = row["label"]
            }
            return labels
        }
    }

    /// The class index of `label` (as stored in `classes.label`), if the model has it.
    public func classIndex(ofLabel label: String) throws -> Int? {
        try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT class_index FROM classes WHERE label = ? ORDER BY class_index LIMIT 1",
                             arguments: [label])
        }
    }

    /// Calls `body` with each stored frame of `source` inside `window`, in frame order (one pass over the
    /// frames index; no frame is held in memory here). `focusClass` fills `focusRank`/`focusScore`.
    public func forEachTimelineFrame(
        of source: SourceID, in window: FrameWindow = FrameWindow(), focusClass: Int? = nil,
        _ body: (TimelineFrame) throws -> Void
    ) throws {
        try queue.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT f.id, f.frame_index, f.pts, f.captured_at, top.class_index, top.score,
                       thumbnail.frame_id IS NOT NULL AS has_thumbnail, focus.rank AS focus_rank, focus.score AS focus_score
                  FROM frames AS f
                  JOIN labels AS top ON top.frame_id = f.id AND top.rank = 1
                  LEFT JOIN thumbnails AS thumbnail ON thumbnail.frame_id = f.id
                  LEFT JOIN labels AS focus ON focus.frame_id = f.id AND focus.class_index = ?
                 WHERE f.source_id = ?
                   AND (? IS NULL OR f.pts >= ?) AND (? IS NULL OR f.pts <= ?)
                   AND (? IS NULL OR f.captured_at >= ?) AND (? IS NULL OR f.captured_at <= ?)
                 ORDER BY f.frame_index
                """, arguments: [focusClass, source.rawValue, window.ptsFrom, window.ptsFrom, window.ptsTo, window.ptsTo,
                                 window.capturedFrom, window.capturedFrom, window.capturedTo, window.capturedTo])
            while let row = try rows.next() {
                try body(TimelineFrame(
                    frameID: row[0], frameIndex: row[1], pts: row[2], capturedAt: row[3], topClass: row[4],
                    topScore: row[5], hasThumbnail: row[6], focusRank: row[7], focusScore: row[8]))
            }
        }
    }

    /// The thumbnails of the frames `frameIDs` (frames without one are left out).
    public func thumbnails(ofFrames frameIDs: [Int64]) throws -> [Int64: StoredThumbnail] {
        try queue.read { db in
            var thumbnails: [Int64: StoredThumbnail] = [:]
            let statement = try db.makeStatement(sql: "SELECT width, height, jpeg FROM thumbnails WHERE frame_id = ?")
            for frameID in frameIDs {
                if let row = try Row.fetchOne(statement, arguments: [frameID]) {
                    thumbnails[frameID] = StoredThumbnail(width: row[0], height: row[1], jpeg: row[2])
                }
            }
            return thumbnails
        }
    }

    /// The thumbnail of the latest frame of the newest source stored under `uri` that has one.
    public func latestThumbnail(ofSourceURI uri: String) throws -> StoredThumbnail? {
        try queue.read { db in
            try Row.fetchOne(db, sql: """
                SELECT t.width, t.height, t.jpeg FROM thumbnails AS t JOIN frames AS f ON f.id = t.frame_id
                WHERE f.source_id = (SELECT max(id) FROM sources WHERE uri = ?)
                ORDER BY f.frame_index DESC LIMIT 1
                """, arguments: [uri]).map { StoredThumbnail(width: $0[0], height: $0[1], jpeg: $0[2]) }
        }
    }
}
