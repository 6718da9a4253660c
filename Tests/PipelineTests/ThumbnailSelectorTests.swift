import Dispatch
import Testing
@testable import Pipeline

@Suite struct ThumbnailSelectorTests {
    /// Offers frames in `order` (indices into `classes`, one frame a second, all handed on by the decoder
    /// first) through `FrameOrder`, as the sink does, and returns the kept indices.
    private func kept(_ policy: ThumbnailPolicy, classes: [Int], order: [Int]) -> [Int] {
        let inFlight = FramesInFlight()
        for index in classes.indices { inFlight.enter(Int64(index)) }
        var frames = FrameOrder<Int>()
        var selector = ThumbnailSelector(policy: policy)
        var kept: [Int] = []
        func decide(_ released: [Int]) {
            kept += released.filter { selector.keeps(pts: Double($0), topClass: classes[$0]) }
        }
        for position in order {
            inFlight.leave(Int64(position))
            decide(frames.offer(position, index: Int64(position), earliestInFlight: inFlight.earliest))
        }
        #expect(inFlight.earliest == nil)
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

    @Test("a frame a worker holds while every later one reaches the sink is still decided first")
    func oneSlowFrame() {
        let classes = [7, 7, 7, 3, 3, 7, 7, 7, 3, 3, 3, 3, 3, 3, 3, 3, 7]
        let inOrder = kept(.segments, classes: classes, order: Array(classes.indices))
        #expect(inOrder == [0, 3, 5, 8, 16])
        #expect(kept(.segments, classes: classes, order: Array(1..<classes.count) + [0]) == inOrder)
        #expect(kept(.segments, classes: classes, order: [0, 1, 2] + Array(4..<classes.count) + [3]) == inOrder)
    }

    @Test("frames in flight: the earliest is the lowest index not yet left, whatever order they leave in")
    func earliestInFlight() {
        let inFlight = FramesInFlight()
        for index: Int64 in [0, 5, 10, 15] { inFlight.enter(index) }
        inFlight.leave(10)
        #expect(inFlight.earliest == 0)
        inFlight.leave(0)
        #expect(inFlight.earliest == 5)
        inFlight.leave(5)
        #expect(inFlight.earliest == 15)
        #expect(inFlight.wait(timeout: .now()) == .timedOut)
        inFlight.leave(15)
        #expect(inFlight.earliest == nil)
        #expect(inFlight.wait(timeout: .now()) == .success)
        inFlight.enter(30)
        inFlight.enter(20)
        #expect(inFlight.earliest == 20, "one entered out of order keeps its place")
        inFlight.leave(20)
        #expect(inFlight.earliest == 30)
        inFlight.leave(30)
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
