import FramewiseTestSupport
import Foundation
import Testing
@testable import GoogLeNet

/// The engine against ONNX Runtime's outputs for the same weights and inputs (`reference/`).
@Suite struct ReferenceParityTests {
    static let inputs = ["coffee", "astronaut", "motorcycle_left", "noise", "zeros"]

    @Test(arguments: inputs)
    func probabilitiesMatchReference(name: String) throws {
        let engine = try GoogLeNetEngine(weights: SharedData.preparedWeights())
        let input = try TestData.referenceTensor("\(name).input.f32")
        let expected = try TestData.referenceTensor("\(name).prob.f32")
        let probabilities = try engine.classify(input)

        #expect(probabilities.count == expected.count)
        let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "max |p - p_ref| = \(worst)")
        #expect(topClasses(probabilities, 5) == topClasses(expected, 5))
    }

    /// Reference file name → the layer whose output it holds.
    static let taps = [
        "conv1.7x7_s2_2": "conv1/7x7_s2", "pool1.norm1_1": "pool1/norm1", "conv2.norm2_1": "conv2/norm2",
        "inception_3a.output_1": "inception_3a", "inception_4e.output_1": "inception_4e",
        "inception_5b.output_1": "inception_5b", "pool5.7x7_s1_2": "pool5/7x7_s1",
    ]

    @Test func intermediateActivationsMatchReference() throws {
        let engine = try GoogLeNetEngine(weights: SharedData.preparedWeights())
        let input = try TestData.referenceTensor("coffee.input.f32")
        let activations = try engine.activations(input, of: Set(Self.taps.values))
        for (file, layer) in Self.taps {
            let expected = try TestData.referenceTensor("layers/coffee.\(file).f32")
            let actual = try #require(activations[layer])
            #expect(actual.count == expected.count, "\(layer)")
            let scale = max(expected.map(abs).max() ?? 1, 1)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4 * scale, "\(layer): max difference \(worst) (largest value \(scale))")
        }
    }

    @Test func batchOfImagesMatchesOneAtATime() throws {
        let single = try GoogLeNetEngine(weights: SharedData.preparedWeights())
        let batched = try GoogLeNetEngine(weights: SharedData.preparedWeights(), batchSize: 3)
        let names = ["coffee", "noise", "motorcycle_left"]
        let inputs = try names.map { try TestData.referenceTensor("\($0).input.f32") }
        let together = try batched.classify(inputs.flatMap { $0 })
        for (index, input) in inputs.enumerated() {
            let alone = try single.classify(input)
            let slice = Array(together[index * 1000 ..< (index + 1) * 1000])
            let worst = zip(alone, slice).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5, "\(names[index]) in a batch differs by \(worst)")
        }
    }

    @Test func wrongInputSizeIsAnErrorNotACrash() throws {
        let engine = try GoogLeNetEngine(weights: SharedData.preparedWeights())
        #expect(throws: EngineError.self) { try engine.classify([Float](repeating: 0, count: 10)) }
    }
}

func topClasses(_ probabilities: [Float], _ k: Int) -> [Int] {
    Array(probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(k))
}
