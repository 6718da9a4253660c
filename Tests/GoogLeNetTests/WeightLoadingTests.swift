import FramewiseTestSupport
import Foundation
import Testing
@testable import GoogLeNet
import SwiftProtobuf

/// Each way a weights file can be wrong gives its own one-line error; `float_data` loads like `raw_data`.
@Suite struct WeightLoadingTests {
    let temporary: TemporaryDirectory
    var directory: URL { temporary.url }

    init() throws {
        temporary = try TemporaryDirectory(prefix: "framewise-weights")
    }

    /// The shared model parsed with the project's own protobuf types, to derive broken variants from.
    func sharedModel() throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: SharedData.onnxPath)))
    }

    func write(_ model: Onnx_ModelProto, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try model.serializedData().write(to: url)
        return url.path
    }

    func loadError(_ path: String) -> ModelLoadError? {
        do {
            _ = try ModelWeights(contentsOfONNX: path)
            return nil
        } catch {
            return error as? ModelLoadError
        }
    }

    @Test func truncatedFile() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: SharedData.onnxPath))
        let path = directory.appendingPathComponent("truncated.onnx").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(loadError(path) == .truncated(path: path))
    }

    @Test func randomBytesAreNotONNX() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let path = directory.appendingPathComponent("random.onnx").path
        try bytes.write(to: URL(fileURLWithPath: path))
        let error = try #require(loadError(path))
        #expect(error == .notONNX(path: path) || error == .truncated(path: path))
    }

    @Test func textFileIsNotONNX() throws {
        let path = directory.appendingPathComponent("labels.onnx").path
        try FileManager.default.copyItem(atPath: SharedData.labelsPath, toPath: path)
        #expect(loadError(path) == .notONNX(path: path))
    }

    @Test func missingFile() {
        let path = directory.appendingPathComponent("absent.onnx").path
        guard case .unreadable(let reported, _) = loadError(path) else {
            Issue.record("a missing file must be reported as unreadable")
            return
        }
        #expect(reported == path)
    }

    @Test func missingTensorIsNamed() throws {
        var model = try sharedModel()
        model.graph.initializer.removeAll { $0.name == "inception_4c/5x5_w_0" }
        let error = loadError(try write(model, "missing.onnx"))
        #expect(error == .missingTensor(name: "inception_4c/5x5_w_0"))
        #expect(error?.description == "the model has no tensor inception_4c/5x5_w_0")
    }

    @Test func wrongShapeNamesBothShapes() throws {
        var model = try sharedModel()
        let index = try #require(model.graph.initializer.firstIndex { $0.name == "conv2/3x3_w_0" })
        model.graph.initializer[index].dims = [64, 192, 3, 3]
        let error = loadError(try write(model, "shape.onnx"))
        #expect(error == .wrongShape(name: "conv2/3x3_w_0", expected: [192, 64, 3, 3], found: [64, 192, 3, 3]))
        #expect(error?.description == "tensor conv2/3x3_w_0 has shape [64, 192, 3, 3], GoogLeNet needs [192, 64, 3, 3]")
    }

    @Test func floatDataLoadsLikeRawData() throws {
        var model = try sharedModel()
        for index in model.graph.initializer.indices {
            let raw = model.graph.initializer[index].rawData
            model.graph.initializer[index].floatData = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            model.graph.initializer[index].rawData = Data()
        }
        let fromFloatData = try ModelWeights(contentsOfONNX: try write(model, "float-data.onnx"))
        let fromRawData = try SharedData.weights()
        for parameter in GoogLeNetArchitecture.parameters {
            #expect(fromFloatData.values(parameter.name) == fromRawData.values(parameter.name), "\(parameter.name)")
        }
    }

    @Test func auxiliaryClassifierTensorsAreIgnored() throws {
        var model = try sharedModel()
        var extra = Onnx_TensorProto()
        extra.name = "loss1/conv_w_0"
        extra.dims = [128, 512, 1, 1]
        extra.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        extra.floatData = Array(repeating: 0.5, count: 128 * 512)
        model.graph.initializer.append(extra)
        let weights = try ModelWeights(contentsOfONNX: try write(model, "with-aux.onnx"))
        #expect(weights.parameterCount == (try SharedData.weights()).parameterCount)
    }

    @Test func architectureCountsMatchThePaper() {
        // About 7 million parameters and 1.5 billion multiply-adds per image (the paper's Table 1 totals).
        #expect(GoogLeNetArchitecture.parameters.count == 116)
        #expect(GoogLeNetArchitecture.parameters.reduce(0) { $0 + $1.elementCount } == 6_998_552)
        #expect((1_500_000_000...1_600_000_000).contains(GoogLeNetArchitecture.multiplyAccumulates))
    }
}
