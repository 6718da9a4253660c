import FramewiseTestSupport
import Foundation
import Testing
import VideoDecoding
@testable import GoogLeNet

/// Pool5 features (`classifyWithFeatures`): ONNX Runtime's pool5 for a real photo at fp32, and at every precision
/// the features are the very values the classifier read (its weights applied to them, then softmax, give the
/// returned probabilities).
@Suite struct FeatureTests {
    /// The engines of the precisions this CPU runs.
    static func engines() throws -> [GoogLeNetEngine] {
        var weights = [try SharedData.preparedWeights(), try SharedCalibration.int8Weights()]
        if CPUSupport.supports(.bf16) { weights.append(PreparedWeights(try SharedData.weights(), numerics: .bf16)) }
        return try weights.map { try GoogLeNetEngine(weights: $0) }
    }

    @Test func fp32FeaturesOfThePhotoMatchONNXRuntime() throws {
        let engine = try GoogLeNetEngine(weights: SharedData.preparedWeights())
        let answer = try engine.classifyWithFeatures(batch: [TestData.referenceTensor("coffee.input.f32")])[0]
        let expected = try TestData.referenceTensor("layers/coffee.pool5.7x7_s1_2.f32")
        #expect(engine.featureCount == 1024 && answer.features.count == expected.count)
        let scale = expected.map(abs).max() ?? 1
        let worst = zip(answer.features, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4 * scale, "max |f - f_ref| = \(worst) (largest value \(scale))")
    }

    /// The lower precisions' features stay near fp32's (cosine similarity with ONNX Runtime's pool5).
    @Test func everyPrecisionsFeaturesFollowTheReference() throws {
        let input = try TestData.referenceTensor("coffee.input.f32")
        let expected = try TestData.referenceTensor("layers/coffee.pool5.7x7_s1_2.f32")
        for engine in try Self.engines() {
            let features = try engine.classifyWithFeatures(batch: [input])[0].features
            let similarity = cosine(features, expected)
            #expect(similarity >= 0.99, "\(engine.precision): cosine similarity with the reference \(similarity)")
        }
    }

    @Test func classifierOnTheFeaturesGivesTheProbabilities() throws {
        let weights = try SharedData.weights()
        let classifier = weights.values("loss3/classifier_w_0"), bias = weights.values("loss3/classifier_b_0")
        let photos = try ["coffee.png", "motorcycle_left.png"].map {
            try StillImage.networkInput(contentsOf: TestData.photo($0), spec: SharedCalibration.spec)
        }
        for engine in try Self.engines() {
            let answers = try engine.classifyWithFeatures(batch: photos)
            #expect(try answers.map(\.probabilities) == engine.classify(batch: photos), "\(engine.precision)")
            for answer in answers {
                // bf16 runs the classifier on bf16 weights: round them as oneDNN does; f32 accumulation either way.
                let rounded = engine.precision == .bf16 ? classifier.map(bfloat16) : classifier
                let recomputed = softmax(logits(rounded, bias, answer.features))
                let worst = zip(recomputed, answer.probabilities).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst <= 2e-5, "\(engine.precision): max |softmax(W f + b) - p| = \(worst)")
            }
        }
    }

    @Test func batchesGiveEachImageItsOwnFeatures() throws {
        let engine = try GoogLeNetEngine(weights: SharedData.preparedWeights(), batchSize: 2)
        let inputs = try ["coffee", "astronaut"].map { try TestData.referenceTensor("\($0).input.f32") }
        let answers = try engine.classifyWithFeatures(batch: inputs)
        #expect(answers.count == 2 && answers.allSatisfy { $0.features.count == 1024 && $0.probabilities.count == 1000 })
        #expect(answers[0].features != answers[1].features)
        #expect(try engine.classify(inputs.flatMap { $0 }) == answers.flatMap(\.probabilities))
    }

    private func logits(_ weights: [Float], _ bias: [Float], _ features: [Float]) -> [Double] {
        bias.indices.map { row in
            zip(weights[row * features.count ..< (row + 1) * features.count], features)
                .reduce(Double(bias[row])) { $0 + Double($1.0) * Double($1.1) }
        }
    }

    private func softmax(_ logits: [Double]) -> [Float] {
        let largest = logits.max() ?? 0
        let exponentials = logits.map { exp($0 - largest) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { Float($0 / sum) }
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms = sqrt(a.reduce(0.0) { $0 + Double($1) * Double($1) }) * sqrt(b.reduce(0.0) { $0 + Double($1) * Double($1) })
        return dot / norms
    }

    /// A float rounded to bfloat16 (round to nearest even), back as a float.
    private func bfloat16(_ value: Float) -> Float {
        let bits = value.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000)
    }
}
