import Foundation
import FramewiseTestSupport
import Pipeline
import Testing
@testable import VideoDecoding

/// Clips of 50 frames at 25 fps (2 s) made with the ffmpeg tool, one per codec / container / pixel format.
@Suite struct FileDecodingTests {
    struct Clip: CustomTestStringConvertible, Sendable {
        let name: String
        let encoder: [String]
        var testDescription: String { name }
    }

    static let source = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"]

    static let clips: [Clip] = {
        var clips = [
            Clip(name: "h264-yuv420p.mp4", encoder: ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10"]),
            Clip(name: "hevc-yuv422p10le.mkv", encoder: ["-c:v", "libx265", "-pix_fmt", "yuv422p10le", "-x265-params", "log-level=error"]),
            Clip(name: "vp9-yuv420p.webm", encoder: ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-deadline", "realtime", "-cpu-used", "8"]),
            Clip(name: "mpeg4.avi", encoder: ["-c:v", "mpeg4", "-q:v", "4"]),
            Clip(name: "mjpeg.avi", encoder: ["-c:v", "mjpeg", "-q:v", "4"]),
            Clip(name: "raw-nv12.nut", encoder: ["-c:v", "rawvideo", "-pix_fmt", "nv12"]),
            Clip(name: "raw-rgb24.nut", encoder: ["-c:v", "rawvideo", "-pix_fmt", "rgb24"]),
            Clip(name: "mjpeg-gray.avi", encoder: ["-c:v", "mjpeg", "-pix_fmt", "gray", "-q:v", "4"]),
            Clip(name: "h264-odd-size-yuv444p.mkv", encoder: ["-vf", "scale=333:187", "-c:v", "libx264", "-pix_fmt", "yuv444p"]),
            Clip(name: "h264-portrait.mp4", encoder: ["-vf", "scale=180:320", "-c:v", "libx264", "-pix_fmt", "yuv420p"]),
        ]
        if ffmpegHasEncoder("libaom-av1") {
            clips.append(Clip(name: "av1.mkv", encoder: ["-c:v", "libaom-av1", "-cpu-used", "8", "-row-mt", "1", "-crf", "40"]))
        }
        return clips
    }()

    @Test(arguments: clips)
    func decodesEveryFrameInOrder(clip: Clip) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(clip.name)
        try makeClip(path, Self.source + clip.encoder)
        let (frames, counters) = try readAll(path)
        expectFrames(frames, indices: Array(0..<50), pts: (0..<50).map { Double($0) / 25 })
        #expect(counters.decodedFrames == 50 && counters.sampledFrames == 50 && counters.corruptPackets == 0)
    }

    /// h264 with B-frames and a keyframe every 10 frames, in mp4 (a per-frame index: seeks) and mkv (none).
    static let samplingClip = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", "-bf", "2"]

    @Test(arguments: ["mp4", "mkv"])
    func samplingPolicies(container: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("clip.\(container)")
        try makeClip(path, Self.source + Self.samplingClip)
        func pts(_ indices: [Int64]) -> [Double] { indices.map { Double($0) / 25 } }

        let everyFifth = Array(stride(from: Int64(0), to: 50, by: 5))
        expectFrames(try readAll(path, DecoderOptions(sampling: .everyNth(5))).frames, indices: everyFifth, pts: pts(everyFifth))

        let fiveFramesPerSecond = try readAll(path, DecoderOptions(sampling: .framesPerSecond(5)))
        expectFrames(fiveFramesPerSecond.frames, indices: everyFifth, pts: pts(everyFifth))
        #expect(fiveFramesPerSecond.counters.decodedFrames == 50)

        let keyframes = try readAll(path, DecoderOptions(sampling: .keyframes))
        expectFrames(keyframes.frames, indices: [0, 10, 20, 30, 40], pts: pts([0, 10, 20, 30, 40]))
        #expect(keyframes.counters.decodedFrames == 5, "non-key frames must not be decoded")

        // pts 0.5 ..< 1.2 s: frames 13 (0.52 s) to 29 (1.16 s).
        let window = try readAll(path, DecoderOptions(window: TimeWindow(start: 0.5, end: 1.2)))
        expectFrames(window.frames, indices: Array(13...29), pts: pts(Array(13...29)))
        if container == "mp4" {
            #expect(window.counters.decodedFrames < 40, "the mp4 index lets the reader seek instead of decoding from 0")
        }

        let windowedKeyframes = try readAll(path, DecoderOptions(sampling: .keyframes, window: TimeWindow(start: 0.5, end: 1.7)))
        expectFrames(windowedKeyframes.frames, indices: [20, 30, 40], pts: pts([20, 30, 40]))

        let windowedEvery7 = try readAll(path, DecoderOptions(sampling: .everyNth(7), window: TimeWindow(start: 1)))
        expectFrames(windowedEvery7.frames, indices: [28, 35, 42, 49], pts: pts([28, 35, 42, 49]))
    }

    /// Frames 0-9 every 40 ms, then every 120 ms: `framesPerSecond` follows presentation time, not frame count.
    @Test func cancellingStopsAFileReader() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("clip.mp4")
        try makeClip(path, Self.source + ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let reader = try FrameReader(input: InputLocation(path), spec: .googLeNet)
        for _ in 0..<3 { _ = try reader.next() }
        reader.cancellation.cancel()
        #expect(throws: DecodingError.self) { try reader.next() }
        #expect(reader.counters.sampledFrames == 3)
    }

    @Test func variableFrameRate() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("vfr.mkv")
        try makeClip(path, ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "20",
                            "-vf", "setpts='if(lt(N,10),N,10+(N-10)*3)/25/TB'", "-fps_mode", "passthrough",
                            "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let allPts: [Double] = (0..<20).map { (n: Int) -> Double in n < 10 ? Double(n) * 0.04 : 0.4 + Double(n - 10) * 0.12 }
        expectFrames(try readAll(path).frames, indices: Array(0..<20), pts: allPts)
        let sampled = try readAll(path, DecoderOptions(sampling: .framesPerSecond(5))).frames
        // 0.2 s slices: [0, 0.2) → frame 0, [0.2, 0.4) → 5, then 10 (0.4), 12 (0.64), 14 (0.88), 15 (1.0), 17 (1.24), 19 (1.48).
        let expected: [Int64] = [0, 5, 10, 12, 14, 15, 17, 19]
        expectFrames(sampled, indices: expected, pts: expected.map { allPts[Int($0)] })
    }

    @Test func audioStreamIsIgnored() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("with-audio.mp4")
        // The audio stream comes first, so picking stream 0 would be wrong.
        let audio = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
        let mapping = ["-map", "0:a", "-map", "1:v", "-c:a", "aac", "-c:v", "libx264", "-pix_fmt", "yuv420p"]
        try makeClip(path, audio + Self.source + mapping)
        let (frames, _) = try readAll(path)
        expectFrames(frames, indices: Array(0..<50), pts: (0..<50).map { Double($0) / 25 })
    }

    /// Frames of clips made from coffee.png convert to the still image's tensor: exactly when the video is
    /// lossless RGB, closely through 4:4:4 YUV, and within chroma-subsampling loss through 4:2:0 (the photo
    /// has strong colour edges; measured: 0.0, 1.04 and 5.2 mean absolute difference on the 0–255 scale).
    @Test(arguments: [
        ("coffee-rgb24.nut", ["-c:v", "rawvideo", "-pix_fmt", "rgb24"], Float(0.0001)),
        ("coffee-yuv444p.mkv", ["-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv444p"], Float(1.5)),
        ("coffee-yuv420p.mp4", ["-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p"], Float(6)),
    ])
    func videoFramesMatchTheStillImagePath(name: String, encoder: [String], tolerance: Float) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(name)
        try makeClip(path, ["-loop", "1", "-i", coffeePhoto, "-t", "0.2", "-r", "25"] + encoder)
        let still = try StillImage.networkInput(contentsOf: coffeePhoto, spec: .googLeNet)
        let reader = try FrameReader(input: InputLocation(path), spec: .googLeNet)
        var count = 0
        while let frame = try reader.next() {
            let difference = meanAbsoluteDifference(frame.centerTensor, still)
            #expect(difference <= tolerance, "\(name) frame \(frame.frameIndex): mean abs difference \(difference)")
            count += 1
        }
        #expect(count == 5)
    }
}
