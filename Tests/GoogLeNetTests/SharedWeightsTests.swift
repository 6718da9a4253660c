import FramewiseTestSupport
import Foundation
import Testing
@testable import GoogLeNet

/// Engines built from one `PreparedWeights` share its reordered weights and keep them alive.
@Suite struct SharedWeightsTests {
    @Test func secondEngineReusesTheFirstEnginesReorderedWeights() throws {
        let prepared = PreparedWeights(try SharedData.weights())
        #expect(prepared.reorderedByteCount == 0)
        let first = try GoogLeNetEngine(weights: prepared)
        let afterFirst = prepared.reorderedByteCount
        // Every parameter is copied once (blocked layouts may pad a little).
        #expect(afterFirst >= prepared.weights.parameterCount * MemoryLayout<Float>.size)
        let second = try GoogLeNetEngine(weights: prepared, batchSize: 2)
        #expect(prepared.reorderedByteCount == afterFirst)

        let input = try TestData.referenceTensor("coffee.input.f32")
        let alone = try first.classify(input)
        let pair = try second.classify(input + input)
        #expect(Array(pair[0..<1000]) == alone)
        #expect(Array(pair[1000..<2000]) == alone)
    }

    @Test func engineKeepsSharedWeightsAliveAfterTheCacheIsGone() throws {
        let engine = try GoogLeNetEngine(weights: PreparedWeights(try SharedData.weights()))
        let probabilities = try engine.classify(try TestData.referenceTensor("coffee.input.f32"))
        let expected = try TestData.referenceTensor("coffee.prob.f32")
        let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "max |p - p_ref| = \(worst)")
    }
}
