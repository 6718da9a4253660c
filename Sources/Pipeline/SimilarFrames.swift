import ContentDigest
import FeatureSpace
import Foundation
package import LabelStore

/// The stored frames most like a query vector, for `framewise similar` and the page's "more like this": brute
/// force over a `VectorSearchFile` of the view's vectors (int8), kept in step with the database (vectors added
/// since are appended, deleted ones struck out) — beside an SQLite file (`DB.vectors-VIEW`), in the temporary directory for a PostgreSQL database —,
/// then the best candidates (4× as many as asked, at least 32 more) ranked again on their stored half floats, so
/// the order and scores shown are the exact ones and int8 only chooses the candidates.
package enum SimilarFrames {
    /// The columns of `search`'s rows.
    package static let columns = ["frame_id", "source", "pts", "captured_at", "score"]

    /// At most `top` frames of `view` (of the sources of `sources`, when given; captured in `from..<to`), most
    /// similar first, each as a row of `columns`.
    package static func search(_ query: [Float], top: Int, view: String, sources: Set<Int64>? = nil, from: Double? = nil,
                               to: Double? = nil, in database: any ReadOnlyLabelDatabase, at location: LabelDatabaseLocation)
        throws -> [[QueryValue]]
    {
        let file = try VectorSearchFile.synchronised(
            path: searchFilePath(for: location, view: view), width: StoredFeatures.width,
            with: VectorSearchFile.Source(
                census: {
                    let (count, largest, sum) = try database.featureCensus(view: view)
                    return VectorSearchFile.Census(count: count, largestFrameID: largest, frameIDSum: sum)
                },
                frameIDs: { try database.frameIDsWithFeatures(view: view) },
                rows: { frameIDs, add in
                    try database.forEachStoredVector(view: view, frameIDs: frameIDs) { frameID, sourceID, capturedAt, values in
                        try add(VectorSearchFile.Row(frameID: frameID, sourceID: sourceID, capturedAt: capturedAt, values: values))
                    }
                }))
        let filter = VectorSearchFile.Filter(sources: sources, from: from, to: to)
        let candidates = file.best(max(top * 4, top + 32), of: query, filter: filter).map(\.frameID)
        let stored = try database.storedVectors(ofFrames: candidates, view: view)
        let best = stored.map { (frameID: $0.key, score: CosineRanking.similarity(query, $0.value)) }
            .sorted { ($0.score, -$0.frameID) > ($1.score, -$1.frameID) }.prefix(top)
        let scores = Dictionary(uniqueKeysWithValues: best.map { ($0.frameID, $0.score) })
        return try database.frameRows(best.map(\.frameID)).map { row in row + [.real(Double(scores[row[0].int64 ?? -1] ?? 0))] }
    }

    /// `DB.vectors-VIEW` beside an SQLite file; for PostgreSQL, in the temporary directory under a digest of the
    /// (redacted) URL. A view's name is kept when it is plain letters, digits, `-` and `_`, else hex-encoded.
    static func searchFilePath(for location: LabelDatabaseLocation, view: String) -> String {
        let plain = view.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        let name = plain ? view : Data(view.utf8).map { String(format: "%02x", $0) }.joined()
        switch location {
        case .sqlite(let path):
            return "\(path).vectors-\(name)"
        case .postgres:
            let digest = SHA256Digest.hex(of: Data(location.description.utf8)).prefix(16)
            return FileManager.default.temporaryDirectory.appendingPathComponent("framewise-\(digest).vectors-\(name)").path
        }
    }
}
