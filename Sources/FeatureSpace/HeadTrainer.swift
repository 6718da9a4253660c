import CDNNL
import Foundation

/// Trains a head's classifier and measures it honestly: nested k-fold cross-validation. Each outer fold's
/// held-out examples are classified by a model fitted on the other folds with the L2 strength chosen by an
/// inner cross-validation of those folds alone, so no held-out example ever influenced its own classifier.
/// The classifier kept is then fitted on every example with the strength a plain cross-validation of all of
/// them chooses. Folds are stratified (each class spread evenly) and drawn by a fixed seed: the same examples
/// always give the same folds, strengths and weights.
package struct HeadTrainer: Sendable {
    /// The strengths tried: C = 10⁻⁴ … 10⁴ in 10 steps, the grid scikit-learn's `LogisticRegressionCV` tries.
    package static let defaultStrengths: [Double] = (0..<10).map { pow(10, -4 + 8 * Double($0) / 9) }

    package var folds = 5
    package var strengths = HeadTrainer.defaultStrengths
    package var seed: UInt64 = 0x5EED

    package init() {}

    /// Trains on `examples`; refuses fewer than two classes with examples, or a class with fewer than two.
    package func train(_ examples: FeatureSet) throws(TrainingError) -> TrainedHead {
        let counts = examples.classCounts
        let present = examples.classNames.indices.filter { counts[$0] > 0 }
        guard present.count >= 2 else { throw .tooFewClasses(withExamples: present.map { examples.classNames[$0] }) }
        if let sparse = counts.indices.first(where: { counts[$0] < 2 }) {
            throw .tooFewExamples(className: examples.classNames[sparse], count: counts[sparse])
        }
        let folds = min(self.folds, counts.min()!)
        let assignment = stratifiedFolds(examples.labels, folds: folds)
        var heldOutPredictions = [Int](repeating: 0, count: examples.count)
        var chosenPerFold: [Double] = []
        for fold in 0..<folds {
            let training = examples.labels.indices.filter { assignment[$0] != fold }
            let heldOut = examples.labels.indices.filter { assignment[$0] == fold }
            let trainingSet = examples.subset(training)
            let strength = chooseStrength(for: trainingSet)
            chosenPerFold.append(strength)
            let fitter = RegressionFitter(trainingSet)
            let model = fitter.model(fitter.fit(c: strength))
            for index in heldOut { heldOutPredictions[index] = model.predictedClass(of: examples.row(index)) }
        }
        let strength = chooseStrength(for: examples)
        let fitStarted = ContinuousClock.now
        let fitter = RegressionFitter(examples)
        let model = fitter.model(fitter.fit(c: strength, tolerance: 1e-5))
        return TrainedHead(
            model: model, strength: strength, folds: folds, finalFit: ContinuousClock.now - fitStarted,
            evaluation: HeldOutEvaluation(classNames: examples.classNames, truth: examples.labels,
                                          predicted: heldOutPredictions),
            strengthsPerFold: chosenPerFold)
    }

    /// The strength with the best cross-validated accuracy on `examples`; among equally accurate ones, the one
    /// whose held-out probabilities were best (lowest log-loss), so an easy task does not settle for the strongest
    /// regularisation and answers of 0.6 where 0.99 is deserved (appearances are decided on these probabilities).
    /// The strengths are tried from the strongest regularisation up, every fold at once (one thread each, the
    /// folds' fits starting from their previous solutions), and the search stops once two strengths in a row did
    /// worse than the best so far: weaker regularisation only overfits further, and takes the longest to fit.
    private func chooseStrength(for examples: FeatureSet) -> Double {
        let folds = min(self.folds, examples.classCounts.min() ?? 0)
        guard folds >= 2 else { return strengths[strengths.count / 2] }
        let assignment = stratifiedFolds(examples.labels, folds: folds)
        let heldOut = (0..<folds).map { fold in examples.labels.indices.filter { assignment[$0] == fold } }
        let fitters = (0..<folds).map { fold in RegressionFitter(examples.subset(examples.labels.indices.filter { assignment[$0] != fold })) }
        let starts = ConcurrentSlots<[Double]>(count: folds)
        var best: (position: Int, correct: Int, logLoss: Double)?
        var worseInARow = 0
        for (position, strength) in strengths.enumerated() {
            let scores = ConcurrentSlots<(correct: Int, logLoss: Double)>(count: folds)
            DispatchQueue.concurrentPerform(iterations: folds) { fold in
                omp_set_num_threads(1)
                let fitted = fitters[fold].fit(c: strength, from: starts[fold])
                starts[fold] = fitted
                let model = fitters[fold].model(fitted)
                var correct = 0, logLoss = 0.0
                for index in heldOut[fold] {
                    let probabilities = model.probabilities(of: examples.row(index))
                    let truth = examples.labels[index]
                    if SoftmaxRegression.mostProbable(probabilities) == truth { correct += 1 }
                    logLoss -= log(Double(max(probabilities[truth], 1e-12)))
                }
                scores[fold] = (correct, logLoss)
            }
            let correct = (0..<folds).reduce(0) { $0 + scores[$1]!.correct }
            let logLoss = (0..<folds).reduce(0.0) { $0 + scores[$1]!.logLoss }
            if let current = best, (-correct, logLoss) >= (-current.correct, current.logLoss) {
                worseInARow += 1
                if worseInARow == 2 { break }
            } else {
                best = (position, correct, logLoss)
                worseInARow = 0
            }
        }
        return strengths[best!.position]
    }

    /// Each example's fold: within each class, examples in a seeded random order dealt to the folds in turn,
    /// continuing where the previous class stopped (so folds differ in size by at most one).
    private func stratifiedFolds(_ labels: [Int], folds: Int) -> [Int] {
        var generator = SplitMix64(seed: seed)
        var assignment = [Int](repeating: 0, count: labels.count)
        var next = 0
        for label in Set(labels).sorted() {
            var members = labels.indices.filter { labels[$0] == label }
            members.shuffle(using: &generator)
            for member in members {
                assignment[member] = next % folds
                next += 1
            }
        }
        return assignment
    }
}

/// A trained head: the classifier, the strength it was fitted with, and how it did on held-out examples.
package struct TrainedHead: Sendable {
    package let model: SoftmaxRegression
    /// C, the inverse L2 strength, chosen by cross-validating all the examples.
    package let strength: Double
    package let folds: Int
    /// How long the fit of the kept classifier took (standardising and L-BFGS, from zeros).
    package let finalFit: Duration
    /// The nested cross-validation's held-out answers.
    package let evaluation: HeldOutEvaluation
    /// The strength each outer fold's inner cross-validation chose.
    package let strengthsPerFold: [Double]
}

/// Held-out answers against the truth: accuracy, the confusion matrix, per-class precision and recall, and
/// which examples were wrong.
package struct HeldOutEvaluation: Sendable {
    package let classNames: [String]
    package let truth: [Int]
    package let predicted: [Int]

    package var accuracy: Double {
        Double(zip(truth, predicted).count { $0 == $1 }) / Double(max(truth.count, 1))
    }

    /// `confusion[t][p]`: examples of class t answered as p.
    package var confusion: [[Int]] {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classNames.count), count: classNames.count)
        for (t, p) in zip(truth, predicted) { matrix[t][p] += 1 }
        return matrix
    }

    /// Of the examples answered as `index`, the share that were (nil when none was).
    package func precision(of index: Int) -> Double? {
        let answered = confusion.reduce(0) { $0 + $1[index] }
        return answered == 0 ? nil : Double(confusion[index][index]) / Double(answered)
    }

    /// Of the examples of class `index`, the share answered right.
    package func recall(of index: Int) -> Double? {
        let members = confusion[index].reduce(0, +)
        return members == 0 ? nil : Double(confusion[index][index]) / Double(members)
    }

    /// Indices of the examples answered wrongly.
    package var misclassified: [Int] { truth.indices.filter { truth[$0] != predicted[$0] } }
}

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64), so folds never depend on the
/// system's random source (and tests can synthesise the same data every run).
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension FeatureSet {
    /// The features of row `index`.
    func row(_ index: Int) -> ArraySlice<Float> { values[index * width..<(index + 1) * width] }
}

extension SoftmaxRegression {
    /// The class with the highest probability.
    func predictedClass(of features: some Collection<Float>) -> Int {
        Self.mostProbable(probabilities(of: features))
    }

    /// The index of the highest of `probabilities`.
    package static func mostProbable(_ probabilities: [Float]) -> Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
    }
}
