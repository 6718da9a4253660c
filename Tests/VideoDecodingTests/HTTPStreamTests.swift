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
