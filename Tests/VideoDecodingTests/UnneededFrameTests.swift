import FramewiseTestSupport
import Pipeline
import Testing
import VideoDecoding

/// `DecoderOptions.skipsUnneededFrames` on real clips made with the ffmpeg tool and a real RTSP server: frames
/// after a group of pictures' last sampled one are never decoded, and the sampled frames are exactly those of
/// decoding everything.
@Suite struct UnneededFrameTests {
    /// 3 s of a moving test pattern at 25 fps, camera-like: no B-frames, a key frame every 25 frames.
    static let cameraLike = [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3", "-pix_fmt", "yuv420p", "-sc_threshold", "0",
    ]
    static let groupOfPictures = 25

    struct Clip: CustomTestStringConvertible, Sendable {
        let name: String
        let encoder: [String]
        var testDescription: String { name }
    }

    /// Length-prefixed H.264 (mp4, mkv), H.264 behind Annex B start codes (MPEG-TS) and HEVC.
    static let clips = [
        Clip(name: "h264.mp4", encoder: ["-c:v", "libx264", "-bf", "0", "-g", "25", "-keyint_min", "25"]),
        Clip(name: "h264.mkv", encoder: ["-c:v", "libx264", "-bf", "0", "-g", "25", "-keyint_min", "25"]),
        Clip(name: "h264.ts", encoder: ["-c:v", "libx264", "-bf", "0", "-g", "25", "-keyint_min", "25"]),
        Clip(name: "hevc.mkv", encoder: ["-c:v", "libx265", "-x265-params", "log-level=error:bframes=0:keyint=25:min-keyint=25:scenecut=0"]),
    ]

    private func frames(_ path: String, _ options: DecoderOptions) throws -> (frames: [SampledFrame], counters: DecoderCounters) {
        let reader = try FrameReader(input: InputLocation(path), options: options, spec: .googLeNet)
        var frames: [SampledFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        return (frames, reader.counters)
    }

    /// The same frames, timestamps, key-frame distances and pixels with and without the skipping.
    private func expectSame(_ skipped: [SampledFrame], _ full: [SampledFrame], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(skipped.map(\.frameIndex) == full.map(\.frameIndex), sourceLocation: sourceLocation)
        #expect(skipped.map(\.pts) == full.map(\.pts), sourceLocation: sourceLocation)
        #expect(skipped.map(\.keyFrameDistance) == full.map(\.keyFrameDistance), sourceLocation: sourceLocation)
        for (a, b) in zip(skipped, full) where a.centerTensor != b.centerTensor {
            Issue.record("frame \(a.frameIndex): pixels differ", sourceLocation: sourceLocation)
        }
    }

    /// Frames decoded when each group of pictures is decoded from its key frame up to its last sampled frame,
    /// and groups without one not at all.
    private func neededFrames(_ sampled: [SampledFrame]) -> Int64 {
        let lastSampledByGroup = Dictionary(grouping: sampled.map(\.frameIndex)) { $0 / Int64(Self.groupOfPictures) }
        return lastSampledByGroup.reduce(0) { $0 + $1.value.max()! - $1.key * Int64(Self.groupOfPictures) + 1 }
    }

    @Test(arguments: clips)
    func sampledFramesAreThoseOfFullDecoding(clip: Clip) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(clip.name)
        try makeClip(path, Self.cameraLike + clip.encoder)
        for sampling in [SamplingPolicy.framesPerSecond(2), .everyNth(10), .framesPerSecond(0.5)] {
            var everything = DecoderOptions(sampling: sampling)
            everything.skipsUnneededFrames = false
            let full = try frames(path, everything)
            let skipped = try frames(path, DecoderOptions(sampling: sampling))
            #expect(full.counters.decodedFrames == 75)
            #expect(full.frames.count >= 2)
            expectSame(skipped.frames, full.frames)
            #expect(skipped.counters.decodedFrames == neededFrames(full.frames), "\(sampling)")
            #expect(skipped.counters.decodedFrames < 75)
        }
    }

    @Test func everyFrameDecodesEveryFrame() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(Self.clips[0].name)
        try makeClip(path, Self.cameraLike + Self.clips[0].encoder)
        #expect(try frames(path, DecoderOptions()).counters.decodedFrames == 75)
    }

    /// With B-frames a later frame may be predicted from one shown after it: everything is decoded.
    @Test func streamsWithReorderingAreDecodedInFull() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("b-frames.mp4")
        try makeClip(path, Self.cameraLike + ["-c:v", "libx264", "-bf", "2", "-g", "25"])
        let skipped = try frames(path, DecoderOptions(sampling: .framesPerSecond(2)))
        #expect(skipped.counters.decodedFrames == 75)
        #expect(skipped.frames.count == 6)
    }

    /// Every MJPEG frame stands alone: only the sampled ones are decoded.
    @Test func intraOnlyCodecsDecodeOnlyTheSampledFrames() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("mjpeg.avi")
        try makeClip(path, Self.cameraLike + ["-c:v", "mjpeg", "-q:v", "4"])
        var everything = DecoderOptions(sampling: .everyNth(7))
        everything.skipsUnneededFrames = false
        let full = try frames(path, everything)
        let skipped = try frames(path, DecoderOptions(sampling: .everyNth(7)))
        expectSame(skipped.frames, full.frames)
        #expect(skipped.frames.map(\.frameIndex) == Array(stride(from: Int64(0), to: 75, by: 7)))
        #expect(skipped.counters.decodedFrames == Int64(skipped.frames.count))
    }

    /// Matroska has no per-frame index, so a window's start is reached by reading: the groups before it are
    /// no longer decoded.
    @Test func framesBeforeTheWindowAreNotDecoded() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(Self.clips[1].name)
        try makeClip(path, Self.cameraLike + Self.clips[1].encoder)
        let window = TimeWindow(start: 2.2, end: 2.6)
        var everything = DecoderOptions(window: window)
        everything.skipsUnneededFrames = false
        let full = try frames(path, everything)
        let skipped = try frames(path, DecoderOptions(window: window))
        expectSame(skipped.frames, full.frames)
        #expect(skipped.frames.map(\.frameIndex) == Array(55...64))
        // The group from frame 50 up to the window's end (frame 65, which stops the reading).
        #expect(skipped.counters.decodedFrames == 16)
    }

    /// A live camera (GStreamer's RTSP server: H.264 without B-frames, a key frame every second) sampled at 2
    /// frames/s: each second's frames after its second sampled one are never decoded, and no slice is missed.
    @Test func liveCameraSampledAtTwoFramesPerSecond() throws {
        let server = try RTSPServer()
        let reader = try FrameReader(input: InputLocation(server.url),
                                     options: DecoderOptions(sampling: .framesPerSecond(2), openTimeout: 3, stallTimeout: 2),
                                     spec: .googLeNet)
        var frames: [SampledFrame] = []
        while frames.count < 8, let frame = try reader.next() { frames.append(frame) }
        let slices = frames.map { Int(($0.pts * 2 + 1e-6).rounded(.down)) }
        #expect(slices == Array(slices[0]..<slices[0] + 8), "pts \(frames.map(\.pts))")
        #expect(frames.allSatisfy { $0.capturedAt != nil })
        let span = frames.last!.frameIndex + 1
        // 3 whole seconds before the last sampled frame, each with 11 frames after its second sampled one (at
        // 0.52 s): 33 never decoded (20 allows for a live source's jitter moving a slice's first frame).
        #expect(reader.counters.decodedFrames <= span - 20, "decoded \(reader.counters.decodedFrames) of \(span)")
    }
}
