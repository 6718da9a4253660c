import FramewiseTestSupport
import Foundation
@testable import GoogLeNet

/// Paths into the shared model directory, and the weights loaded once for all tests.
enum SharedData {
    static var modelDirectory: String { TestData.modelDirectory.path }
    static var onnxPath: String { modelDirectory + "/googlenet-bvlc.onnx" }
    static var labelsPath: String { modelDirectory + "/synset_words.txt" }

    private static let loadedWeights = Result { try ModelWeights(contentsOfONNX: onnxPath) }
    private static let prepared = Result { PreparedWeights(try loadedWeights.get()) }

    /// The weights, loaded once for all tests.
    static func weights() throws -> ModelWeights { try loadedWeights.get() }

    /// The weights with the reordered copies every engine in the tests shares (tests run in parallel, so
    /// engines on several threads ask for them at once).
    static func preparedWeights() throws -> PreparedWeights { try prepared.get() }
}
