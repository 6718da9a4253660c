package import Foundation

/// The read-only data beside the project: `$FRAMEWISE_TEST_SHARED`, else `<package root>/../shared`
/// (the model, its reference tensors and the test photos; never copied into the project).
package enum TestData {
    package static let shared: URL = {
        if let path = ProcessInfo.processInfo.environment["FRAMEWISE_TEST_SHARED"] { return URL(fileURLWithPath: path) }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }()

    /// The package's own directory (for its `pipelines/` and `migrations/`).
    package static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The model directory: the ONNX file and `synset_words.txt`.
    package static var modelDirectory: URL { shared.appendingPathComponent("googlenet") }

    /// A photo from `shared/media`.
    package static func photo(_ name: String) -> String { shared.appendingPathComponent("media/\(name)").path }

    /// A reference tensor from the model directory's `reference/` folder (little-endian float32), e.g. `coffee.input.f32`.
    package static func referenceTensor(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: modelDirectory.appendingPathComponent("reference/\(name)"))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// A fresh directory under the system's temporary directory, removed with its contents on deinit.
package final class TemporaryDirectory: Sendable {
    package let url: URL

    package init(prefix: String = "framewise-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    package func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}
