/// Puts one input's labelled frames back in frame order: workers finish out of order, so a frame waits, sorted
/// by index, until no earlier frame of its input is still on its way to the sink (`FramesInFlight`), or the input
/// ends (`flush`). What the sink decides per input in frame order (thumbnails, appearances) reads the frames
/// that leave it.
struct FrameOrder<Frame> {
    private var waiting: [(index: Int64, frame: Frame)] = []

    /// Takes a frame; returns the frames (this one, possibly with others) before `earliestInFlight`, the
    /// earliest index still on its way (all of them when nil), in order.
    mutating func offer(_ frame: Frame, index: Int64, earliestInFlight: Int64?) -> [Frame] {
        let position = waiting.firstIndex { $0.index > index } ?? waiting.endIndex
        waiting.insert((index, frame), at: position)
        let leaving = earliestInFlight.map { bound in waiting.prefix { $0.index < bound }.count } ?? waiting.count
        defer { waiting.removeFirst(leaving) }
        return waiting.prefix(leaving).map(\.frame)
    }

    /// Every frame still waiting, in order (the input ended).
    mutating func flush() -> [Frame] {
        defer { waiting = [] }
        return waiting.map(\.frame)
    }
}
