/// Puts one input's labelled frames back in frame order: workers finish out of order, so frames wait in a
/// short window sorted by index and leave it, earliest first, once more than `window` wait (or at `flush`).
/// What the sink decides per input in frame order (thumbnails, appearances) reads the frames that leave it.
struct FrameOrder<Frame> {
    /// How many frames wait before the earliest leaves: more than the workers can reorder.
    let window: Int
    private var waiting: [(index: Int64, frame: Frame)] = []

    init(window: Int) {
        self.window = window
    }

    /// Takes a frame; returns the frames (earlier ones, possibly this one) that leave the window, in order.
    mutating func offer(_ frame: Frame, index: Int64) -> [Frame] {
        let position = waiting.firstIndex { $0.index > index } ?? waiting.endIndex
        waiting.insert((index, frame), at: position)
        guard waiting.count > window else { return [] }
        let leaving = waiting.prefix(waiting.count - window).map(\.frame)
        waiting.removeFirst(waiting.count - window)
        return leaving
    }

    /// Every frame still waiting, in order (the input ended).
    mutating func flush() -> [Frame] {
        defer { waiting = [] }
        return waiting.map(\.frame)
    }
}
