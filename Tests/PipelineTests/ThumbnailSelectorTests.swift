import Testing
@testable import Pipeline

@Suite struct ThumbnailSelectorTests {
    /// Offers frames in `order` (indices into `classes`, one frame a second) through a `FrameOrder` window, as
    /// the sink does, and returns the kept indices.
    private func kept(_ policy: ThumbnailPolicy, classes: [Int], order: [Int], window: Int = 4) -> [Int] {
        var frames = FrameOrder<Int>(window: window)
        var selector = ThumbnailSelector(policy: policy)
        var kept: [Int] = []
        func decide(_ released: [Int]) {
            kept += released.filter { selector.keeps(pts: Double($0), topClass: classes[$0]) }
        }
        for position in order { decide(frames.offer(position, index: Int64(position))) }
        decide(frames.flush())
        return kept
    }

    @Test("segment starts are found in frame order, whatever order the workers finish in")
    func outOfOrder() {
        let classes = [7, 7, 7, 3, 3, 7, 7, 7]
        #expect(kept(.segments, classes: classes, order: Array(0..<8)) == [0, 3, 5])
        #expect(kept(.segments, classes: classes, order: [1, 0, 3, 2, 5, 4, 7, 6]) == [0, 3, 5])
        #expect(kept(.off, classes: classes, order: Array(0..<8)) == [])
        #expect(kept(.every(seconds: 3), classes: classes, order: [2, 0, 1, 4, 3, 6, 5, 7]) == [0, 3, 5])
        #expect(kept(.every(seconds: 2), classes: classes, order: Array(0..<8)) == [0, 2, 3, 5, 7])
    }

    @Test("a flickering top-1 answer is held to the budget: a burst, then one picture per spacing of video")
    func budget() {
        let frames = 2 * 3600  // an hour at 2 frames/s, the answer changing on every frame
        var selector = ThumbnailSelector(policy: .segments)
        let count = (0..<frames).filter { selector.keeps(pts: Double($0) / 2, topClass: $0 % 2) }.count
        let allowed = Int(ThumbnailSelector.burst + 3600 / ThumbnailSelector.spacing)
        #expect(count <= allowed && count >= allowed - 1, "\(count) pictures for an hour, budget \(allowed)")
    }
}
