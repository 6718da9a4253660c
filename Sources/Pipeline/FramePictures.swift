import Synchronization
import VideoDecoding

/// The small pictures of one input's sampled frames, from the decode stage to the thumbnail stage, past the
/// workers (which need only tensors). The decode stage adds each frame's picture; the sink, deciding frames
/// in order, marks the ones whose thumbnails are kept (`choose`) and lets go of the rest (`discard(through:)`);
/// the thumbnail stage takes the chosen ones. Bounded: past `capacity` pictures not chosen, the oldest goes
/// (its frame then keeps no thumbnail), so a sink far behind cannot make it grow.
final class FramePictures: Sendable {
    private struct State {
        var waiting: [Int64: ThumbnailPicture] = [:]
        var order: [Int64] = []
        var chosen: [Int64: ThumbnailPicture] = [:]
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds the picture of the decoder's frame `frameIndex` (indices come in increasing order).
    func add(_ picture: ThumbnailPicture, of frameIndex: Int64) {
        state.withLock { state in
            state.waiting[frameIndex] = picture
            state.order.append(frameIndex)
            while state.order.count > capacity {
                state.waiting[state.order.removeFirst()] = nil
            }
        }
    }

    /// Keeps the picture of `frameIndex` for the thumbnail stage; false when there is none (not made, or gone).
    func choose(_ frameIndex: Int64) -> Bool {
        state.withLock { state in
            guard let picture = state.waiting.removeValue(forKey: frameIndex) else { return false }
            state.chosen[frameIndex] = picture
            return true
        }
    }

    /// Lets go of every picture not chosen up to and including `frameIndex` (those frames are decided).
    func discard(through frameIndex: Int64) {
        state.withLock { state in
            while let first = state.order.first, first <= frameIndex {
                state.order.removeFirst()
                state.waiting[first] = nil
            }
        }
    }

    /// The chosen picture of `frameIndex`, handed over once.
    func takeChosen(_ frameIndex: Int64) -> ThumbnailPicture? {
        state.withLock { $0.chosen.removeValue(forKey: frameIndex) }
    }
}
