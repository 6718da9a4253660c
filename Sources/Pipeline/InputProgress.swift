package import Foundation
package import LabelStore
import Synchronization

/// Where one input stands: its counters (`RunCounts`, read through as `progress.labeled`) and where its frames
/// are in time, for progress displays, the final summary, the run's record and the daemon.
@dynamicMemberLookup
package struct InputProgress: Sendable, Equatable {
    package var counts = RunCounts()
    package var latestPts = 0.0
    /// When the latest frame was labelled (wall clock).
    package var lastLabelledAt: Date?
    /// Seconds from the latest stored live frame's arrival (`captured_at`) to its storing; `nil` before one.
    package var latestFrameAge: Double?
    /// The input's length in seconds, when known (files).
    package var duration: Double?

    package subscript<Value>(dynamicMember keyPath: KeyPath<RunCounts, Value>) -> Value {
        counts[keyPath: keyPath]
    }

    /// Adds another session's counters (the latest frame time and age are the later session's).
    mutating func add(_ other: InputProgress) {
        counts.add(other.counts)
        latestPts = other.latestPts
        if let labelledAt = other.lastLabelledAt, labelledAt > lastLabelledAt ?? .distantPast {
            lastLabelledAt = labelledAt
            latestFrameAge = other.latestFrameAge ?? latestFrameAge
        }
        duration = other.duration ?? duration
    }
}

extension InputCounters {
    /// A consistent-enough copy for display, the run's record and the daemon's API.
    package var snapshot: InputProgress {
        InputProgress(
            counts: RunCounts(
                decoded: decoded.load(ordering: .relaxed), sampled: sampled.load(ordering: .relaxed),
                labeled: labeled.load(ordering: .relaxed), dropped: dropped.load(ordering: .relaxed),
                droppedByStore: droppedByStore.load(ordering: .relaxed), skipped: skipped.load(ordering: .relaxed),
                thumbnailsDropped: thumbnailsDropped.load(ordering: .relaxed), reconnects: reconnects.load(ordering: .relaxed),
                corruptPackets: corruptPackets.load(ordering: .relaxed)),
            latestPts: latestPts, lastLabelledAt: lastLabelledAt, latestFrameAge: latestFrameAge, duration: duration)
    }
}
