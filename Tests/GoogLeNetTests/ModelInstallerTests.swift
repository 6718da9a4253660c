import FramewiseTestSupport
import Foundation
import Testing
@testable import GoogLeNet

/// Installing models: from a directory, and downloaded from a real (loopback) HTTP server.
@Suite struct ModelInstallerTests {
    let temporary: TemporaryDirectory
    var directory: String { temporary.url.path }

    init() throws {
        temporary = try TemporaryDirectory(prefix: "framewise-install")
    }

    static let bvlcSHA256 = "3df0bb7064839f62847cf70a7a02bbf2ab3d1377c961879c3198ee45d128d4d4"

    @Test func importInstallsAValidatedCopy() throws {
        let target = directory + "/models/googlenet"
        let installed = try ModelInstaller(target: target).importModel(from: SharedData.modelDirectory)
        #expect(installed.sha256 == Self.bvlcSHA256)
        #expect(installed.directory.path == target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/models").sorted() == ["googlenet"])
        #expect(try ModelDirectory(path: target).load().labels[967] == "espresso")
    }

    @Test func brokenModelIsNotInstalledAndOldOneStays() throws {
        let target = directory + "/googlenet"
        try ModelInstaller(target: target).importModel(from: SharedData.modelDirectory)
        let broken = directory + "/broken"
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: SharedData.onnxPath))
        try bytes.prefix(1000).write(to: URL(fileURLWithPath: broken + "/googlenet-bvlc.onnx"))
        try FileManager.default.copyItem(atPath: SharedData.labelsPath, toPath: broken + "/synset_words.txt")

        #expect(throws: ModelDirectoryError.self) { try ModelInstaller(target: target).importModel(from: broken) }
        #expect(try ModelDirectory(path: target).load().sha256 == Self.bvlcSHA256)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["broken", "googlenet"])
    }

    @Test func fetchDownloadsValidatesAndInstalls() async throws {
        let server = try LoopbackHTTPServer(serving: SharedData.modelDirectory)
        defer { server.stop() }
        let target = directory + "/googlenet"
        let installed = try await ModelInstaller(target: target).fetch(
            modelURL: server.url("googlenet-bvlc.onnx"), labelsURL: server.url("synset_words.txt"))
        #expect(installed.sha256 == Self.bvlcSHA256)
        #expect(installed.labels[665] == "moped")

        // A missing file (HTTP 404) and a file that is not a model leave the installed model alone.
        await #expect(throws: ModelDirectoryError.self) {
            try await ModelInstaller(target: target).fetch(modelURL: server.url("absent.onnx"), labelsURL: server.url("synset_words.txt"))
        }
        await #expect(throws: ModelDirectoryError.self) {
            try await ModelInstaller(target: target).fetch(modelURL: server.url("README.md"), labelsURL: server.url("synset_words.txt"))
        }
        #expect(try ModelDirectory(path: target).load().sha256 == Self.bvlcSHA256)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["googlenet"])
    }
}
