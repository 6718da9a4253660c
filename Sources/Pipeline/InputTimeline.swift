import LabelStore

/// What the sink decides about one input's labelled frames in frame order: which keep a thumbnail (the
/// `ThumbnailSelector`'s segment starts, and each appearance's first frame) and the appearances
/// (`AppearanceTracker`). Frames come in as the workers finish them and are decided as they leave
/// `FrameOrder`, once no earlier frame is on its way; the pictures of frames that may still start an appearance are not let go until it is
/// decided (the input's `FramePictures` stays bounded all the same). Owned by the sink's thread.
struct InputTimeline {
    /// A stored frame waiting to be decided.
    struct Frame {
        /// The decoder's index (its picture is kept under it), and the frame as the store numbers it.
        let decoderIndex: Int64
        let scored: ScoredFrame
        let topClass: Int
    }

    /// What leaving the window decided.
    struct Decision {
        /// Frames whose pictures become thumbnails.
        var thumbnails: [(decoderIndex: Int64, storedIndex: Int64)] = []
        /// Appearances opened, extended or closed, in the order they changed.
        var appearances: [AppearanceRecord] = []
        /// The decoder index up to which the pictures not kept can go.
        var decidedThrough: Int64?
    }

    private var order: FrameOrder<Frame>
    private var thumbnails: ThumbnailSelector
    private var appearances: AppearanceTracker

    init(thumbnails: ThumbnailPolicy, appearances: AppearanceThresholds) {
        order = FrameOrder()
        self.thumbnails = ThumbnailSelector(policy: thumbnails)
        self.appearances = AppearanceTracker(thresholds: appearances)
    }

    /// Takes a stored frame; decides those that may leave `FrameOrder`: every frame before the earliest of the
    /// input's frames still on its way to the sink (all of them when none is).
    mutating func offer(_ frame: Frame, earliestInFlight: Int64?) -> Decision {
        decide(order.offer(frame, index: frame.decoderIndex, earliestInFlight: earliestInFlight))
    }

    /// Decides every frame still waiting and closes the open appearances (the input ended).
    mutating func finish() -> Decision {
        var decision = decide(order.flush())
        decision.appearances += appearances.finish()
        return decision
    }

    private mutating func decide(_ frames: [Frame]) -> Decision {
        var decision = Decision()
        for frame in frames {
            // The store numbers a live session's frames from a base: the same offset for every frame of an input.
            let base = frame.scored.frameIndex - frame.decoderIndex
            if thumbnails.keeps(pts: frame.scored.pts, topClass: frame.topClass) {
                decision.thumbnails.append((frame.decoderIndex, frame.scored.frameIndex))
            }
            let (changed, openedAt) = appearances.observe(frame.scored)
            decision.appearances += changed
            if thumbnails.keepsPictures { decision.thumbnails += openedAt.map { ($0 - base, $0) } }
            decision.decidedThrough = appearances.earliestCandidateStart.map { min(frame.decoderIndex, $0 - base - 1) }
                ?? frame.decoderIndex
        }
        return decision
    }
}
