package import Foundation

/// One sampled frame, converted to the network's input.
package struct SampledFrame: Sendable {
    /// 0-based position of the frame among all frames of the stream, in presentation order. After a
    /// reconnect it continues past every index already handed out.
    package var frameIndex: Int64
    /// Seconds from the stream's start (best-effort timestamp × time base), repaired to never go backwards.
    package var pts: Double
    /// Wall-clock time the frame's packet left the demuxer (UTC), for live inputs; `nil` for files.
    package var capturedAt: Date?
    /// Frames since the last key frame decoded (0: this is one); `nil` before any key frame was decoded.
    package var keyFrameDistance: Int64?
    /// What the network is to see of the frame: one entry per `DecoderOptions.views`, in that order.
    package var views: [SampledView]
    /// A small copy of the frame (`DecoderOptions.thumbnailWidth`), for a thumbnail should one be wanted.
    package var thumbnail: ThumbnailPicture?
}

/// One view of a sampled frame, converted: its crops, each `InputSpec.elementCount` floats (planar blue,
/// green, red, minus the mean).
package struct SampledView: Sendable {
    /// The view's name (`center`, `full`, `tiles`, or a region's).
    package let name: String
    /// One tensor per crop (`tiles` has several).
    package let crops: [[Float]]
}

/// Something that happened to a live input besides frames, reported through `FrameReader`'s `onEvent`.
package enum DecoderEvent: Sendable, Equatable {
    /// The stream stopped delivering (error, stall or end) after the frame at `lastFrameIndex`/`lastPts`.
    case disconnected(reason: String, lastFrameIndex: Int64, lastPts: Double)
    /// Reconnect attempt `attempt` failed; the next one follows in `retryInSeconds`.
    case reconnectFailed(attempt: Int, reason: String, retryInSeconds: Double)
    /// The stream is back after `outageSeconds` of wall-clock time; frames resume at `resumeFrameIndex` and
    /// `resumePts` (for a live stream the gap in both is the outage; a network file goes on where it broke).
    case reconnected(attempts: Int, outageSeconds: Double, resumeFrameIndex: Int64, resumePts: Double)
}

/// Running totals of a `FrameReader`.
package struct DecoderCounters: Sendable, Equatable {
    /// Frames the decoder produced (all of them, sampled or not).
    package var decodedFrames: Int64 = 0
    /// Frames handed out by `next()`.
    package var sampledFrames: Int64 = 0
    /// Damaged packets: skipped (rejected by the demuxer or the decoder) or decoded with concealment.
    package var corruptPackets: Int64 = 0
    /// Successful reconnects.
    package var reconnects: Int = 0

    package init() {}
}
