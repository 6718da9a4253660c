import DequeModule
import Foundation
import Synchronization

/// The decoder indices of one input's frames that the decode stage has handed on and the sink has not yet taken
/// (nor anyone dropped): with the workers, in a queue, or waiting for a batch. The input's end waits until none
/// is left, so the sink hears of the end after the input's last frame; and the sink's `FrameOrder` lets a frame
/// go only when no earlier one is still on its way, however long a worker holds it.
final class FramesInFlight: Sendable {
    private struct State {
        /// Entered indices in increasing order, the earliest still in flight first.
        var entered: Deque<Int64> = []
        /// Indices that left while an earlier one was still in flight.
        var leftEarly: Set<Int64> = []
    }

    private let state = Mutex(State())
    private let group = DispatchGroup()

    /// The decode stage hands on frame `index` (the decoder numbers frames in increasing order; one out of order
    /// would still be kept in its place).
    func enter(_ index: Int64) {
        group.enter()
        state.withLock { state in
            if let last = state.entered.last, last > index {
                state.entered.insert(index, at: state.entered.firstIndex { $0 > index }!)
            } else {
                state.entered.append(index)
            }
        }
    }

    /// Frame `index` reached the sink, or was dropped on the way.
    func leave(_ index: Int64) {
        state.withLock { state in
            guard state.entered.first == index else {
                state.leftEarly.insert(index)
                return
            }
            state.entered.removeFirst()
            while let first = state.entered.first, state.leftEarly.remove(first) != nil {
                state.entered.removeFirst()
            }
        }
        group.leave()
    }

    /// The earliest index still in flight; nil when none is.
    var earliest: Int64? {
        state.withLock { $0.entered.first }
    }

    /// Waits until no frame is in flight, or `timeout` passes.
    func wait(timeout: DispatchTime) -> DispatchTimeoutResult {
        group.wait(timeout: timeout)
    }
}
