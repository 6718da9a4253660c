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

/// `python3 -m http.server` on 127.0.0.1 and a free port, serving one directory; stopped by `stop()`.
final class LoopbackHTTPServer {
    private let server: ChildProcess
    let port: Int

    init(serving root: String) throws {
        port = try unusedPort()
        server = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"),
                                  ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port)", "--directory", root])
        guard server.poll(every: 0.05, for: 10, until: { Self.acceptsConnections(port: port) }) else {
            stop()
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "python3 -m http.server did not start"])
        }
    }

    func url(_ file: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(file)")! }

    func stop() {
        server.signal(SIGKILL)  // children of test threads may inherit a blocked SIGTERM
        _ = server.wait()
    }

    private static func acceptsConnections(port: Int) -> Bool {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
