import FramewiseTestSupport
import GoogLeNet
import Pipeline
import Testing
import VideoDecoding

let coffeePhoto = TestData.photo("coffee.png")

func meanAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { $0 + abs($1.0 - $1.1) } / Float(a.count)
}

extension SampledFrame {
    /// The centre crop's tensor (the default and only view unless others are asked for).
    var centerTensor: [Float] { views[0].crops[0] }
}

/// Every sampled frame of a file: (frameIndex, pts) pairs, and the reader's counters at the end.
func readAll(_ path: String, _ options: DecoderOptions = DecoderOptions()) throws -> (frames: [(index: Int64, pts: Double)], counters: DecoderCounters) {
    let reader = try FrameReader(input: InputLocation(path), options: options, spec: .googLeNet)
    var frames: [(index: Int64, pts: Double)] = []
    while let frame = try reader.next() {
        #expect(frame.views.map(\.name) == ["center"] && frame.centerTensor.count == InputSpec.googLeNet.elementCount)
        #expect(frame.capturedAt == nil)
        frames.append((frame.frameIndex, frame.pts))
    }
    return (frames, reader.counters)
}

/// Checks indices exactly and pts to a microsecond.
func expectFrames(_ frames: [(index: Int64, pts: Double)], indices: [Int64], pts: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(frames.map(\.index) == indices, sourceLocation: sourceLocation)
    #expect(frames.count == pts.count, sourceLocation: sourceLocation)
    for (frame, expected) in zip(frames, pts) where abs(frame.pts - expected) > 1e-6 {
        Issue.record("frame \(frame.index): pts \(frame.pts), expected \(expected)", sourceLocation: sourceLocation)
    }
}
