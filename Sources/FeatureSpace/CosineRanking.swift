/// Cosine similarity of two feature vectors.
package enum CosineRanking {
    /// `a·b / (‖a‖‖b‖)`; 0 when either is the zero vector.
    package static func similarity(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of \(a.count) and \(b.count) values")
        var dot: Float = 0, aa: Float = 0, bb: Float = 0
        for index in a.indices {
            dot += a[index] * b[index]
            aa += a[index] * a[index]
            bb += b[index] * b[index]
        }
        let denominator = (aa * bb).squareRoot()
        return denominator > 0 ? dot / denominator : 0
    }
}
