import Foundation

/// Fits a `SoftmaxRegression` to one set of examples: the features standardised by the set's own means and
/// standard deviations, then the mean cross-entropy plus `1/(2·C·n)·‖W‖²` minimised by L-BFGS (the same
/// minimiser as scikit-learn's `LogisticRegression(C=C)`, whose objective is n·C times this one; biases are not
/// penalised). Fits along a path of strengths reuse the previous solution as their start.
struct RegressionFitter {
    let examples: FeatureSet
    let means: [Float]
    let scales: [Float]
    /// The standardised features, row-major.
    private let standardised: [Float]

    init(_ examples: FeatureSet) {
        self.examples = examples
        let width = examples.width, count = examples.count
        var means = [Float](repeating: 0, count: width), scales = [Float](repeating: 0, count: width)
        for row in 0..<count {
            for column in 0..<width { means[column] += examples.values[row * width + column] }
        }
        for column in 0..<width { means[column] /= Float(count) }
        for row in 0..<count {
            for column in 0..<width {
                let deviation = examples.values[row * width + column] - means[column]
                scales[column] += deviation * deviation
            }
        }
        // A feature constant over the examples keeps scale 1: it standardises to 0 and carries no weight.
        for column in 0..<width {
            let deviation = (scales[column] / Float(count)).squareRoot()
            scales[column] = deviation > 1e-6 ? deviation : 1
        }
        var standardised = examples.values
        for row in 0..<count {
            for column in 0..<width {
                standardised[row * width + column] = (standardised[row * width + column] - means[column]) / scales[column]
            }
        }
        self.means = means
        self.scales = scales
        self.standardised = standardised
    }

    /// The fitted parameters (weights then biases), starting from `start` (zeros when nil), stopping when the
    /// gradient's largest component is below `tolerance` (the searches' fits stop early; the kept one does not).
    func fit(c: Double, from start: [Double]? = nil, tolerance: Double = 1e-4) -> [Double] {
        var minimizer = LimitedMemoryBFGS()
        minimizer.gradientTolerance = tolerance
        let width = examples.width, classes = examples.classCount
        let initial = start ?? [Double](repeating: 0, count: classes * (width + 1))
        var weights = [Float](repeating: 0, count: classes * width)
        var scores = [Float](repeating: 0, count: examples.count * classes)
        var weightGradient = [Float](repeating: 0, count: classes * width)
        let penalty = 1 / (c * Double(examples.count))
        return minimizer.minimize(from: initial) { parameters, gradient in
            for index in weights.indices { weights[index] = Float(parameters[index]) }
            let biases = parameters[(classes * width)...]
            standardised.withUnsafeBufferPointer { features in
                weights.withUnsafeBufferPointer { weights in
                    scores.withUnsafeMutableBufferPointer { scores in
                        MatrixProduct.multiply(features.baseAddress!, .asStored, weights.baseAddress!, .transposed,
                                               into: scores.baseAddress!, m: examples.count, n: classes, k: width)
                    }
                }
            }
            // Scores → probabilities − one-hot (the loss's gradient in the scores), row by row.
            var loss = 0.0
            var biasGradient = [Double](repeating: 0, count: classes)
            let scale = 1 / Double(examples.count)
            for row in 0..<examples.count {
                var largest = -Double.infinity
                for column in 0..<classes {
                    let score = Double(scores[row * classes + column]) + biases[biases.startIndex + column]
                    largest = max(largest, score)
                }
                var total = 0.0
                for column in 0..<classes {
                    total += exp(Double(scores[row * classes + column]) + biases[biases.startIndex + column] - largest)
                }
                let label = examples.labels[row]
                for column in 0..<classes {
                    let score = Double(scores[row * classes + column]) + biases[biases.startIndex + column]
                    let probability = exp(score - largest) / total
                    if column == label { loss -= score - largest - log(total) }
                    let residual = (probability - (column == label ? 1 : 0)) * scale
                    scores[row * classes + column] = Float(residual)
                    biasGradient[column] += residual
                }
            }
            scores.withUnsafeBufferPointer { residuals in
                standardised.withUnsafeBufferPointer { features in
                    weightGradient.withUnsafeMutableBufferPointer { weightGradient in
                        MatrixProduct.multiply(residuals.baseAddress!, .transposed, features.baseAddress!, .asStored,
                                               into: weightGradient.baseAddress!, m: classes, n: width, k: examples.count)
                    }
                }
            }
            var squaredWeights = 0.0
            for index in weights.indices {
                let weight = parameters[index]
                squaredWeights += weight * weight
                gradient[index] = Double(weightGradient[index]) + penalty * weight
            }
            for column in 0..<classes { gradient[classes * width + column] = biasGradient[column] }
            return loss * scale + penalty / 2 * squaredWeights
        }
    }

    /// The classifier of fitted parameters.
    func model(_ parameters: [Double]) -> SoftmaxRegression {
        let width = examples.width, classes = examples.classCount
        return SoftmaxRegression(
            classNames: examples.classNames, means: means, scales: scales,
            weights: parameters[0..<classes * width].map(Float.init),
            biases: parameters[(classes * width)...].map(Float.init))
    }
}
