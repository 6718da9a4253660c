package import Foundation

/// The activation ranges int8 inference quantizes with, measured by running real frames through fp32
/// (`framewise model calibrate`), stored as `calibration-int8.json` in the model directory and tied to the
/// model's SHA-256: a calibration of other weights is refused.
package struct Calibration: Codable, Sendable, Equatable {
    /// The file's name in the model directory.
    package static let fileName = "calibration-int8.json"
    static let currentFormat = 1

    package var format: Int
    package var modelSHA256: String
    /// ISO 8601, UTC.
    package var createdAt: String
    /// The inputs the frames came from (redacted locations), and how many frames were used.
    package var inputs: [String]
    package var frames: Int
    /// The range method kept (`max` or `percentile-99.99`), and each method's top-1 agreement with fp32 on the
    /// calibration frames, which decided it.
    package var method: String
    package var agreement: [String: Double]
    /// Per layer output (names as in `GoogLeNetEngine.layerNames`): the largest real value int8 represents.
    package var ranges: [String: Float]

    package init(modelSHA256: String, createdAt: Date = Date(), inputs: [String], frames: Int, method: String,
                agreement: [String: Double], ranges: [String: Float]) {
        format = Self.currentFormat
        self.modelSHA256 = modelSHA256
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.inputs = inputs
        self.frames = frames
        self.method = method
        self.agreement = agreement
        self.ranges = ranges
    }

    enum CodingKeys: String, CodingKey {
        case format, inputs, frames, method, agreement, ranges
        case modelSHA256 = "model_sha256", createdAt = "created_at"
    }

    /// 255 / the range of layer `name`: the factor from real values to u8.
    func quantizationScale(of name: String) throws -> Float {
        guard let range = ranges[name] else {
            throw CalibrationError(message: "the int8 calibration has no range for layer \(name): run `framewise model calibrate` again")
        }
        return 255 / max(range, 1e-6)
    }

    /// The calibration file of the model in `directory`, checked against the model's `modelSHA256`.
    package static func load(directory: String, modelSHA256: String) throws -> Calibration {
        let path = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else {
            throw CalibrationError(message: "int8 needs a calibration of this model and \(directory) has none: run `framewise model calibrate VIDEO...` first")
        }
        let calibration: Calibration
        do {
            calibration = try JSONDecoder().decode(Calibration.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CalibrationError(message: "\(path) is not a valid calibration file (\(Self.reason(error))): run `framewise model calibrate` again")
        }
        guard calibration.format == currentFormat else {
            throw CalibrationError(message: "\(path) has format \(calibration.format), this program reads \(currentFormat): run `framewise model calibrate` again")
        }
        guard calibration.modelSHA256 == modelSHA256 else {
            throw CalibrationError(message: "\(path) was made for another model (sha256 \(calibration.modelSHA256.prefix(12))…, this one is \(modelSHA256.prefix(12))…): run `framewise model calibrate` again")
        }
        if let bad = calibration.ranges.first(where: { !$0.value.isFinite || $0.value < 0 }) {
            throw CalibrationError(message: "\(path) has an invalid range for \(bad.key): run `framewise model calibrate` again")
        }
        return calibration
    }

    /// Writes the file into `directory` (atomically: a reader sees the old file or the new one).
    package func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = directory + "/" + Self.fileName
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CalibrationError(message: "cannot write \(path): \((error as NSError).localizedDescription)")
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted: "not JSON"
        case DecodingError.keyNotFound(let key, _): "no \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "\(error)"
        }
    }
}

/// A calibration that cannot be used or made, in one line.
package struct CalibrationError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

extension LoadedModelFiles {
    /// What an engine needs to run this model at `precision`: checks that the CPU runs it natively and, for int8,
    /// reads this model's calibration. Throws the one-line reason otherwise.
    package func numerics(for precision: Precision) throws -> EngineNumerics {
        try CPUSupport.require(precision)
        switch precision {
        case .fp32: return .fp32
        case .bf16: return .bf16
        case .int8: return .int8(try Calibration.load(directory: directory.path, modelSHA256: sha256))
        }
    }
}
