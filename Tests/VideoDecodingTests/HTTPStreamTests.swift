import Foundation
import FramewiseTestSupport
import Pipeline
import Testing
@testable import VideoDecoding

/// HTTP inputs against a real HTTP server on loopback: a plain file and an HLS playlist with its segments.
@Suite struct HTTPStreamTests {
    @Test func hlsPlaylistOverHTTP() throws {
        let directory = try TemporaryDirectory()
        try makeClip(directory.path("playlist.m3u8"), [
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3", "-c:v", "libx264", "-g", "25",
            "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
        ])
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let reader = try FrameReader(input: InputLocation(server.url("playlist.m3u8").absoluteString),
                                     options: DecoderOptions(sampling: .everyNth(25)), spec: .googLeNet)
        var frames: [SampledFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        #expect(frames.map(\.frameIndex) == [0, 25, 50])
        #expect(frames.allSatisfy { $0.capturedAt != nil })
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        #expect(reader.counters.decodedFrames == 75)
    }

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
