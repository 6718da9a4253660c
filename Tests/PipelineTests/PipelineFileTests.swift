import Foundation
import Testing
import VideoDecoding
@testable import Pipeline
import GoogLeNet

@Suite struct PipelineFileTests {
    private func parse(_ yaml: String, environment: [String: String] = [:]) throws -> PipelineConfiguration {
        try PipelineFile.parse(yaml, file: "test.yaml", environment: environment)
    }

    private func failure(_ yaml: String, environment: [String: String] = [:]) -> String {
        do {
            _ = try parse(yaml, environment: environment)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsEverySection() throws {
        let configuration = try parse("""
            name: lobby
            source:
              uri: rtsp://cam.example/lobby
              transport: udp
              decoder_threads: 2
              timeouts: {open: 3, stall: 4.5}
              reconnect: {initial_delay: 0.5, max_delay: 8, max_attempts: 3}
            sampling: {fps: 2, start: 10, end: 70}
            decoding: skip-loop-filter+skip-nonref
            model: {directory: /models/googlenet, precision: int8}
            workers: 3
            batch: 4
            queue: {capacity: 16, when_full: wait, batch_deadline: 0.02}
            sink: {database: /data/lobby.sqlite}
            """)
        #expect(configuration.name == "lobby")
        #expect(configuration.precision == .int8)
        #expect(configuration.inputs.count == 1)
        let input = try #require(configuration.inputs.first)
        #expect(input.location.kind == .rtsp)
        #expect(input.decoder.rtspTransport == .udp)
        #expect(input.decoder.decoderThreads == 2)
        #expect(input.decoder.openTimeout == 3)
        #expect(input.decoder.stallTimeout == 4.5)
        #expect(input.decoder.reconnect == ReconnectPolicy(initialDelay: 0.5, maximumDelay: 8, maximumAttempts: 3))
        #expect(input.decoder.sampling == .framesPerSecond(2))
        #expect(input.decoder.window == TimeWindow(start: 10, end: 70))
        #expect(input.decoder.shortcuts == DecodingShortcuts(skipLoopFilter: true, skipNonReference: true))
        #expect(configuration.modelDirectory == "/models/googlenet")
        #expect(configuration.workers == 3)
        #expect(configuration.batch == 4)
        #expect(configuration.queueCapacity == 16)
        #expect(configuration.liveBackpressure == .wait)
        #expect(configuration.batchDeadline == 0.02)
        #expect(configuration.databasePath == "/data/lobby.sqlite")
    }

    @Test func defaultsForAFile() throws {
        let configuration = try parse("source: {uri: clip.mp4}")
        let input = try #require(configuration.inputs.first)
        #expect(input.location.kind == .file)
        #expect(input.decoder.sampling == .everyFrame)
        #expect(input.decoder.reconnect == nil)
        #expect(configuration.databasePath == nil)
        #expect(configuration.name == "test")
    }

    @Test func severalSourcesAndReconnectOff() throws {
        let configuration = try parse("""
            sources:
              - uri: a.mp4
              - uri: rtsp://cam/one
                reconnect: false
            sampling: {every: 5}
            """)
        #expect(configuration.inputs.map(\.location.description) == ["a.mp4", "rtsp://cam/one"])
        #expect(configuration.inputs[1].decoder.reconnect == nil)
        #expect(configuration.liveBackpressure == .dropOldest)
        #expect(configuration.inputs.allSatisfy { $0.decoder.sampling == .everyNth(5) })
    }

    @Test func credentialsFromTheEnvironmentStayRedacted() throws {
        let configuration = try parse(
            "source: {uri: 'rtsp://${CAM_USER}:${CAM_PASSWORD}@cam.example/lobby'}",
            environment: ["CAM_USER": "viewer", "CAM_PASSWORD": "s3cret"])
        let location = try #require(configuration.inputs.first?.location)
        #expect(location.description == "rtsp://***@cam.example/lobby")
        #expect(location == (try InputLocation("rtsp://viewer:s3cret@cam.example/lobby")))
    }

    @Test func errorsNameFileLineAndKey() {
        #expect(failure("source:\n  uri: a.mp4\n  timeouts:\n    stal: 3\n") == "test.yaml:4: source.timeouts.stal: unknown key")
        #expect(failure("source: {uri: a.mp4}\nworkers: many\n") == "test.yaml:2: workers: expected a whole number, found 'many'")
        #expect(failure("source: {uri: a.mp4}\nworkers: 0\n") == "test.yaml:2: workers: must be between 1 and 256, found 0")
        #expect(failure("source: {uri: a.mp4}\nsampling: {every: 2, fps: 3}\n") == "test.yaml:2: sampling.fps: choose one of every, fps and keyframes")
        #expect(failure("source: {uri: a.mp4}\nqueue: {when_full: panic}\n")
            == "test.yaml:2: queue.when_full: expected one of wait, drop_oldest, found 'panic'")
        #expect(failure("source: {uri: 'rtsp://${NOPE}@cam/x'}\n") == "test.yaml:1: source.uri: environment variable NOPE is not set")
        #expect(failure("name: x\n") == "test.yaml:1: source: a pipeline needs a source (or a list of sources)")
        #expect(failure("source: [a, b]\n") == "test.yaml:1: source: expected a mapping of keys to values")
        #expect(failure("source: {uri: a.mp4}\ndecoding: fast\n")
            == "test.yaml:2: decoding: must be full, skip-loop-filter, skip-nonref or skip-loop-filter+skip-nonref, found 'fast'")
        #expect(failure("source: {uri: a.mp4}\nmodel: {precision: fp16}\n") == "test.yaml:2: model.precision: expected one of fp32, bf16, int8, found 'fp16'")
    }

    @Test("retention: a period per pipeline, checked like the command line's --older-than")
    func retention() throws {
        #expect(try parse("source: {uri: a.mp4}\nretention: 45s\n").retention?.seconds == 45)
        #expect(try parse("source: {uri: a.mp4}\nretention: 30d\n").retention?.seconds == 30 * 86_400)
        #expect(try parse("source: {uri: a.mp4}\n").retention == nil)
        #expect(failure("source: {uri: a.mp4}\nretention: 30x\n")
            == "test.yaml:2: retention: expected a period such as 30d, 12h, 10m or 45s, found '30x'")
        #expect(failure("source: {uri: a.mp4}\nretention: 0d\n")
            == "test.yaml:2: retention: expected a period such as 30d, 12h, 10m or 45s, found '0d'")
    }

    @Test("sizes: decimal and binary units, one line for anything else")
    func byteSizes() throws {
        #expect(try ByteSize("500MB").bytes == 500_000_000)
        #expect(try ByteSize("2GiB").bytes == 2 << 30)
        #expect(try ByteSize("1TB").bytes == 1_000_000_000_000)
        for bad in ["10", "ten GB", "-5GB", "5 GB", "99999999999TB", "GB"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try ByteSize(bad) }
        }
        #expect(ByteSize.readable(1_234_567_890) == "1.2 GB")
    }

    @Test func badYAMLIsOneLine() {
        let message = failure("source: {uri: a.mp4\nworkers: 2\n")
        #expect(message.hasPrefix("test.yaml:"))
        #expect(message.contains("not valid YAML"))
        #expect(!message.contains("\n"))
    }

    @Test func theShippedExamplesParse() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../pipelines")
        let file = try PipelineFile.load(path: directory.appendingPathComponent("file-example.yaml").path)
        #expect(file.inputs.first?.decoder.sampling == .everyNth(5))
        let camera = try PipelineFile.load(
            path: directory.appendingPathComponent("rtsp-camera.yaml").path,
            environment: ["CAMERA_USER": "u", "CAMERA_PASSWORD": "p", "CAMERA_HOST": "127.0.0.1:8554"])
        #expect(camera.inputs.first?.location.description == "rtsp://***@127.0.0.1:8554/lobby")
        #expect(camera.inputs.first?.decoder.reconnect?.maximumAttempts == nil)
        let substream = try PipelineFile.load(
            path: directory.appendingPathComponent("rtsp-substream.yaml").path,
            environment: ["CAMERA_USER": "u", "CAMERA_PASSWORD": "p", "CAMERA_HOST": "127.0.0.1:8554", "CAMERA_SUBSTREAM": "sub"])
        #expect(substream.inputs.first?.location.description == "rtsp://***@127.0.0.1:8554/sub")
        #expect(substream.inputs.first?.decoder.sampling == .framesPerSecond(2))
        let gate = try PipelineFile.load(
            path: directory.appendingPathComponent("gate-camera.yaml").path,
            environment: ["CAMERA_USER": "u", "CAMERA_PASSWORD": "p", "CAMERA_HOST": "127.0.0.1:8554"])
        #expect(gate.inputs.first?.decoder.views.map(\.name) == ["tiles", "gate"])
        #expect(gate.categories == ["automobile", "truck", "bicycle", "dog", "police van"])
        #expect(gate.appearances == AppearanceThresholds(enter: 0.5, exit: 0.25, frames: 2, gap: 5))
    }

    @Test("views, regions, categories and appearances: read, and refused in one line naming the key")
    func answerSettings() throws {
        let source = "source: {uri: clip.mp4}\n"
        let defaults = try parse(source)
        #expect(defaults.inputs[0].decoder.views == [.center])
        #expect(defaults.categories == nil)
        let regions = try parse(source + "regions: {door: [0, 0, 0.5, 1], shelf: [0.5, 0.5, 0.5, 0.5]}\ncategories: []")
        #expect(regions.inputs[0].decoder.views.map(\.name) == ["center", "door", "shelf"])
        #expect(regions.categories == [])
        let refusals: [(String, String)] = [
            ("views: [middle]", "test.yaml:2: views: expected center, full or tiles"),
            ("regions: {door: [0, 0, 0.5]}", "test.yaml:2: regions.door: expected [x, y, width, height]"),
            ("regions: {door: [0.8, 0, 0.5, 1]}", "test.yaml:2: regions.door: region 'door'"),
            ("regions: {tiles: [0, 0, 1, 1]}", "built-in view"),
            ("views: [full, full]", "a view is given twice"),
            ("appearances: {enter: 0.2, exit: 0.4}", "exit (0.4) must not be above enter (0.2)"),
            ("appearances: {gap: -1}", "appearances.gap"),
            ("appearances: {frames: 0}", "appearances.frames"),
        ]
        for (text, message) in refusals {
            #expect(failure(source + text).contains(message), "\(text): \(failure(source + text))")
        }
    }
}
