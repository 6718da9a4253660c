import Foundation
import GoogLeNet
import Pipeline
import VideoDecoding

/// Network inputs taken from real pictures and videos (files or streams), for calibration and agreement checks.
struct RealFrames {
    /// Where the frames came from (redacted) and the frames, in input order.
    var inputs: [String] = []
    var images: [[Float]] = []
    /// Per image: which input (index into `inputs`), its frame index and pts (0 for a picture), and the frames
    /// since the last key frame (`nil` for a picture).
    var origins: [(input: Int, frameIndex: Int64, pts: Double, keyFrameDistance: Int64?)] = []

    static let pictureExtensions: Set<String> = ["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff"]

    /// About `total` frames spread over `locations`: a picture gives one; a video file its share spread evenly
    /// over its duration; a stream its share of frames in a row. With `sampling`, a video gives the frames it
    /// keeps instead, up to `total` over all inputs; `shortcuts` is the decoding work left out.
    static func collect(_ locations: [String], total: Int, sampling: SamplingPolicy? = nil,
                        shortcuts: DecodingShortcuts = .none) throws -> RealFrames {
        var result = RealFrames()
        let videos = locations.filter { !pictureExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
        let share = max(1, (total - (locations.count - videos.count)) / max(videos.count, 1))
        for location in locations {
            let remaining = total - result.images.count
            guard remaining > 0 else { break }
            if !videos.contains(location) {
                result.images.append(try StillImage.networkInput(contentsOf: location, spec: .googLeNet))
                result.origins.append((result.inputs.count, 0, 0, nil))
                result.inputs.append(location)
                continue
            }
            let input = try InputLocation(location)
            let quota = sampling == nil ? min(share, remaining) : remaining
            var options = DecoderOptions()
            options.sampling = sampling ?? .everyFrame
            options.shortcuts = shortcuts
            if let conflict = options.conflict { throw ValidationFailure(conflict) }
            var reader = try FrameReader(input: input, options: options, spec: .googLeNet)
            if sampling == nil, let duration = reader.duration, duration > 0 {
                options.sampling = .framesPerSecond(Double(quota) / duration)
                reader = try FrameReader(input: input, options: options, spec: .googLeNet)
            }
            var taken = 0
            while taken < quota, let frame = try reader.next() {
                result.images.append(contentsOf: frame.views[0].crops)
                result.origins.append((result.inputs.count, frame.frameIndex, frame.pts, frame.keyFrameDistance))
                taken += 1
            }
            guard taken > 0 else { throw ValidationFailure("\(input) gave no frames") }
            result.inputs.append(input.description)
        }
        return result
    }
}

/// A problem with what the user asked for, in one line.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
