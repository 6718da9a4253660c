package import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Installs a model directory (ONNX file + labels) at a target path: the files are staged in a temporary
/// directory beside the target, loaded to prove they work, and only then renamed into place, so the target is
/// either the old model or the complete new one, never a half-written mix.
package struct ModelInstaller: Sendable {
    /// Where the model goes, e.g. `ModelDirectory.defaultPath()`.
    package let target: String

    package init(target: String) { self.target = target }

    /// The ONNX Model Zoo's GoogLeNet (opset 12) and the ImageNet labels in synset order.
    package static let zooModelURL =
        URL(string: "https://github.com/onnx/models/raw/main/validated/vision/classification/inception_and_googlenet/googlenet/model/googlenet-12.onnx")!
    package static let zooLabelsURL =
        URL(string: "https://raw.githubusercontent.com/onnx/models/main/validated/vision/classification/synset.txt")!

    /// Copies the model in `source` (a directory `ModelDirectory` accepts) to the target.
    @discardableResult
    package func importModel(from source: String) throws -> LoadedModelFiles {
        let model = try ModelDirectory(path: source)
        return try install { staging in
            try FileManager.default.copyItem(atPath: model.onnxPath, toPath: staging + "/" + Self.fileName(model.onnxPath))
            try FileManager.default.copyItem(atPath: model.labelsPath, toPath: staging + "/synset_words.txt")
        }
    }

    /// Downloads an ONNX file and a labels file over HTTP(S) and installs them.
    @discardableResult
    package func fetch(modelURL: URL = zooModelURL, labelsURL: URL = zooLabelsURL) async throws -> LoadedModelFiles {
        let model = try await Self.download(modelURL)
        let labels = try await Self.download(labelsURL)
        let onnxName = modelURL.lastPathComponent.hasSuffix(".onnx") ? modelURL.lastPathComponent : "googlenet.onnx"
        return try install { staging in
            try model.write(to: URL(fileURLWithPath: staging + "/" + onnxName))
            try labels.write(to: URL(fileURLWithPath: staging + "/synset_words.txt"))
        }
    }

    /// Stages files with `populate`, validates them by loading, then swaps the staging directory into place.
    private func install(_ populate: (String) throws -> Void) throws -> LoadedModelFiles {
        let fileManager = FileManager.default
        let parent = (target as NSString).deletingLastPathComponent
        let staging = "\(target).incoming-\(UUID().uuidString)"
        let previous = "\(target).previous-\(UUID().uuidString)"
        do {
            try fileManager.createDirectory(atPath: parent.isEmpty ? "." : parent, withIntermediateDirectories: true)
            try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: false)
            defer { try? fileManager.removeItem(atPath: staging) }
            try populate(staging)
            _ = try ModelDirectory(path: staging).load()
            let replacing = fileManager.fileExists(atPath: target)
            if replacing { try fileManager.moveItem(atPath: target, toPath: previous) }
            do {
                try fileManager.moveItem(atPath: staging, toPath: target)
            } catch {
                if replacing { try? fileManager.moveItem(atPath: previous, toPath: target) }
                throw error
            }
            if replacing { try? fileManager.removeItem(atPath: previous) }
        } catch let error as ModelLoadError {
            throw ModelDirectoryError(message: "not installed: \(error)")
        } catch let error as ModelDirectoryError {
            throw ModelDirectoryError(message: "not installed: \(error)")
        } catch let error as ClassLabelsError {
            throw ModelDirectoryError(message: "not installed: \(error)")
        } catch {
            throw ModelDirectoryError(message: "cannot install the model at \(target): \((error as NSError).localizedDescription)")
        }
        return try ModelDirectory(path: target).load()
    }

    private static func fileName(_ path: String) -> String { (path as NSString).lastPathComponent }

    private static func download(_ url: URL) async throws -> Data {
        guard url.scheme == "http" || url.scheme == "https" else {
            throw ModelDirectoryError(message: "cannot download \(url): only http and https URLs are supported")
        }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(from: url)
        } catch {
            throw ModelDirectoryError(message: "cannot download \(url): \((error as NSError).localizedDescription)")
        }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw ModelDirectoryError(message: "cannot download \(url): HTTP status \(http.statusCode)")
        }
        return data
    }
}
