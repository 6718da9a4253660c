import FramewiseTestSupport
import Foundation
import GoogLeNet
import Testing
import Pipeline
import VideoDecoding
@testable import FeatureSpace

/// Heads trained on real pool5 features: crops of five of the shared photos at seeded positions and sizes, one
/// class per photo. The features come from the real model (fp32 engine), the crops from FFmpeg's conversion.
@Suite struct HeadTrainerTests {
    static let photos = ["coffee.png", "astronaut.png", "motorcycle_left.png", "camera.png", "coins.png"]

    /// Eight crops of each photo (a region of 45–80% of each side at a seeded position).
    static let examples: Result<FeatureSet, any Error> = Result {
        let model = try ModelDirectory(path: TestData.modelDirectory.path).load()
        let engine = try GoogLeNetEngine(weights: PreparedWeights(model.weights), batchSize: 1, threads: 1)
        var generator = SplitMix64(seed: 7)
        var values: [Float] = [], labels: [Int] = []
        for (label, photo) in photos.enumerated() {
            let regions = try (0..<8).map { index in
                let width = Double.random(in: 0.45...0.8, using: &generator), height = Double.random(in: 0.45...0.8, using: &generator)
                return FrameView.region(try RegionOfFrame(
                    name: "crop\(index)", x: Double.random(in: 0...(1 - width), using: &generator),
                    y: Double.random(in: 0...(1 - height), using: &generator), width: width, height: height))
            }
            let crops = try StillImage.views(contentsOf: TestData.photo(photo), spec: .googLeNet, regions).map { $0.crops[0] }
            for answer in try engine.classifyWithFeatures(batch: crops) {
                values += answer.features
                labels.append(label)
            }
        }
        return try FeatureSet(width: 1024, classNames: photos, values: values, labels: labels)
    }

    @Test func heldOutCropsAreRecognisedAndTheReportAddsUp() throws {
        let examples = try Self.examples.get()
        let head = try HeadTrainer().train(examples)
        #expect(head.folds == 5)
        #expect(head.evaluation.accuracy >= 0.9, "nested cross-validated accuracy \(head.evaluation.accuracy)")
        let confusion = head.evaluation.confusion
        #expect(confusion.flatMap { $0 }.reduce(0, +) == examples.count)
        #expect(head.evaluation.misclassified.count == examples.count - confusion.indices.reduce(0) { $0 + confusion[$1][$1] })
        // The kept model answers its own training crops right, with probabilities that sum to 1.
        for index in 0..<examples.count {
            let probabilities = head.model.probabilities(of: examples.row(index))
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-4)
            #expect(head.model.predictedClass(of: examples.row(index)) == examples.labels[index])
        }
    }

    @Test func trainingIsDeterministicAndTheParametersRoundTrip() throws {
        let examples = try Self.examples.get().onlyClasses(0..<3)  // three photos: a quicker fit
        let first = try HeadTrainer().train(examples), second = try HeadTrainer().train(examples)
        #expect(first.model == second.model && first.strength == second.strength)
        #expect(first.evaluation.predicted == second.evaluation.predicted)
        let restored = SoftmaxRegression(classNames: first.model.classNames, width: 1024, parameters: first.model.parameters)
        #expect(restored == first.model)
        #expect(SoftmaxRegression(classNames: first.model.classNames, width: 1024, parameters: Array(first.model.parameters.dropLast())) == nil)
        // Folding the standardisation into the weights answers the same on raw features.
        let folded = first.model.foldedIntoRawFeatures()
        let row = examples.row(5)
        var scores = folded.biases
        for (column, value) in row.enumerated() {
            for classIndex in scores.indices { scores[classIndex] += folded.weights[classIndex * 1024 + column] * value }
        }
        let direct = first.model.probabilities(of: row), viaFolded = SoftmaxRegression.softmax(scores)
        #expect(zip(direct, viaFolded).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func aHeadNeedsTwoClassesWithTwoExamplesEach() throws {
        let examples = try Self.examples.get()
        let oneClass = try examples.onlyClasses(0..<1)
        #expect(throws: TrainingError.tooFewClasses(withExamples: ["coffee.png"])) { try HeadTrainer().train(oneClass) }
        let lonely = examples.subset(Array(0..<8) + [8] + Array(16..<40))
        #expect(throws: TrainingError.tooFewExamples(className: "astronaut.png", count: 1)) { try HeadTrainer().train(lonely) }
        let empty = examples.subset(Array(0..<8) + Array(16..<40))
        #expect(throws: TrainingError.tooFewExamples(className: "astronaut.png", count: 0)) { try HeadTrainer().train(empty) }
        #expect(TrainingError.tooFewExamples(className: "open", count: 0).description.hasPrefix("class open has no examples"))
        #expect(throws: TrainingError.self) {
            try FeatureSet(width: 1024, classNames: ["a", "b"], values: [Float](repeating: .nan, count: 2048), labels: [0, 1])
        }
        #expect(TrainingError.tooFewClasses(withExamples: ["open"]).description.contains("only open"))
    }
}

extension FeatureSet {
    /// The examples of the first classes only, as a set of those classes.
    func onlyClasses(_ range: Range<Int>) throws -> FeatureSet {
        let kept = labels.indices.filter { range.contains(labels[$0]) }
        let rows = subset(kept)
        return try FeatureSet(width: width, classNames: Array(classNames[range]), values: rows.values, labels: rows.labels)
    }
}
