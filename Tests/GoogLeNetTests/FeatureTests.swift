import FramewiseTestSupport
import Foundation
import Testing
import VideoDecoding
@testable import GoogLeNet

/// Pool5 features (`classifyWithFeatures`): ONNX Runtime's pool5 for a real photo at fp32, and at every precision
/// the features are the very values the classifier read (its weights applied to them, then softmax, give the
/// returned probabilities; int8's classifier reads them in u8 steps of pool5's calibrated range).
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
                let recomputed = switch engine.precision {
                case .fp32: softmax(logits(classifier, bias, answer.features))
                // bf16 runs the classifier on bf16 weights: round them as oneDNN does; f32 accumulation either way.
                case .bf16: softmax(logits(classifier.map(bfloat16), bias, answer.features))
                case .int8: softmax(try int8Logits(classifier, bias, answer.features))
                }
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

    /// The classifier as int8 runs it: the features rounded to u8 at pool5's calibrated scale, each class's
    /// weights rounded to s8 at the scale that maps its largest |w| to 127 (63 without AVX-512 VNNI), integer
    /// products summed, then scaled back to real values and the bias added.
    private func int8Logits(_ weights: [Float], _ bias: [Float], _ features: [Float]) throws -> [Double] {
        let featureScale = try SharedCalibration.calibration().quantizationScale(of: "pool5/7x7_s1")
        let quantized = features.map { Double(min(max(($0 * featureScale).rounded(.toNearestOrEven), 0), 255)) }
        let limit: Float = CPUSupport.addsInt8ProductsIn32Bits ? 127 : 63
        return bias.indices.map { row in
            let filter = weights[row * features.count ..< (row + 1) * features.count]
            let weightScale = limit / filter.reduce(0) { max($0, abs($1)) }
            let sum = zip(filter, quantized).reduce(0.0) { $0 + Double(($1.0 * weightScale).rounded(.toNearestOrEven)) * $1.1 }
            return sum / Double(weightScale * featureScale) + Double(bias[row])
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
