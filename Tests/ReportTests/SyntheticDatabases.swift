import FeatureSpace
import Foundation
import FramewiseTestSupport
import LabelStore

/// Real JPEG thumbnails (320×180) of `count` different frames of a test pattern, to attach to made-up frames.
func testPatternThumbnails(count: Int, in directory: TemporaryDirectory) throws -> [StoredThumbnail] {
    let clip = directory.path("pattern.mkv")
    try makeClip(clip, ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-frames:v", String(count * 7),
                        "-c:v", "ffv1", "-pix_fmt", "yuv420p"])
    let thumbnails = try encodedThumbnails(of: clip, frames: Set((0..<count).map { Int64($0 * 7) }))
    return thumbnails.keys.sorted().map { thumbnails[$0]! }
}

/// What `synthesiseCamera` stored.
struct SyntheticCamera {
    let frames: Int
    let segments: Int
    let thumbnails: Int
    let thumbnailBytes: Int
}

/// A live camera labelled at `framesPerSecond` for `hours`, written through `FrameWriter` as the pipeline
/// would: a background label most of the time, events of other labels lasting seconds to minutes, now and then
/// a burst of labels flickering frame by frame; a thumbnail for the first frame of every top-1 segment (the sink's
/// default). Top-5 answers with falling scores, wall-clock `captured_at`.
func synthesiseCamera(store: LabelStore, uri: String, hours: Double, framesPerSecond: Double, classes: [ClassLabel],
                      thumbnails: [StoredThumbnail], startingAt start: Date) throws -> SyntheticCamera {
    let source = try store.register(source: SourceDescriptor(uri: uri, kind: .rtsp)).id
    let run = try store.beginRun(RunSettings(source: source, precision: "f32", sampling: "\(framesPerSecond) fps", modelSHA256: "synthetic"))
    let writer = try store.makeWriter(run: run, policy: FrameWriter.Policy(maxFrames: 5_000, maxDelay: .seconds(60)))
    var random = SplitMix64(seed: 12)
    let background = classes.first { $0.label == "patio" }?.index ?? 0
    let events = (0..<30).map { _ in Int.random(in: 0..<classes.count, using: &random) }
    let total = Int(hours * 3600 * framesPerSecond)
    var frameIndex = 0, segments = 0, thumbnailCount = 0, thumbnailBytes = 0
    var previousTop: Int?

    func storeFrame(_ top: Int, score: Float) throws {
        var answers = [ClassScore(classIndex: top, score: score)]
        var next = top
        while answers.count < 5 {
            next = (next + 37) % classes.count
            answers.append(ClassScore(classIndex: next, score: answers.last!.score / 2))
        }
        let pts = Double(frameIndex) / framesPerSecond
        try writer.append(StoredFrame(frameIndex: Int64(frameIndex), pts: pts, capturedAt: start.addingTimeInterval(pts), top: answers))
        if top != previousTop {
            segments += 1
            let thumbnail = thumbnails[segments % thumbnails.count]
            try writer.appendThumbnail(thumbnail, frameIndex: Int64(frameIndex))
            thumbnailCount += 1
            thumbnailBytes += thumbnail.jpeg.count
        }
        previousTop = top
        frameIndex += 1
    }

    while frameIndex < total {
        let kind = Int.random(in: 0..<100, using: &random)
        if kind < 3 {
            // A burst of flicker: two labels taking turns frame by frame for 20 s.
            let pair = (events[Int.random(in: 0..<events.count, using: &random)], events[Int.random(in: 0..<events.count, using: &random)])
            for step in 0..<Int(20 * framesPerSecond) where frameIndex < total { try storeFrame(step % 2 == 0 ? pair.0 : pair.1, score: 0.3) }
        } else {
            // The background for 10 s to 10 min, or an event (most often one of a few labels) for 1 s to 1 min.
            let isEvent = kind < 45
            let label = isEvent ? events[min(Int.random(in: 0..<10, using: &random) * Int.random(in: 0..<4, using: &random), 29)] : background
            let seconds = isEvent ? Double.random(in: 1...60, using: &random) : Double.random(in: 10...600, using: &random)
            let score = Float.random(in: 0.35...0.95, using: &random)
            for _ in 0..<max(1, Int(seconds * framesPerSecond)) where frameIndex < total { try storeFrame(label, score: score) }
        }
    }
    try writer.close()
    try store.finishRun(run, status: .completed, counts: RunCounts(decoded: total, labeled: total))
    return SyntheticCamera(frames: total, segments: segments, thumbnails: thumbnailCount, thumbnailBytes: thumbnailBytes)
}
