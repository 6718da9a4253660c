import FramewiseTestSupport
import Pipeline
import Testing
import VideoDecoding

/// `DecodingShortcuts` on real H.264 clips made with the ffmpeg tool, decoded by FFmpeg.
@Suite struct DecodingShortcutTests {
    /// 2 s of a moving test pattern at 25 fps, a key frame every 10 frames, at a quantizer high enough that the
    /// deblocking filter has edges to smooth; `bFrames` > 0 gives non-reference B-frames (x264's default pyramid).
    private func makeClip(_ path: String, bFrames: Int) throws {
        try FramewiseTestSupport.makeClip(path, [
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", "-bf", "\(bFrames)", "-crf", "36",
        ])
    }

    private func frames(_ path: String, _ options: DecoderOptions) throws -> (frames: [SampledFrame], counters: DecoderCounters) {
        let reader = try FrameReader(input: InputLocation(path), options: options, spec: .googLeNet)
        var frames: [SampledFrame] = []
        while let frame = try reader.next() { frames.append(frame) }
        return (frames, reader.counters)
    }

    @Test func skippingTheLoopFilterChangesThePicturesButNotWhichFrames() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeClip(clip, bFrames: 0)
        let full = try frames(clip, DecoderOptions())
        var options = DecoderOptions()
        options.shortcuts.skipLoopFilter = true
        let skipped = try frames(clip, options)

        #expect(full.frames.map(\.frameIndex) == Array(0..<50))
        #expect(skipped.frames.map(\.frameIndex) == full.frames.map(\.frameIndex))
        #expect(skipped.frames.map(\.pts) == full.frames.map(\.pts))
        #expect(skipped.counters.decodedFrames == 50)
        #expect(full.frames.map(\.keyFrameDistance) == (0..<50).map { Int64($0 % 10) })
        // Every frame's picture differs (the filter smooths the key frames too), by a little: a mean difference
        // of a fraction of a grey level out of 255.
        let differences = zip(full.frames, skipped.frames).map { meanAbsoluteDifference($0.centerTensor, $1.centerTensor) }
        #expect(differences.allSatisfy { $0 > 0 })
        #expect(differences.allSatisfy { $0 < 3 }, "mean differences \(differences)")
    }

    @Test func skippingNonReferenceFramesDecodesFewerAndKeepsTheOthersExact() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeClip(clip, bFrames: 3)
        let full = try frames(clip, DecoderOptions(sampling: .framesPerSecond(25)))
        var options = DecoderOptions(sampling: .framesPerSecond(25))
        options.shortcuts.skipNonReference = true
        #expect(options.conflict == nil)
        let skipped = try frames(clip, options)

        #expect(full.counters.decodedFrames == 50)
        #expect(skipped.counters.decodedFrames < 40, "decoded \(skipped.counters.decodedFrames) of 50")
        #expect(skipped.counters.decodedFrames == Int64(skipped.frames.count))
        // The frames decoded keep their positions and timestamps, and their pictures are exactly those of full
        // decoding: no other frame is predicted from a non-reference one.
        for frame in skipped.frames {
            let same = full.frames[Int(frame.frameIndex)]
            #expect(same.pts == frame.pts)
            #expect(same.centerTensor == frame.centerTensor, "frame \(frame.frameIndex)")
        }
        #expect(skipped.frames.first?.frameIndex == 0)
    }

    @Test func skippingNonReferenceFramesNeedsSamplingThatAllowsIt() {
        for sampling in [SamplingPolicy.everyFrame, .everyNth(5)] {
            var options = DecoderOptions(sampling: sampling)
            #expect(options.conflict == nil)
            options.shortcuts.skipNonReference = true
            #expect(options.conflict?.contains("needs fps or keyframes sampling") == true)
        }
        var keyframes = DecoderOptions(sampling: .keyframes)
        keyframes.shortcuts = DecodingShortcuts(skipLoopFilter: true, skipNonReference: true)
        #expect(keyframes.conflict == nil)
    }

    @Test func modesReadBackFromTheirWords() {
        let all = [DecodingShortcuts.none, DecodingShortcuts(skipLoopFilter: true), DecodingShortcuts(skipNonReference: true),
                   DecodingShortcuts(skipLoopFilter: true, skipNonReference: true)]
        #expect(all.map(\.description) == ["full", "skip-loop-filter", "skip-nonref", "skip-loop-filter+skip-nonref"])
        #expect(all.map { DecodingShortcuts($0.description) } == all)
        #expect(DecodingShortcuts("skip-nonref+skip-loop-filter") == all[3])
        for bad in ["", "fast", "full+skip-nonref", "skip-nonref+skip-nonref", "skip-loop-filter+"] {
            #expect(DecodingShortcuts(bad) == nil, "\(bad)")
        }
    }
}
