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

/// Chooses the frames of one input whose thumbnails are kept, as labelled frames reach the sink. Workers finish
/// out of order, so frames wait in a short window sorted by index and are decided as they leave it, in order:
/// a frame whose top-1 class differs from the previous frame's starts a segment. Segment starts are kept
/// within a budget, so that a scene whose top-1 answer flickers cannot fill the disk: `burst` pictures at
/// once, then one per `spacing` seconds of video on average (`every=S` pictures are the user's choice and
/// not limited). Owned by the sink's thread.
struct ThumbnailSelector {
    /// Segment-start pictures allowed at once, and the seconds of video that earn one more: at most
    /// 86400 / 75 + 20 = 1172 pictures a day, about 16 MB at ~14 KB each.
    static let burst = 20.0
    static let spacing = 75.0

    /// A labelled frame waiting to be decided (its picture waits in the input's `FramePictures`).
    struct Candidate {
        let frameIndex: Int64
        let pts: Double
        let topClass: Int
    }

    /// What an offer decided: the frames whose thumbnails to keep, and the last frame index decided (kept or
    /// not), through which the pictures not kept can go.
    struct Decision {
        var kept: [Candidate] = []
        var decidedThrough: Int64?
    }

    private let policy: ThumbnailPolicy
    /// How many frames wait before the earliest is decided: more than the workers can reorder.
    private let reorderWindow: Int
    private var waiting: [Candidate] = []
    private var previousClass: Int?
    private var lastKeptPts: Double?
    /// Segment-start pictures that may be kept now (refilled as the video's time passes).
    private var allowance = ThumbnailSelector.burst
    private var allowancePts: Double?

    init(policy: ThumbnailPolicy, reorderWindow: Int) {
        self.policy = policy
        self.reorderWindow = reorderWindow
    }

    /// Takes a labelled frame; decides the frames (earlier ones, possibly this one) that leave the window.
    mutating func offer(_ candidate: Candidate) -> Decision {
        guard policy != .off else { return Decision() }
        let position = waiting.firstIndex { $0.frameIndex > candidate.frameIndex } ?? waiting.endIndex
        waiting.insert(candidate, at: position)
        var decision = Decision()
        while waiting.count > reorderWindow {
            decide(waiting.removeFirst(), into: &decision)
        }
        return decision
    }

    /// Decides every frame still waiting (the input ended).
    mutating func flush() -> Decision {
        let remaining = waiting
        waiting = []
        var decision = Decision()
        for candidate in remaining { decide(candidate, into: &decision) }
        return decision
    }

    private mutating func decide(_ candidate: Candidate, into decision: inout Decision) {
        if decide(candidate) { decision.kept.append(candidate) }
        decision.decidedThrough = candidate.frameIndex
    }

    private mutating func decide(_ candidate: Candidate) -> Bool {
        let startsSegment = candidate.topClass != previousClass
        previousClass = candidate.topClass
        let elapsed = allowancePts.map { max(0, candidate.pts - $0) } ?? 0
        allowance = min(Self.burst, allowance + elapsed / Self.spacing)
        allowancePts = candidate.pts
        var keep = false
        if startsSegment, allowance >= 1 {
            allowance -= 1
            keep = true
        }
        if case .every(let seconds) = policy, !keep {
            keep = lastKeptPts.map { candidate.pts - $0 >= seconds } ?? true
        }
        if keep { lastKeptPts = candidate.pts }
        return keep
    }
}
