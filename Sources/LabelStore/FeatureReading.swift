import Foundation

extension ReadOnlyLabelDatabase {
    /// How many vectors of `view` are stored and the largest frame id among them (from `frame_features_by_view`,
    /// without reading the vectors): a search file made for other figures is stale.
    package func featureCensus(view: String) throws -> (count: Int64, largestFrameID: Int64) {
        var census: (Int64, Int64) = (0, 0)
        try forEachRow("SELECT count(*), coalesce(max(frame_id), 0) FROM frame_features WHERE view = ?", [.text(view)]) { row in
            census = (row[0].int64 ?? 0, row[1].int64 ?? 0)
        }
        return census
    }

    /// Every stored vector of `view` with its frame's id, source id and capture time, in frame-id order; `body`
    /// reads the values (decoded from half floats into a buffer reused from row to row) before the next row.
    package func forEachStoredVector(view: String,
                                     _ body: (_ frameID: Int64, _ sourceID: Int64, _ capturedAt: Double?, UnsafeBufferPointer<Float>) -> Void) throws {
        var buffer = [Float](repeating: 0, count: StoredFeatures.width)
        try forEachRow("""
            SELECT ff.frame_id, f.source_id, f.captured_at, ff.vector FROM frame_features AS ff JOIN frames AS f ON f.id = ff.frame_id
             WHERE ff.view = ? ORDER BY ff.frame_id
            """, [.text(view)]) { row in
            guard let id = row[0].int64, let source = row[1].int64, let data = row[3].blob else { return }
            let read = buffer.withUnsafeMutableBufferPointer { VectorCoding.float16Values(data, into: $0) }
            guard read else { throw LabelStoreError.unexpectedValue("frame_features.vector of frame \(id)", expected: "2048 bytes") }
            buffer.withUnsafeBufferPointer { body(id, source, row[2].double, $0) }
        }
    }

    /// The stored vector of one frame's view, if it has one.
    package func storedVector(ofFrame id: Int64, view: String) throws -> [Float]? {
        try storedVectors(ofFrames: [id], view: view)[id]
    }

    /// The stored vectors of `view` of the frames of `ids` that have one, by frame id (one statement).
    package func storedVectors(ofFrames ids: [Int64], view: String) throws -> [Int64: [Float]] {
        guard !ids.isEmpty else { return [:] }
        var vectors: [Int64: [Float]] = [:]
        try forEachRow("SELECT frame_id, vector FROM frame_features WHERE view = ? AND frame_id IN (\(placeholders(ids.count)))",
                       [.text(view)] + ids.map { .integer($0) }) { row in
            if let id = row[0].int64, let vector = row[1].blob.flatMap(VectorCoding.storedFeatures) { vectors[id] = vector }
        }
        return vectors
    }

    /// The ids of the sources `source` names: an id, or every source with that URI (a file's new content is a new
    /// source at the same URI).
    package func sourceIDs(named source: String) throws -> Set<Int64> {
        if let id = Int64(source) { return [id] }
        var ids: Set<Int64> = []
        try forEachRow("SELECT id FROM sources WHERE uri = ?", [.text(source)]) { row in
            if let id = row[0].int64 { ids.insert(id) }
        }
        return ids
    }

    /// `frame_id, source, pts, captured_at` of each frame of `ids`, in that order (missing ones left out).
    package func frameRows(_ ids: [Int64]) throws -> [[QueryValue]] {
        guard !ids.isEmpty else { return [] }
        var rows: [Int64: [QueryValue]] = [:]
        try forEachRow("""
            SELECT f.id, s.uri, f.pts, f.captured_at FROM frames AS f JOIN sources AS s ON s.id = f.source_id
             WHERE f.id IN (\(placeholders(ids.count)))
            """, ids.map { .integer($0) }) { row in
            if let id = row[0].int64 { rows[id] = row }
        }
        return ids.compactMap { rows[$0] }
    }
}
