
/// A picture file (PNG, JPEG, BMP, ...) turned into a network input: decoded by FFmpeg's image2 demuxer and
/// converted by the same `FrameConverter` as video frames, so `classify` and `run` see identical tensors.
package enum StillImage {
    /// The tensor (`spec.elementCount` floats, planar B, G, R minus mean) of the picture at `path`.
    /// Throws `DecodingError` naming the file for anything that is not a readable picture.
    package static func networkInput(contentsOf path: String, spec: InputSpec) throws -> [Float] {
        try views(contentsOf: path, spec: spec, [.center])[0].crops[0]
    }

    /// The picture at `path` seen through each of `views` (a region's fractions apply to the picture), as the
    /// decoder converts a video frame's views.
    package static func views(contentsOf path: String, spec: InputSpec, _ views: [FrameView]) throws -> [SampledView] {
        let input = try InputLocation(path)
        let session = try MediaSession(input: input, options: DecoderOptions(), deadline: InterruptDeadline(cancellation: ReaderCancellation()))
        guard let decoded = try session.nextFrame() else {
            throw DecodingError(.notMedia, input: input.description, detail: "it contains no picture")
        }
        do {
            return try FrameConverter(spec: spec).views(of: decoded.frame, views)
        } catch {
            throw DecodingError(.failed, input: input.description, detail: error.description)
        }
    }
}
