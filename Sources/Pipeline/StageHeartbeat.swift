import Foundation
import Synchronization

/// When the workers and the sink last moved, so a watchdog can tell a busy pipeline from a hung one: a stage
/// with work waiting that has not finished anything for too long is stuck. An idle stage is never stuck.
final class StageHeartbeat: Sendable {
    private let workersBeat = Atomic<Int64>(0)
    private let sinkBeat = Atomic<Int64>(0)

    init() {
        let now = Self.now
        workersBeat.store(now, ordering: .relaxed)
        sinkBeat.store(now, ordering: .relaxed)
    }

    /// A worker finished a batch.
    func workersMoved() { workersBeat.store(Self.now, ordering: .relaxed) }
    /// The sink handled an item.
    func sinkMoved() { sinkBeat.store(Self.now, ordering: .relaxed) }

    func stalledStage(after limit: Duration, framesWaiting: Int, itemsWaiting: Int) -> String? {
        let now = Self.now
        let limitNanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        if framesWaiting > 0, now - workersBeat.load(ordering: .relaxed) > limitNanoseconds {
            return "the workers have not finished a frame for \(limit) with \(framesWaiting) waiting"
        }
        if itemsWaiting > 0, now - sinkBeat.load(ordering: .relaxed) > limitNanoseconds {
            return "the database writer has not stored a frame for \(limit) with \(itemsWaiting) waiting"
        }
        return nil
    }

    /// Monotonic nanoseconds (CLOCK_MONOTONIC: a hung process is not excused by a clock change).
    private static var now: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
