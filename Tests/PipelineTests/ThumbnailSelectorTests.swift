import Testing
@testable import Pipeline

@Suite struct ThumbnailSelectorTests {
    private func candidate(_ index: Int64, pts: Double, topClass: Int) -> ThumbnailSelector.Candidate {
        ThumbnailSelector.Candidate(frameIndex: index, pts: pts, topClass: topClass)
    }

    /// Offers frames in `order` (indices into `classes`, one frame a second) and returns the kept indices.
    private func kept(_ policy: ThumbnailPolicy, classes: [Int], order: [Int], window: Int = 4) -> [Int64] {
        var selector = ThumbnailSelector(policy: policy, reorderWindow: window)
        var kept: [Int64] = []
        for position in order {
            kept += selector.offer(candidate(Int64(position), pts: Double(position), topClass: classes[position])).kept.map(\.frameIndex)
        }
        return (kept + selector.flush().kept.map(\.frameIndex)).sorted()
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
        var selector = ThumbnailSelector(policy: .segments, reorderWindow: 8)
        var count = 0
        for index in 0..<frames {
            count += selector.offer(candidate(Int64(index), pts: Double(index) / 2, topClass: index % 2)).kept.count
        }
        count += selector.flush().kept.count
        let allowed = Int(ThumbnailSelector.burst + 3600 / ThumbnailSelector.spacing)
        #expect(count <= allowed && count >= allowed - 1, "\(count) pictures for an hour, budget \(allowed)")
    }
}
