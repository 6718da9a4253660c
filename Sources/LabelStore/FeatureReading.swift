import Foundation

extension ReadOnlyLabelDatabase {
    /// How many vectors of `view` are stored, the largest frame id among them and the sum of their frame ids
    /// (from `frame_features_by_view`, without reading the vectors): a search file made for other figures is stale.
    package func featureCensus(view: String) throws -> (count: Int64, largestFrameID: Int64, frameIDSum: Int64) {
        var census: (Int64, Int64, Int64) = (0, 0, 0)
        try forEachRow("""
            SELECT count(*), coalesce(max(frame_id), 0), CAST(coalesce(sum(frame_id), 0) AS BIGINT)
              FROM frame_features WHERE view = ?
            """, [.text(view)]) { row in
            census = (row[0].int64 ?? 0, row[1].int64 ?? 0, row[2].int64 ?? 0)
        }
        return census
    }

    /// The frame ids of `view`'s stored vectors, ascending (from `frame_features_by_view`, without the vectors).
    package func frameIDsWithFeatures(view: String) throws -> [Int64] {
        var ids: [Int64] = []
        try forEachRow("SELECT frame_id FROM frame_features WHERE view = ? ORDER BY frame_id", [.text(view)]) { row in
            if let id = row[0].int64 { ids.append(id) }
        }
        return ids
    }

    /// The stored vectors of `view` (only those of the frames of `frameIDs`, when given, 500 a statement) with
    /// their frame's id, source id and capture time; `body` reads the values (decoded from half floats into a
    /// buffer reused from row to row) before the next row.
    package func forEachStoredVector(view: String, frameIDs: [Int64]? = nil,
                                     _ body: (_ frameID: Int64, _ sourceID: Int64, _ capturedAt: Double?, UnsafeBufferPointer<Float>) throws -> Void) throws {
        var buffer = [Float](repeating: 0, count: StoredFeatures.width)
        let select = """
            SELECT ff.frame_id, f.source_id, f.captured_at, ff.vector FROM frame_features AS ff JOIN frames AS f ON f.id = ff.frame_id
             WHERE ff.view = ?
            """
        func read(_ sql: String, _ arguments: [QueryArgument]) throws {
            try forEachRow(sql, arguments) { row in
                guard let id = row[0].int64, let source = row[1].int64, let data = row[3].blob else { return }
                let read = buffer.withUnsafeMutableBufferPointer { VectorCoding.float16Values(data, into: $0) }
                guard read else { throw LabelStoreError.unexpectedValue("frame_features.vector of frame \(id)", expected: "2048 bytes") }
                try buffer.withUnsafeBufferPointer { try body(id, source, row[2].double, $0) }
            }
        }
        guard let frameIDs else { return try read(select + " ORDER BY ff.frame_id", [.text(view)]) }
        for start in stride(from: 0, to: frameIDs.count, by: 500) {
            let chunk = frameIDs[start..<min(start + 500, frameIDs.count)]
            try read(select + " AND ff.frame_id IN (\(placeholders(chunk.count)))", [.text(view)] + chunk.map { .integer($0) })
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
