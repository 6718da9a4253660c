import Foundation
import FramewiseTestSupport
import Pipeline
import Testing
@testable import VideoDecoding

/// HTTP inputs against a real HTTP server on loopback: a plain file and an HLS playlist with its segments.
@Suite struct HTTPStreamTests {
    @Test func hlsPlaylistOverHTTP() throws {
        let directory = try TemporaryDirectory()
        try makeHLSClip(directory.path("playlist.m3u8"), seconds: 3)
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let reader = try FrameReader(input: InputLocation(server.url("playlist.m3u8").absoluteString),
                                     options: DecoderOptions(sampling: .everyNth(25)), spec: .googLeNet)
        var frames: [SampledFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        #expect(frames.map(\.frameIndex) == [0, 25, 50])
        // A complete playlist (#EXT-X-ENDLIST) is a file: it has a duration and ends, frames have no capture time.
        #expect(!reader.isLive)
        #expect(reader.duration.map { abs($0 - 3) < 0.1 } == true)
        #expect(frames.allSatisfy { $0.capturedAt == nil })
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        #expect(reader.counters.decodedFrames == 75)
    }

    /// A two-second clip (50 frames at 25 fps) in `directory` as `name` (.ts, or .mp4 with extra arguments).
    private func makeTwoSecondClip(_ directory: TemporaryDirectory, _ name: String, _ extra: [String] = []) throws {
        try makeClip(directory.path(name), [
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264", "-g", "25",
            "-pix_fmt", "yuv420p",
        ] + extra)
    }

    private func readAll(_ reader: FrameReader) throws -> [SampledFrame] {
        var frames: [SampledFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        return frames
    }

    /// Files served without range support read front to back: every frame, no capture time, and an end
    /// (no reconnect at the end of the file).
    @Test(arguments: [("clip.ts", [String]()), ("fast.mp4", ["-movflags", "+faststart"])])
    func filesOverHTTPWithoutRangeSupportEnd(name: String, muxerOptions: [String]) throws {
        let directory = try TemporaryDirectory()
        try makeTwoSecondClip(directory, name, muxerOptions)
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let reader = try FrameReader(input: InputLocation(server.url(name).absoluteString), options: networkOptions,
                                     spec: .googLeNet)
        #expect(!reader.isLive)
        let frames = try readAll(reader)
        #expect(frames.map(\.frameIndex) == Array(0..<50))
        #expect(frames.allSatisfy { $0.capturedAt == nil })
        #expect(reader.counters.reconnects == 0)
        #expect(reader.counters.decodedFrames == 50)
    }

    @Test func mp4WithItsIndexAtTheEndNeedsRangeSupport() throws {
        let directory = try TemporaryDirectory()
        try makeTwoSecondClip(directory, "slow.mp4")
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let url = server.url("slow.mp4").absoluteString
        #expect {
            let reader = try FrameReader(input: InputLocation(url), options: networkOptions, spec: .googLeNet)
            _ = try readAll(reader)
        } throws: { error in
            guard let error = error as? DecodingError else { return false }
            return error.kind == .notMedia && error.description.hasPrefix(url) && error.description.contains("faststart")
                && !error.description.contains("\n")
        }
    }

    /// A download that breaks in the middle is opened again and goes on after the last frame delivered: the
    /// same numbering, every frame once. Also when it breaks before its first frame was decoded (at 5% the
    /// first key frame, about 6 of the clip's 87 KB, is not complete).
    @Test(arguments: [40, 5])
    func aBrokenDownloadIsReopenedAndGoesOn(cutAtPercent: Int) throws {
        let directory = try TemporaryDirectory()
        try makeTwoSecondClip(directory, "clip.ts")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: directory.path("clip.ts"))[.size] as? Int)
        let server = try LoopbackHTTPServer(serving: directory.url.path, cutFirstResponseAfter: size * cutAtPercent / 100)
        defer { server.stop() }
        var options = networkOptions
        options.reconnect = ReconnectPolicy(initialDelay: 0.1, maximumDelay: 0.2)
        let reader = try FrameReader(input: InputLocation(server.url("clip.ts").absoluteString), options: options,
                                     spec: .googLeNet)
        let frames = try readAll(reader)
        #expect(frames.map(\.frameIndex) == Array(0..<50))
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        #expect(reader.counters.reconnects == 1)
    }

    /// A download that breaks at the same place every time is given up once `ReconnectPolicy.fileAttempts`
    /// reopenings in a row brought no new frame: the frames before the break once each, then one error line.
    @Test(.timeLimit(.minutes(1))) func aDownloadThatAlwaysBreaksAtTheSamePlaceIsGivenUp() throws {
        let directory = try TemporaryDirectory()
        try makeTwoSecondClip(directory, "clip.ts")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: directory.path("clip.ts"))[.size] as? Int)
        let server = try LoopbackHTTPServer(serving: directory.url.path, cutFirstResponseAfter: size * 40 / 100,
                                            cutEveryResponse: true)
        defer { server.stop() }
        var options = networkOptions
        options.reconnect = ReconnectPolicy(initialDelay: 0.05, maximumDelay: 0.1)
        let url = server.url("clip.ts").absoluteString
        let events = EventLog()
        let reader = try FrameReader(input: InputLocation(url), options: options, spec: .googLeNet, onEvent: events.record)
        var frames: [SampledFrame] = []
        #expect {
            while let frame = try reader.next() { frames.append(frame) }
        } throws: { error in
            guard let error = error as? DecodingError else { return false }
            return error.kind == .reconnectGaveUp && error.description.hasPrefix(url)
                && error.description.contains("broke \(ReconnectPolicy.fileAttempts + 1) times in a row after frame \(frames.count - 1)")
                && !error.description.contains("\n")
        }
        #expect(!frames.isEmpty && frames.count < 50)
        #expect(frames.map(\.frameIndex) == Array(0..<Int64(frames.count)))
        #expect(reader.counters.reconnects == ReconnectPolicy.fileAttempts)
        // Every outage is reported at the same place: after the last frame delivered, resuming with the next one.
        let last = try #require(frames.last)
        var outages = 0, reopenings = 0
        for event in events.all {
            switch event {
            case .disconnected(_, let lastFrameIndex, let lastPts):
                outages += 1
                #expect(lastFrameIndex == last.frameIndex && abs(lastPts - last.pts) < 0.001)
            case .reconnected(_, _, let resumeFrameIndex, let resumePts):
                reopenings += 1
                #expect(resumeFrameIndex == last.frameIndex + 1 && abs(resumePts - (last.pts + 0.04)) < 0.001)
            case .reconnectFailed:
                Issue.record("the server never refuses a connection: \(event)")
            }
        }
        #expect(outages == ReconnectPolicy.fileAttempts + 1 && reopenings == ReconnectPolicy.fileAttempts)
    }

    /// A playlist still being written (no #EXT-X-ENDLIST) is a live stream.
    @Test func hlsWithoutEndListIsLive() throws {
        let directory = try TemporaryDirectory()
        try makeHLSClip(directory.path("live.m3u8"), seconds: 3, hlsFlags: ["omit_endlist"])
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let reader = try FrameReader(input: InputLocation(server.url("live.m3u8").absoluteString), options: networkOptions,
                                     spec: .googLeNet)
        #expect(reader.isLive)
        #expect(reader.duration == nil)
        #expect(try reader.next()?.capturedAt != nil)
    }

    private var networkOptions: DecoderOptions { DecoderOptions(openTimeout: 5, stallTimeout: 5, reconnect: ReconnectPolicy()) }

    @Test func missingFileOnTheServerIsNotFound() throws {
        let directory = try TemporaryDirectory()
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let url = server.url("nothing-here.mp4").absoluteString
        #expect {
            _ = try FrameReader(input: InputLocation(url), spec: .googLeNet)
        } throws: { error in
            guard let error = error as? DecodingError else { return false }
            return error.kind == .notFound && error.description.hasPrefix(url) && !error.description.contains("\n")
        }
    }
}
