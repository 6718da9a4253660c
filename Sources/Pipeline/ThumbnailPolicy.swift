/// Which labelled frames keep a thumbnail: none, the first frame of every top-1 segment (the default), or
/// those and at most one every `seconds` otherwise. Written `off`, `segments`, `every=SECONDS`.
package enum ThumbnailPolicy: Sendable, Equatable, CustomStringConvertible {
    case off
    case segments
    case every(seconds: Double)

    /// Parses `off`, `segments` or `every=SECONDS` (seconds within `OptionLimits.thumbnailInterval`).
    package init(_ text: String) throws(ConfigurationError) {
        switch text {
        case "off": self = .off
        case "segments": self = .segments
        default:
            guard text.hasPrefix("every="), let seconds = Double(text.dropFirst(6)) else {
                throw ConfigurationError(message: "expected off, segments or every=SECONDS, found '\(text)'")
            }
            if let violation = OptionLimits.thumbnailInterval.violation(of: seconds) {
                throw ConfigurationError(message: "every=SECONDS: \(violation)")
            }
            self = .every(seconds: seconds)
        }
    }

    package var description: String {
        switch self {
        case .off: "off"
        case .segments: "segments"
        case .every(let seconds): "every=\(seconds)"
        }
    }
}

/// Chooses the frames of one input whose thumbnails are kept, deciding each labelled frame in frame order (the
/// sink's `FrameOrder` puts them back in order): a frame whose top-1 class differs from the previous frame's
/// starts a segment. Segment starts are kept within a budget, so that a scene whose top-1 answer flickers
/// cannot fill the disk: `burst` pictures at once, then one per `spacing` seconds of video on average (`every=S`
/// pictures are the user's choice and not limited). Owned by the sink's thread.
struct ThumbnailSelector {
    /// Segment-start pictures allowed at once, and the seconds of video that earn one more: at most
    /// 86400 / 75 + 20 = 1172 pictures a day, about 16 MB at ~14 KB each.
    static let burst = 20.0
    static let spacing = 75.0

    private let policy: ThumbnailPolicy
    private var previousClass: Int?
    private var lastKeptPts: Double?
    /// Segment-start pictures that may be kept now (refilled as the video's time passes).
    private var allowance = ThumbnailSelector.burst
    private var allowancePts: Double?

    init(policy: ThumbnailPolicy) {
        self.policy = policy
    }

    /// Whether any picture is kept (`off` keeps none, not even an appearance's).
    var keepsPictures: Bool { policy != .off }

    /// Whether the next frame in order, at `pts` with top-1 class `topClass`, keeps its thumbnail.
    mutating func keeps(pts: Double, topClass: Int) -> Bool {
        guard policy != .off else { return false }
        let startsSegment = topClass != previousClass
        previousClass = topClass
        let elapsed = allowancePts.map { max(0, pts - $0) } ?? 0
        allowance = min(Self.burst, allowance + elapsed / Self.spacing)
        allowancePts = pts
        var keep = false
        if startsSegment, allowance >= 1 {
            allowance -= 1
            keep = true
        }
        if case .every(let seconds) = policy, !keep {
            keep = lastKeptPts.map { pts - $0 >= seconds } ?? true
        }
        if keep { lastKeptPts = pts }
        return keep
    }
}
