import FeatureSpace
package import LabelStore

/// The stored frames most like a query vector: `framewise similar` and the page's "more like this" rank with it.
package enum SimilarFrames {
    /// At most `top` frames of `vectors`, most similar first (cosine similarity of their features).
    package static func rank(_ query: [Float], among vectors: StoredVectors, top: Int) -> [(frameID: Int64, score: Float)] {
        CosineRanking.best(top, of: query, among: vectors.values, width: StoredFeatures.width)
            .map { (vectors.frameIDs[$0.index], $0.score) }
    }
}
