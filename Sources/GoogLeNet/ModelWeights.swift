import Foundation
import SwiftProtobuf

/// Why a weights file could not be used; `description` is the one line shown to the user.
package enum ModelLoadError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case truncated(path: String)
    case notONNX(path: String)
    case missingTensor(name: String)
    case wrongShape(name: String, expected: [Int], found: [Int])
    case notFloat32(name: String, dataType: Int32)
    case wrongDataSize(name: String, expectedValues: Int, foundBytes: Int)

    package var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .truncated(let path): "\(path) is truncated (the ONNX data ends early)"
        case .notONNX(let path): "\(path) is not an ONNX model"
        case .missingTensor(let name): "the model has no tensor \(name)"
        case .wrongShape(let name, let expected, let found):
            "tensor \(name) has shape \(found), GoogLeNet needs \(expected)"
        case .notFloat32(let name, let dataType): "tensor \(name) is not float32 (ONNX data type \(dataType))"
        case .wrongDataSize(let name, let expected, let found):
            "tensor \(name) holds \(found) bytes of data, its shape needs \(expected) float32 values"
        }
    }
}

/// GoogLeNet's weights, read once per process from an ONNX file and shared read-only by every engine.
///
/// Immutable after `init`, hence `Sendable`.
package final class ModelWeights: Sendable {
    private let tensors: [String: [Float]]

    /// Reads the initializers of the ONNX file at `path` and checks each tensor the architecture needs.
    /// Tensors it does not need (e.g. auxiliary classifiers) are ignored.
    package convenience init(contentsOfONNX path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ModelLoadError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(onnx: data, path: path)
    }

    /// Parses ONNX bytes; `path` only names the file in errors.
    init(onnx data: Data, path: String) throws {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.discardUnknownFields = true
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch BinaryDecodingError.truncated {
            throw ModelLoadError.truncated(path: path)
        } catch {
            throw ModelLoadError.notONNX(path: path)
        }
        guard model.hasGraph, !model.graph.initializer.isEmpty else { throw ModelLoadError.notONNX(path: path) }

        let initializers = Dictionary(model.graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var tensors: [String: [Float]] = [:]
        for expected in GoogLeNetArchitecture.parameters {
            guard let tensor = initializers[expected.name] else { throw ModelLoadError.missingTensor(name: expected.name) }
            tensors[expected.name] = try Self.values(of: tensor, expected: expected)
        }
        self.tensors = tensors
    }

    private static func values(of tensor: Onnx_TensorProto, expected: ParameterTensor) throws -> [Float] {
        let shape = tensor.dims.map { Int($0) }
        guard shape == expected.shape else {
            throw ModelLoadError.wrongShape(name: expected.name, expected: expected.shape, found: shape)
        }
        guard tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw ModelLoadError.notFloat32(name: expected.name, dataType: tensor.dataType)
        }
        if !tensor.rawData.isEmpty {
            // raw_data is little-endian float32, as is every platform Framewise runs on.
            guard tensor.rawData.count == expected.elementCount * MemoryLayout<Float>.size else {
                throw ModelLoadError.wrongDataSize(name: expected.name, expectedValues: expected.elementCount,
                                                   foundBytes: tensor.rawData.count)
            }
            return [Float](unsafeUninitializedCapacity: expected.elementCount) { buffer, count in
                count = tensor.rawData.copyBytes(to: buffer) / MemoryLayout<Float>.size
            }
        }
        guard tensor.floatData.count == expected.elementCount else {
            throw ModelLoadError.wrongDataSize(name: expected.name, expectedValues: expected.elementCount,
                                               foundBytes: tensor.floatData.count * MemoryLayout<Float>.size)
        }
        return tensor.floatData
    }

    /// The values of a tensor the architecture names (see `GoogLeNetArchitecture.parameters`).
    func values(_ name: String) -> [Float] {
        guard let values = tensors[name] else {
            preconditionFailure("\(name) is not a GoogLeNet parameter; the loader checked them all")
        }
        return values
    }

    /// Number of weights (every parameter tensor's element count, summed).
    package var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.count } }
}
