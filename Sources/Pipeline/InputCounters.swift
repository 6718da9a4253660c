import Synchronization

/// Running totals of one input, written by the stages and read by progress reports (hence atomics).
public final class InputCounters: Sendable {
    /// Frames the decoder handed to the workers.
    let sampled = Atomic<Int>(0)
    /// Frames skipped because the database already held them (resume).
    let skipped = Atomic<Int>(0)
    /// Frames dropped from a full queue (live inputs).
    let dropped = Atomic<Int>(0)
    /// Frames labelled and handed to the store.
    let labeled = Atomic<Int>(0)
    /// The presentation time of the latest sampled frame, as the bits of a Double.
    private let latestPtsBits = Atomic<UInt64>(0)

    /// The input's length in seconds, when known (files).
    let duration: Double?

    init(duration: Double? = nil) {
        self.duration = duration
    }

    var latestPts: Double {
        get { Double(bitPattern: latestPtsBits.load(ordering: .relaxed)) }
        set { latestPtsBits.store(newValue.bitPattern, ordering: .relaxed) }
    }

    /// A consistent-enough copy for display.
    var snapshot: InputProgress {
        InputProgress(
            sampled: sampled.load(ordering: .relaxed), skipped: skipped.load(ordering: .relaxed),
            dropped: dropped.load(ordering: .relaxed), labeled: labeled.load(ordering: .relaxed),
            latestPts: latestPts, duration: duration)
    }
}

/// Where one input stands, for progress displays and the final summary.
public struct InputProgress: Sendable, Equatable {
    public var sampled: Int
    public var skipped: Int
    public var dropped: Int
    public var labeled: Int
    public var latestPts: Double
    /// The input's length in seconds, when known (files).
    public var duration: Double?
}
