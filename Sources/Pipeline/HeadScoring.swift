import FeatureSpace

/// A trained head applied to one view of an input's frames: its classes (numbered by their stored ids) and its
/// classifier with the standardisation folded in, so it reads raw pool5 features. In a view of several crops a
/// class scores its highest probability over the crops.
final class HeadScoring: Sendable {
    let view: String
    let classIDs: [Int]
    /// Row-major, one row of pool5's width per class.
    let weights: [Float]
    let biases: [Float]

    init(view: String, classIDs: [Int], weights: [Float], biases: [Float]) {
        precondition(classIDs.count == biases.count && weights.count % max(biases.count, 1) == 0)
        self.view = view
        self.classIDs = classIDs
        self.weights = weights
        self.biases = biases
    }

    /// Every class's score in a view whose crops had `features` (one vector per crop), best first.
    func scores(of features: ArraySlice<[Float]>) -> [ScoredClass] {
        let width = weights.count / biases.count
        var best = [Float](repeating: 0, count: biases.count)
        for crop in features {
            var logits = biases
            for row in logits.indices {
                var sum: Float = 0
                for column in 0..<width { sum += weights[row * width + column] * crop[column] }
                logits[row] += sum
            }
            let probabilities = SoftmaxRegression.softmax(logits)
            for row in best.indices { best[row] = max(best[row], probabilities[row]) }
        }
        return zip(classIDs, best).map { ScoredClass(classIndex: $0, score: $1) }.sorted { $0.score > $1.score }
    }
}
