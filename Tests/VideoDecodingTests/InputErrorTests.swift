import Foundation
import FramewiseTestSupport
import Pipeline
import Testing
@testable import VideoDecoding

/// Bad input: each case is one clear error naming the input, of the right kind, without crash or hang.
@Suite struct InputErrorTests {
    func openError(_ location: String, _ options: DecoderOptions = DecoderOptions()) -> DecodingError? {
        do {
            _ = try FrameReader(input: InputLocation(location), options: options, spec: .googLeNet)
            return nil
        } catch let error as DecodingError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    func expectError(_ location: String, _ kind: DecodingError.Kind, naming name: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let error = openError(location)
        #expect(error?.kind == kind, "\(error.map(String.init(describing:)) ?? "no error")", sourceLocation: sourceLocation)
        if let error {
            #expect(error.description.hasPrefix(name ?? location), sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        }
    }

    @Test func badFiles() throws {
        let directory = try TemporaryDirectory()
        expectError(directory.path("missing.mp4"), .notFound)
        expectError(directory.url.path, .isDirectory)

        for name in ["notes.mp4", "notes.txt"] {
            let text = directory.path(name)
            try "this is not a video\n".write(toFile: text, atomically: true, encoding: .utf8)
            expectError(text, .notMedia)
        }

        let random = directory.path("random.bin")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: random))
        expectError(random, .notMedia)

        let whole = directory.path("whole.mp4"), truncated = directory.path("truncated.mp4")
        try makeClip(whole, FileDecodingTests.source + ["-c:v", "libx264"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))  // moov is at the end
        expectError(truncated, .notMedia)

        let audioOnly = directory.path("audio.m4a")
        try makeClip(audioOnly, ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac"])
        expectError(audioOnly, .noVideoStream)

        // An AVI whose video fourcc (FMP4, MPEG-4 part 2) is replaced by one no decoder knows.
        let unknownCodec = directory.path("unknown-codec.avi")
        try makeClip(unknownCodec, FileDecodingTests.source + ["-c:v", "mpeg4"])
        var avi = try Data(contentsOf: URL(fileURLWithPath: unknownCodec))
        let header = avi.prefix(4096)
        var searchStart = header.startIndex
        while let found = header.range(of: Data("FMP4".utf8), in: searchStart..<header.endIndex) {
            avi.replaceSubrange(found, with: Data("QQQQ".utf8))
            searchStart = found.upperBound
        }
        #expect(searchStart != header.startIndex, "the AVI header should name FMP4")
        try avi.write(to: URL(fileURLWithPath: unknownCodec))
        expectError(unknownCodec, .unsupportedCodec)
    }

    @Test(.enabled(if: getuid() != 0, "root reads every file"))
    func unreadableFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("secret.mp4")
        try makeClip(path, FileDecodingTests.source + ["-c:v", "libx264"])
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        expectError(path, .permissionDenied)
    }

    /// Three damaged frames in the middle of an MJPEG clip are skipped and counted; the others arrive with
    /// their own indices and timestamps.
    @Test func corruptPacketsAreSkipped() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("damaged.mkv")
        try makeClip(path, FileDecodingTests.source + ["-c:v", "mjpeg", "-q:v", "4"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Each frame is one JPEG starting with the SOI marker FF D8; scramble frames 20, 21 and 22.
        let starts = bytes.indices.dropLast().filter { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xD8 }
        #expect(starts.count == 50)
        for start in starts[20...22] {
            for offset in start + 2..<start + 600 { bytes[offset] = UInt8(truncatingIfNeeded: offset &* 7919) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (frames, counters) = try readAll(path)
        let expected = (0..<50).filter { !(20...22).contains($0) }.map(Int64.init)
        expectFrames(frames, indices: expected, pts: expected.map { Double($0) / 25 })
        #expect(counters.corruptPackets == 3)
    }

    @Test func invalidURLs() {
        expectError("rtsp://", .invalidURL)
        expectError("rtsp://:554/stream", .invalidURL)
        expectError("rtsp://camera/has space", .invalidURL)
        expectError("nosuchprotocol://host/x", .invalidURL)
    }

    @Test func unknownHost() {
        expectError("rtsp://no-such-camera.invalid/stream", .unknownHost)
        expectError("http://no-such-server.invalid/video.mp4", .unknownHost)
    }

    @Test func passwordsAreRedacted() throws {
        let location = try InputLocation("rtsp://admin:hunter2@camera.local:554/live?token=abc123&channel=1")
        #expect(location.description == "rtsp://***@camera.local:554/live?token=***&channel=1")
        #expect(try InputLocation("/videos/a:b.mp4").description == "/videos/a:b.mp4")
        // In errors too.
        let error = openError("rtsp://admin:hunter2@127.0.0.1:\(try unusedPort())/live")
        #expect(error?.kind == .connectionRefused)
        #expect(error?.description.contains("rtsp://***@127.0.0.1") == true)
        #expect(error?.description.contains("hunter2") == false)
    }

    /// The whole user info (a user name can be a token), passwords with reserved characters, and the values
    /// of query parameters that carry credentials.
    @Test(arguments: [
        ("rtsp://TOKEN1234@cam.example/live", "rtsp://***@cam.example/live"),
        ("rtsp://user:p@ss/w:rd@cam.example:554/live", "rtsp://***@cam.example:554/live"),
        ("rtsp://user:p%40ss@cam.example/live", "rtsp://***@cam.example/live"),
        ("https://cdn.example/x.m3u8?sig=TOKEN&v=2", "https://cdn.example/x.m3u8?sig=***&v=2"),
        ("https://cdn.example/a.mp4?X-Amz-Signature=abc&X-Amz-Credential=def&part=1",
         "https://cdn.example/a.mp4?X-Amz-Signature=***&X-Amz-Credential=***&part=1"),
        ("http://cam.example/video?access_token=a&api_key=b&pw=c&pass=d&auth=e&key=f&secret=g#top",
         "http://cam.example/video?access_token=***&api_key=***&pw=***&pass=***&auth=***&key=***&secret=***#top"),
        ("rtsp://cam.example/live?channel=1&subtype=0", "rtsp://cam.example/live?channel=1&subtype=0"),
    ])
    func secretFormsAreRedacted(url: String, redacted: String) throws {
        #expect(try InputLocation(url).description == redacted)
    }

    @Test func reconnectBackoffDoublesToTheCap() {
        var generator = SystemRandomNumberGenerator()
        let exact = ReconnectPolicy(initialDelay: 1, maximumDelay: 30, jitter: 0)
        #expect((1...7).map { exact.delay(beforeAttempt: $0, using: &generator) } == [1, 2, 4, 8, 16, 30, 30])
        let jittered = ReconnectPolicy(initialDelay: 1, maximumDelay: 30, jitter: 0.2)
        for attempt in 1...8 {
            let delay = jittered.delay(beforeAttempt: attempt, using: &generator)
            let backoff = min(30, pow(2, Double(attempt - 1)))
            #expect(delay > backoff * 0.8 - 1e-9 && delay <= backoff)
        }
    }
}
