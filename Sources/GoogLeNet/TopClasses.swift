/// One class and its probability, as ranked by `topClasses`.
package struct RankedClass: Sendable, Equatable {
    package let classIndex: Int
    package let probability: Float

    package init(classIndex: Int, probability: Float) {
        self.classIndex = classIndex
        self.probability = probability
    }
}

/// The `k` most probable classes of one image's probabilities, best first (ties: lower class index first).
package func topClasses<C: RandomAccessCollection>(_ k: Int, of probabilities: C) -> [RankedClass]
where C.Element == Float, C.Index == Int {
    var best: [RankedClass] = []
    best.reserveCapacity(k + 1)
    for index in probabilities.indices {
        let probability = probabilities[index]
        if best.count == k, let last = best.last, probability <= last.probability { continue }
        let candidate = RankedClass(classIndex: index - probabilities.startIndex, probability: probability)
        let position = best.firstIndex { probability > $0.probability } ?? best.count
        best.insert(candidate, at: position)
        if best.count > k { best.removeLast() }
    }
    return best
}
