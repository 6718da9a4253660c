/// Decides which decoded frames are kept (the sampling policy and the time window), from a frame's index
/// and repaired pts alone, before any conversion.
struct FrameSampler {
    enum Decision: Equatable {
        case keep
        case skip
        /// The frame is at or past the window's end: stop reading.
        case stop
    }

    let policy: SamplingPolicy
    let window: TimeWindow
    /// `framesPerSecond`: the last 1/X-second slice a frame was kept from.
    private var lastSlice: Int64?

    init(policy: SamplingPolicy, window: TimeWindow) {
        self.policy = policy
        self.window = window
    }

    /// Whether `decide` would keep the frame or stop, without recording it.
    func wouldKeep(frameIndex: Int64, pts: Double) -> Bool {
        var probe = self
        return probe.decide(frameIndex: frameIndex, pts: pts) != .skip
    }

    mutating func decide(frameIndex: Int64, pts: Double) -> Decision {
        if let end = window.end, pts >= end { return .stop }
        if pts < window.start { return .skip }
        switch policy {
        case .everyFrame, .keyframes:
            return .keep
        case .everyNth(let n):
            return frameIndex % Int64(max(1, n)) == 0 ? .keep : .skip
        case .framesPerSecond(let rate):
            // A small tolerance keeps a frame whose pts lands exactly on a slice boundary in that slice
            // despite floating-point error in pts × rate.
            let slice = Int64(((pts - window.start) * rate + 1e-6).rounded(.down))
            if let lastSlice, slice <= lastSlice { return .skip }
            lastSlice = slice
            return .keep
        }
    }
}

/// Turns raw best-effort timestamps into seconds that never go backwards.
///
/// Rule: a frame's pts is `(timestamp − origin) × timeBase + offset`, where `origin` is the stream's start
/// time (or the first frame's timestamp when the stream has none) and `offset` is where the current
/// connection's timeline begins (0, or past the last frame before a reconnect). If the timestamp is missing,
/// or is not later than the previous frame's pts, the frame gets the previous pts plus the nominal frame
/// duration instead (and never less than `offset`). So pts is strictly increasing, and never jumps back to
/// meet a late timestamp.
struct TimestampRepair {
    private let timeBase: Double
    private let nominalFrameDuration: Double
    private var origin: Int64?
    private let offset: Double
    private(set) var lastPts: Double?

    init(timeBase: Double, origin: Int64?, nominalFrameDuration: Double, offset: Double, previousPts: Double?) {
        self.timeBase = timeBase
        self.origin = origin
        self.nominalFrameDuration = nominalFrameDuration
        self.offset = offset
        self.lastPts = previousPts
    }

    /// What `pts(forTimestamp:)` would give `timestamp` now if it needs no repair (it is later than the last
    /// pts, and the timeline's origin is known); `nil` otherwise.
    func unrepairedPts(forTimestamp timestamp: Int64) -> Double? {
        guard let origin else { return nil }
        let pts = self.pts(timestamp, from: origin)
        if let lastPts, pts <= lastPts { return nil }
        return pts
    }

    /// `timestamp` on this connection's timeline, before any repair.
    private func pts(_ timestamp: Int64, from origin: Int64) -> Double {
        Double(timestamp - origin) * timeBase + offset
    }

    mutating func pts(forTimestamp timestamp: Int64?) -> Double {
        var candidate: Double?
        if let timestamp {
            let origin = self.origin ?? timestamp
            self.origin = origin
            candidate = pts(timestamp, from: origin)
        }
        let pts: Double
        switch (candidate, lastPts) {
        case let (candidate?, last?) where candidate > last: pts = candidate
        case let (_, last?): pts = max(last + nominalFrameDuration, offset)
        case let (candidate?, nil): pts = candidate
        case (nil, nil): pts = offset
        }
        lastPts = pts
        return pts
    }
}
