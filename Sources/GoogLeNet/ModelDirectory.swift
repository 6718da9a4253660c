import ContentDigest
import Foundation

/// A model on disk: a directory holding GoogLeNet's ONNX file and its class labels.
///
/// Where the model is looked for: `--model DIR` when given, else `$FRAMEWISE_MODEL_DIR`, else the user's data
/// directory, `$XDG_DATA_HOME/framewise/models/googlenet` (`~/.local/share/...` when XDG_DATA_HOME is unset).
/// The ONNX file is `googlenet-bvlc.onnx` or the ONNX Model Zoo's `googlenet-12.onnx`, or the directory's only
/// `.onnx`; the labels are `synset_words.txt` (or `synset.txt`).
package struct ModelDirectory: Sendable {
    package let path: String
    package let onnxPath: String
    package let labelsPath: String

    static let onnxNames = ["googlenet-bvlc.onnx", "googlenet-12.onnx"]
    static let labelNames = ["synset_words.txt", "synset.txt"]

    /// The directory to use when none is named on the command line.
    package static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["FRAMEWISE_MODEL_DIR"], !path.isEmpty { return path }
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return dataHome + "/framewise/models/googlenet"
    }

    /// Finds the model files in `path` (or in the default location of `environment` when `path` is nil).
    package init(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let directory = path ?? Self.defaultPath(environment: environment)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelDirectoryError(message: path == nil
                ? "no model installed at \(directory): run `framewise model fetch` or `framewise model import DIR`"
                : "model directory \(directory) does not exist")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let onnxFiles = files.filter { $0.hasSuffix(".onnx") }
        guard let onnx = Self.onnxNames.first(where: files.contains) ?? (onnxFiles.count == 1 ? onnxFiles[0] : nil) else {
            throw ModelDirectoryError(message: onnxFiles.isEmpty
                ? "no .onnx file in \(directory)"
                : "several .onnx files in \(directory) and none is named \(Self.onnxNames.joined(separator: " or "))")
        }
        guard let labels = Self.labelNames.first(where: files.contains) else {
            throw ModelDirectoryError(message: "no labels file (\(Self.labelNames.joined(separator: " or "))) in \(directory)")
        }
        self.path = directory
        onnxPath = directory + "/" + onnx
        labelsPath = directory + "/" + labels
    }

    /// Reads and checks the weights and the labels.
    package func load() throws -> LoadedModelFiles {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: onnxPath), options: .mappedIfSafe)
        } catch {
            throw ModelDirectoryError(message: "cannot read \(onnxPath): \((error as NSError).localizedDescription)")
        }
        let weights = try ModelWeights(onnx: data, path: onnxPath)
        let labels = try ClassLabels(contentsOfFile: labelsPath)
        let sha256 = SHA256Digest.hex(of: data)
        return LoadedModelFiles(directory: self, weights: weights, labels: labels, sha256: sha256)
    }
}

/// A model read from its directory: the weights, the labels and the ONNX file's SHA-256.
package struct LoadedModelFiles: Sendable {
    package let directory: ModelDirectory
    package let weights: ModelWeights
    package let labels: ClassLabels
    package let sha256: String
}

/// A model directory that cannot be used, in one line.
package struct ModelDirectoryError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
