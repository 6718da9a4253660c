package import Foundation

/// Stored feature vectors (`frame_features`) of many frames, decoded into one row-major buffer.
package struct StoredVectors: Sendable {
    package var frameIDs: [Int64] = []
    /// `frameIDs.count` rows of `StoredFeatures.width` values.
    package var values: [Float] = []
}

/// Which stored vectors a search reads: one view's, optionally of one source and a span of capture time.
package struct FeatureFilter: Sendable {
    package var view = "center"
    /// A source's id, or its URI.
    package var source: String?
    /// Unix seconds, compared with `captured_at` (frames of files have none and are left out when these are given).
    package var from: Double?
    package var to: Double?

    package init(view: String = "center", source: String? = nil, from: Double? = nil, to: Double? = nil) {
        self.view = view
        self.source = source
        self.from = from
        self.to = to
    }

    fileprivate var clause: (sql: String, arguments: [QueryArgument]) {
        var sql = " WHERE ff.view = ?", arguments: [QueryArgument] = [.text(view)]
        if let source {
            if let id = Int64(source) {
                sql += " AND f.source_id = ?"
                arguments.append(.integer(id))
            } else {
                sql += " AND f.source_id IN (SELECT id FROM sources WHERE uri = ?)"
                arguments.append(.text(source))
            }
        }
        if let from {
            sql += " AND f.captured_at >= ?"
            arguments.append(.real(from))
        }
        if let to {
            sql += " AND f.captured_at < ?"
            arguments.append(.real(to))
        }
        return (sql, arguments)
    }
}

extension ReadOnlyLabelDatabase {
    /// Every stored vector the filter chooses, by frame id.
    package func storedVectors(_ filter: FeatureFilter) throws -> StoredVectors {
        let (clause, arguments) = filter.clause
        var vectors = StoredVectors()
        var decodeFailure: LabelStoreError?
        try forEachRow("SELECT ff.frame_id, ff.vector FROM frame_features AS ff JOIN frames AS f ON f.id = ff.frame_id" + clause
                       + " ORDER BY ff.frame_id", arguments) { row in
            guard let id = row[0].int64, let data = row[1].blob else { return }
            let start = vectors.values.count
            vectors.values.append(contentsOf: repeatElement(0, count: StoredFeatures.width))
            let read = vectors.values.withUnsafeMutableBufferPointer {
                VectorCoding.float16Values(data, into: UnsafeMutableBufferPointer(rebasing: $0[start...]))
            }
            guard read else {
                decodeFailure = .unexpectedValue("frame_features.vector of frame \(id)", expected: "2048 bytes")
                return
            }
            vectors.frameIDs.append(id)
        }
        if let decodeFailure { throw decodeFailure }
        return vectors
    }

    /// The stored vector of one frame's view, if it has one.
    package func storedVector(ofFrame id: Int64, view: String) throws -> [Float]? {
        var vector: [Float]?
        try forEachRow("SELECT vector FROM frame_features WHERE frame_id = ? AND view = ?", [.integer(id), .text(view)]) { row in
            guard let data = row[0].blob else { return }
            var values = [Float](repeating: 0, count: StoredFeatures.width)
            if values.withUnsafeMutableBufferPointer({ VectorCoding.float16Values(data, into: $0) }) { vector = values }
        }
        return vector
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
