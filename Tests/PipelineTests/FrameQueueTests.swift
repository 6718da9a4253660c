import Foundation
import Testing
@testable import Pipeline

@Suite struct FrameQueueTests {
    @Test func dropOldestKeepsTheNewestAndReportsTheDropped() {
        let queue = FrameQueue<Int>()
        let lane = queue.addLane(capacity: 3, policy: .dropOldest)
        let dropped = (0..<5).compactMap { queue.put($0, in: lane) }
        #expect(dropped == [0, 1])
        queue.close(lane)
        #expect(queue.take(maxCount: 10, batchDeadline: 0) == [2, 3, 4])
        #expect(queue.take(maxCount: 10, batchDeadline: 0) == [])
    }

    @Test func lanesAreServedInTurn() {
        let queue = FrameQueue<String>()
        let a = queue.addLane(capacity: 10, policy: .wait)
        let b = queue.addLane(capacity: 10, policy: .wait)
        for i in 0..<3 { queue.put("a\(i)", in: a) }
        for i in 0..<3 { queue.put("b\(i)", in: b) }
        queue.close(a)
        queue.close(b)
        var order: [String] = []
        while case let batch = queue.take(maxCount: 1, batchDeadline: 0), !batch.isEmpty { order += batch }
        #expect(order == ["a0", "b0", "a1", "b1", "a2", "b2"])
    }

    @Test func aFullWaitingLaneBlocksItsProducerUntilThereIsRoom() async {
        let queue = FrameQueue<Int>()
        let lane = queue.addLane(capacity: 2, policy: .wait)
        let producerDone = DispatchSemaphore(value: 0)
        Thread {
            for i in 0..<6 { queue.put(i, in: lane) }
            queue.close(lane)
            producerDone.signal()
        }.start()
        // The producer cannot finish while nobody takes: the lane holds two.
        #expect(producerDone.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(queue.waitingCount == 2)
        var taken: [Int] = []
        while case let batch = queue.take(maxCount: 4, batchDeadline: 0.01), !batch.isEmpty { taken += batch }
        #expect(taken == Array(0..<6))
        #expect(producerDone.wait(timeout: .now() + 5) == .success)
    }

    @Test func aBatchWaitsForMoreUntilItsDeadline() {
        let queue = FrameQueue<Int>()
        let lane = queue.addLane(capacity: 8, policy: .wait)
        queue.put(1, in: lane)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { queue.put(2, in: lane) }
        #expect(queue.take(maxCount: 2, batchDeadline: 5) == [1, 2])
        queue.put(3, in: lane)
        #expect(queue.take(maxCount: 2, batchDeadline: 0.05) == [3])
    }
}
