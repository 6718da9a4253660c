import Foundation

/// A stored source as listed for reports: its row of `sources`.
package struct SourceRecord: Hashable, Sendable {
    package let id: SourceID
    /// Already redacted when stored.
    package let uri: String
    package let kind: String
    package init(id: SourceID, uri: String, kind: String) {
        self.id = id
        self.uri = uri
        self.kind = kind
    }

    /// Whether `selector` names this source, as `--source` takes it: its URI, its id, or the last part of its path.
    package func matches(_ selector: String) -> Bool {
        uri == selector || id.description == selector || uri.hasSuffix("/" + selector)
    }
}

/// Which stored frames a timeline covers: bounds on `pts` (seconds from the start) and on `captured_at`
/// (Unix seconds), each inclusive and optional.
package struct FrameWindow: Hashable, Sendable {
    package var ptsFrom: Double?
    package var ptsTo: Double?
    package var capturedFrom: Double?
    package var capturedTo: Double?
    package init(ptsFrom: Double? = nil, ptsTo: Double? = nil, capturedFrom: Double? = nil, capturedTo: Double? = nil) {
        self.ptsFrom = ptsFrom
        self.ptsTo = ptsTo
        self.capturedFrom = capturedFrom
        self.capturedTo = capturedTo
    }
}

/// One stored frame as a timeline sees it: its top-1 answer, whether it has a thumbnail, and where a chosen
/// class (the "focus") ranks among its top 5.
package struct TimelineFrame: Hashable, Sendable {
    package let frameID: Int64
    package let frameIndex: Int64
    package let pts: Double
    /// Unix seconds, for live sources.
    package let capturedAt: Double?
    package let topClass: Int
    package let topScore: Double
    package let hasThumbnail: Bool
    /// Rank (1–5) and score of the focus class in this frame, if it is among the top 5.
    package let focusRank: Int?
    package let focusScore: Double?
}

/// An appearance as a report shows it: a row of `appearances`, with the frame id of its thumbnail if it has one.
package struct StoredAppearance: Hashable, Sendable {
    package let view: String
    /// `imagenet` or `category`.
    package let vocabulary: String
    package let label: String
    package let startPts: Double
    package let endPts: Double
    /// Unix seconds, for live sources.
    package let startCapturedAt: Double?
    package let endCapturedAt: Double?
    package let peakScore: Double
    package let frames: Int
    package let isOpen: Bool
    package let thumbnailFrameID: Int64?
}

extension ReadOnlyLabelDatabase {
    /// The appearances of `source` that overlap `window`, in time order; only `category`'s with one given.
    package func appearances(of source: SourceID, in window: FrameWindow = FrameWindow(), category: String? = nil) throws
        -> [StoredAppearance]
    {
        var conditions = ["a.source_id = ?"]
        var arguments: [QueryArgument] = [.integer(source.rawValue)]
        let bounds: [(String, Double?)] = [
            ("a.end_pts >= ?", window.ptsFrom), ("a.start_pts <= ?", window.ptsTo),
            ("a.end_captured_at >= ?", window.capturedFrom), ("a.start_captured_at <= ?", window.capturedTo),
        ]
        for case let (condition, value?) in bounds {
            conditions.append(condition)
            arguments.append(.real(value))
        }
        if let category {
            conditions.append("a.vocabulary = 'category' AND a.label = ?")
            arguments.append(.text(category))
        }
        var found: [StoredAppearance] = []
        try forEachRow("""
            SELECT a.view, a.vocabulary, a.label, a.start_pts, a.end_pts, a.start_captured_at, a.end_captured_at,
                   a.peak_score, a.frames, a.open, t.frame_id
              FROM appearances AS a
              LEFT JOIN frames AS f ON f.source_id = a.source_id AND f.frame_index = a.thumbnail_frame_index
              LEFT JOIN thumbnails AS t ON t.frame_id = f.id
             WHERE \(conditions.joined(separator: " AND "))
             ORDER BY a.start_pts, a.view, a.vocabulary DESC, a.label
            """, arguments
        ) { row in
            found.append(StoredAppearance(
                view: try row[0].requiredText(), vocabulary: try row[1].requiredText(), label: try row[2].requiredText(),
                startPts: try row[3].requiredDouble(), endPts: try row[4].requiredDouble(), startCapturedAt: row[5].double,
                endCapturedAt: row[6].double, peakScore: try row[7].requiredDouble(), frames: Int(try row[8].requiredInt64()),
                isOpen: row[9].int64 == 1, thumbnailFrameID: row[10].int64))
        }
        return found
    }

    /// Every source, in the order they were registered.
    package func sources() throws -> [SourceRecord] {
        var sources: [SourceRecord] = []
        try forEachRow("SELECT id, uri, kind FROM sources ORDER BY id") { row in
            sources.append(SourceRecord(id: SourceID(rawValue: try row[0].requiredInt64()), uri: try row[1].requiredText(),
                                        kind: try row[2].requiredText()))
        }
        return sources
    }

    /// The short label of every class, by class index.
    package func classLabels() throws -> [Int: String] {
        var labels: [Int: String] = [:]
        try forEachRow("SELECT class_index, label FROM classes") { row in
            labels[Int(try row[0].requiredInt64())] = try row[1].requiredText()
        }
        return labels
    }

    /// The class index of `label` (as stored in `classes.label`), if the model has it.
    package func classIndex(ofLabel label: String) throws -> Int? {
        var index: Int?
        try forEachRow("SELECT class_index FROM classes WHERE label = ? ORDER BY class_index LIMIT 1", [.text(label)]) { row in
            index = Int(try row[0].requiredInt64())
        }
        return index
    }

    /// Calls `body` with each stored frame of `source` inside `window`, in frame order (one pass over the
    /// frames index; on SQLite no frame is held in memory here). `focusClass` fills `focusRank`/`focusScore`.
    package func forEachTimelineFrame(
        of source: SourceID, in window: FrameWindow = FrameWindow(), focusClass: Int? = nil,
        _ body: (TimelineFrame) throws -> Void
    ) throws {
        // Only the bounds given become conditions (PostgreSQL cannot type a NULL parameter that stands alone).
        var conditions = ["f.source_id = ?"]
        var arguments: [QueryArgument] = [.integer(Int64(focusClass ?? -1)), .integer(source.rawValue)]
        for (column, comparison, bound) in [("f.pts", ">=", window.ptsFrom), ("f.pts", "<=", window.ptsTo),
                                            ("f.captured_at", ">=", window.capturedFrom), ("f.captured_at", "<=", window.capturedTo)] {
            if let bound {
                conditions.append("\(column) \(comparison) ?")
                arguments.append(.real(bound))
            }
        }
        try forEachRow("""
            SELECT f.id, f.frame_index, f.pts, f.captured_at, top.class_index, top.score,
                   CASE WHEN thumbnail.frame_id IS NULL THEN 0 ELSE 1 END AS has_thumbnail,
                   focus.rank AS focus_rank, focus.score AS focus_score
              FROM frames AS f
              JOIN labels AS top ON top.frame_id = f.id AND top.rank = 1
              LEFT JOIN thumbnails AS thumbnail ON thumbnail.frame_id = f.id
              LEFT JOIN labels AS focus ON focus.frame_id = f.id AND focus.class_index = ?
             WHERE \(conditions.joined(separator: " AND "))
             ORDER BY f.frame_index
            """, arguments
        ) { row in
            try body(TimelineFrame(
                frameID: try row[0].requiredInt64(), frameIndex: try row[1].requiredInt64(), pts: try row[2].requiredDouble(),
                capturedAt: row[3].double, topClass: Int(try row[4].requiredInt64()), topScore: try row[5].requiredDouble(),
                hasThumbnail: row[6].int64 == 1, focusRank: row[7].int64.map(Int.init), focusScore: row[8].double))
        }
    }

    /// The thumbnails of the frames `frameIDs` (frames without one are left out).
    package func thumbnails(ofFrames frameIDs: [Int64]) throws -> [Int64: StoredThumbnail] {
        var thumbnails: [Int64: StoredThumbnail] = [:]
        // One statement per 500 frames (a round trip each on PostgreSQL), not one per frame.
        for start in stride(from: 0, to: frameIDs.count, by: 500) {
            let chunk = frameIDs[start..<min(start + 500, frameIDs.count)]
            try forEachRow("SELECT frame_id, width, height, jpeg FROM thumbnails WHERE frame_id IN (\(placeholders(chunk.count)))",
                           chunk.map { .integer($0) }) { row in
                thumbnails[try row[0].requiredInt64()] = try StoredThumbnail(Array(row.dropFirst()))
            }
        }
        return thumbnails
    }

    /// The thumbnail of the latest frame of the newest source stored under `uri` that has one.
    package func latestThumbnail(ofSourceURI uri: String) throws -> StoredThumbnail? {
        var thumbnail: StoredThumbnail?
        try forEachRow("""
            SELECT t.width, t.height, t.jpeg FROM thumbnails AS t JOIN frames AS f ON f.id = t.frame_id
            WHERE f.source_id = (SELECT max(id) FROM sources WHERE uri = ?)
            ORDER BY f.frame_index DESC LIMIT 1
            """, [.text(uri)]
        ) { row in
            thumbnail = try StoredThumbnail(row)
        }
        return thumbnail
    }

    /// Runs a statement and calls `body` with each row.
    func forEachRow(_ sql: String, _ arguments: [QueryArgument] = [], _ body: ([QueryValue]) throws -> Void) throws {
        try withoutActuallyEscaping(body) { body in
            try run(sql, arguments: arguments, into: RowVisitor(body))
        }
    }
}

extension StoredThumbnail {
    /// A `width, height, jpeg` row.
    init(_ row: [QueryValue]) throws {
        self.init(width: Int(try row[0].requiredInt64()), height: Int(try row[1].requiredInt64()),
                  jpeg: try row[2].requiredBlob())
    }
}

/// Hands each row of a result to a closure.
private final class RowVisitor: ResultSink {
    private let body: ([QueryValue]) throws -> Void
    init(_ body: @escaping ([QueryValue]) throws -> Void) { self.body = body }
    func begin(columns: [String]) {}
    func write(row: [QueryValue]) throws { try body(row) }
    func end() {}
}
