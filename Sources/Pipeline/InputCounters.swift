import Foundation
import Metrics
import Synchronization

/// Live counters of one input, written by the stages and read by progress displays (and, later, metrics):
/// atomics, so readers never stop the stages. Each counts one thing; at the end of a run
/// `sampled == labeled + dropped + skipped`.
package final class InputCounters: Sendable {
    /// Frames FFmpeg decoded, sampled or not (published by the decode stage).
    let decoded = Atomic<Int>(0)
    /// Frames the sampler kept.
    let sampled = Atomic<Int>(0)
    /// Sampled frames already in the database: skipped by the decoder (resume) or found stored at commit.
    let skipped = Atomic<Int>(0)
    /// Sampled frames lost on purpose: a live input's full queue, a stop at once, a frame the store refused.
    let dropped = Atomic<Int>(0)
    /// The part of `dropped` the database refused (a failed commit: disk full, read-only, locked).
    let droppedByStore = Atomic<Int>(0)
    /// Frames stored (rows inserted).
    let labeled = Atomic<Int>(0)
    /// Thumbnails chosen but not stored: pushed out of the thumbnail stage's short queue under load, or not encodable.
    let thumbnailsDropped = Atomic<Int>(0)
    /// Reconnects of the input, and damaged packets skipped (published by the decode stage).
    let reconnects = Atomic<Int>(0)
    let corruptPackets = Atomic<Int>(0)
    /// The presentation time of the latest sampled frame, as the bits of a Double.
    private let latestPtsBits = Atomic<UInt64>(0)
    /// When the sink last took a labelled frame of this input (Unix seconds as the bits of a Double; 0: never).
    private let lastLabelledAtBits = Atomic<UInt64>(0)
    /// The latest stored live frame's age when it was stored (seconds as the bits of a Double; NaN: none yet).
    private let latestFrameAgeBits = Atomic<UInt64>(Double.nan.bitPattern)
    /// Receives every stored live frame's age (`framewise_frame_age_seconds`).
    private let frameAges: Metrics.Timer?

    /// The input's length in seconds, when known (files).
    let duration: Double?

    init(duration: Double?, frameAges: Metrics.Timer? = nil) {
        self.duration = duration
        self.frameAges = frameAges
    }

    /// The sink took a labelled frame captured at `capturedAt` (live inputs): its age now is recorded.
    func stored(capturedAt: Date?) {
        let now = Date()
        lastLabelledAtBits.store(now.timeIntervalSince1970.bitPattern, ordering: .relaxed)
        guard let capturedAt else { return }
        let age = max(0, now.timeIntervalSince(capturedAt))
        latestFrameAgeBits.store(age.bitPattern, ordering: .relaxed)
        frameAges?.recordNanoseconds(Int64(age * 1e9))
    }

    var latestPts: Double {
        get { Double(bitPattern: latestPtsBits.load(ordering: .relaxed)) }
        set { latestPtsBits.store(newValue.bitPattern, ordering: .relaxed) }
    }

    /// When the sink last took a labelled frame of this input.
    var lastLabelledAt: Date? {
        let seconds = Double(bitPattern: lastLabelledAtBits.load(ordering: .relaxed))
        return seconds > 0 ? Date(timeIntervalSince1970: seconds) : nil
    }

    /// The latest stored live frame's age when it was stored; `nil` before one.
    var latestFrameAge: Double? {
        let age = Double(bitPattern: latestFrameAgeBits.load(ordering: .relaxed))
        return age.isNaN ? nil : age
    }
}
