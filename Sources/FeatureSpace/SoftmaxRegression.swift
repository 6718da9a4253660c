import Foundation

/// A multinomial logistic regression on standardised features: a head's trained classifier. A feature vector
/// `f` is standardised (`(f − mean) / scale`), each class scored `weights[c] · z + bias[c]`, and the scores
/// turned into probabilities by softmax.
package struct SoftmaxRegression: Sendable, Equatable {
    package let classNames: [String]
    package let means: [Float]
    package let scales: [Float]
    /// Row-major, one row of `width` per class.
    package let weights: [Float]
    package let biases: [Float]

    package var width: Int { means.count }

    init(classNames: [String], means: [Float], scales: [Float], weights: [Float], biases: [Float]) {
        self.classNames = classNames
        self.means = means
        self.scales = scales
        self.weights = weights
        self.biases = biases
    }

    /// Every parameter in one list, the stored form's order (`head_versions.parameters`): the means, the scales,
    /// then per class its weights and its bias.
    package var parameters: [Float] {
        var values = means + scales
        for row in classNames.indices {
            values += weights[row * width..<(row + 1) * width]
            values.append(biases[row])
        }
        return values
    }

    /// Reads `parameters`; nil when they are not `classNames.count` classes over `width` features.
    package init?(classNames: [String], width: Int, parameters values: [Float]) {
        guard width > 0, classNames.count >= 2, values.count == 2 * width + classNames.count * (width + 1),
              values.allSatisfy(\.isFinite)
        else { return nil }
        var weights: [Float] = [], biases: [Float] = []
        for row in classNames.indices {
            let start = 2 * width + row * (width + 1)
            weights += values[start..<start + width]
            biases.append(values[start + width])
        }
        self.init(classNames: classNames, means: Array(values[0..<width]), scales: Array(values[width..<2 * width]),
                  weights: weights, biases: biases)
    }

    /// The same classifier on raw features: weights divided by the scales, the means folded into the biases.
    package func foldedIntoRawFeatures() -> (weights: [Float], biases: [Float]) {
        var folded = weights, biases = biases
        for row in classNames.indices {
            for column in 0..<width {
                let weight = weights[row * width + column] / scales[column]
                folded[row * width + column] = weight
                biases[row] -= weight * means[column]
            }
        }
        return (folded, biases)
    }

    /// Each class's probability for one feature vector of `width` values.
    package func probabilities(of features: some Collection<Float>) -> [Float] {
        precondition(features.count == width, "a feature vector of \(features.count) values, not \(width)")
        var scores = biases
        for (column, value) in features.enumerated() {
            let standardised = (value - means[column]) / scales[column]
            for row in classNames.indices { scores[row] += weights[row * width + column] * standardised }
        }
        return Self.softmax(scores)
    }

    /// Probabilities from scores, computed stably (the largest score subtracted first).
    package static func softmax(_ scores: [Float]) -> [Float] {
        let largest = scores.max() ?? 0
        let exponentials = scores.map { exp($0 - largest) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { $0 / total }
    }
}
