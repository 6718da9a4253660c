/// The allowed range of a numeric option; `violation(of:)` says in words what is wrong with a value.
package struct NumberLimit: Sendable {
    package let lowest: Double
    /// Whether `lowest` itself is allowed (`fps` must be above 0, `start` may be 0).
    package let includesLowest: Bool
    package let highest: Double

    package init(atLeast lowest: Double, atMost highest: Double) {
        self.lowest = lowest
        self.includesLowest = true
        self.highest = highest
    }

    package init(above lowest: Double, atMost highest: Double) {
        self.lowest = lowest
        self.includesLowest = false
        self.highest = highest
    }

    /// `nil` for an allowed value, else e.g. "must be above 0 and at most 1000, found 1e+30".
    package func violation(of value: Double) -> String? {
        let fits = value.isFinite && (includesLowest ? value >= lowest : value > lowest) && value <= highest
        return fits ? nil : "must be \(includesLowest ? "at least" : "above") \(Self.format(lowest)) and at most \(Self.format(highest)), found \(value)"
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// Every number a pipeline takes and the values that make sense for it, in one place: the command line
/// (`framewise run`) and pipeline files check their values against these, so a bad value is one line
/// naming the option instead of a trap deep inside.
package enum OptionLimits {
    /// `every`: keep every Nth frame.
    package static let every = 1...1_000_000
    /// `fps`: frames per second of presentation time kept (no camera films faster than 1000).
    package static let fps = NumberLimit(above: 0, atMost: 1_000)
    /// `start`, `end`: seconds into the video (10 years).
    package static let position = NumberLimit(atLeast: 0, atMost: 315_360_000)
    /// Open and stall timeouts, in seconds (a day).
    package static let timeout = NumberLimit(above: 0, atMost: 86_400)
    /// How long a worker waits to fill a batch, in seconds.
    package static let batchDeadline = NumberLimit(atLeast: 0, atMost: 60)
    /// Reconnect delays, in seconds (a day).
    package static let reconnectDelay = NumberLimit(atLeast: 0, atMost: 86_400)
    package static let reconnectAttempts = 0...1_000_000
    package static let workers = 1...256
    package static let batch = 1...256
    /// Frames waiting per input between the decoder and the workers.
    package static let queue = 1...10_000
    package static let decoderThreads = 1...64
    /// A queue worker's lease on its job, in seconds: long enough to renew it three times over a slow link.
    package static let lease = NumberLimit(atLeast: 3, atMost: 86_400)
    /// Seconds between thumbnails with `every=SECONDS`: above 0, at most a day.
    package static let thumbnailInterval = NumberLimit(above: 0, atMost: 86_400)
    /// An appearance's `enter` and `exit` scores (probabilities).
    package static let appearanceScore = NumberLimit(atLeast: 0, atMost: 1)
    /// Consecutive frames at `enter` that open an appearance.
    package static let appearanceFrames = 1...100
    /// Seconds below `exit` an appearance bridges (an hour).
    package static let appearanceGap = NumberLimit(atLeast: 0, atMost: 3_600)
    /// `max_database_size`, `min_free_disk`, in bytes: from 1 MB (tests) to 1 PB.
    package static let storage: ClosedRange<Int64> = 1_000_000...1_000_000_000_000_000
}

extension ClosedRange<Int> {
    /// `nil` for an allowed value, else e.g. "must be between 1 and 256, found 0".
    package func violation(of value: Int) -> String? {
        contains(value) ? nil : "must be between \(lowerBound) and \(upperBound), found \(value)"
    }
}
