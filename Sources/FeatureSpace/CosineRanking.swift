/// Ranks feature vectors by cosine similarity to a query, by brute force: one matrix-vector product (oneDNN's
/// sgemm) for the dot products, the rows' norms alongside, then the best `count` kept.
package enum CosineRanking {
    /// The indices of the `count` rows of `rows` (row-major, `width` values each) most similar to `query`, with
    /// their cosine similarity, best first (ties: the lower index first). A zero vector scores 0.
    package static func best(_ count: Int, of query: [Float], among rows: [Float], width: Int) -> [(index: Int, score: Float)] {
        let rowCount = rows.count / width
        guard rowCount > 0, count > 0, query.count == width else { return [] }
        var dots = [Float](repeating: 0, count: rowCount)
        rows.withUnsafeBufferPointer { rows in
            query.withUnsafeBufferPointer { query in
                dots.withUnsafeMutableBufferPointer { dots in
                    MatrixProduct.multiply(rows.baseAddress!, .asStored, query.baseAddress!, .asStored,
                                           into: dots.baseAddress!, m: rowCount, n: 1, k: width)
                }
            }
        }
        let queryNorm = norm(query[...])
        var scored: [(index: Int, score: Float)] = []
        scored.reserveCapacity(rowCount)
        rows.withUnsafeBufferPointer { rows in
            for row in 0..<rowCount {
                let rowNorm = norm(rows[row * width..<(row + 1) * width])
                let denominator = rowNorm * queryNorm
                scored.append((row, denominator > 0 ? dots[row] / denominator : 0))
            }
        }
        // A partial selection would do; a sort of a million pairs takes ~0.1 s and is simpler to trust.
        scored.sort { ($0.score, -$0.index) > ($1.score, -$1.index) }
        return Array(scored.prefix(count))
    }

    private static func norm(_ values: some Collection<Float>) -> Float {
        var sum: Float = 0
        for value in values { sum += value * value }
        return sum.squareRoot()
    }
}
