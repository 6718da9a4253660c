import Foundation
import Synchronization
import Testing
@testable import Pipeline

@Suite struct FrameQueueTests {
    @Test func dropOldestKeepsTheNewestAndReportsTheDropped() {
        let queue = FrameQueue<Int>()
        let lane = queue.addLane(capacity: 3, policy: .dropOldest)
        let dropped = (0..<5).compactMap { queue.put($0, in: lane) }
        #expect(dropped == [0, 1])
        queue.close(lane)
        queue.finish()
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
        queue.finish()
        var order: [String] = []
        while case let batch = queue.take(maxCount: 1, batchDeadline: 0), !batch.isEmpty { order += batch }
        #expect(order == ["a0", "b0", "a1", "b1", "a2", "b2"])
    }

    @Test func aFullWaitingLaneBlocksItsProducerUntilThereIsRoom() async {
        let queue = FrameQueue<Int>()
        let lane = queue.addLane(capacity: 2, policy: .wait)
        queue.finish()
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

    @Test func lanesComeAndGoUntilTheQueueIsFinished() {
        let queue = FrameQueue<Int>()
        let first = queue.addLane(capacity: 4, policy: .wait)
        queue.put(1, in: first)
        queue.close(first)
        #expect(queue.take(maxCount: 4, batchDeadline: 0) == [1])
        // Every lane is closed and drained, but the queue is not finished: a consumer waits for the next lane.
        let consumerDone = DispatchSemaphore(value: 0)
        let taken = Mutex<[Int]>([])
        Thread {
            while case let batch = queue.take(maxCount: 1, batchDeadline: 0), !batch.isEmpty {
                taken.withLock { $0 += batch }
            }
            consumerDone.signal()
        }.start()
        #expect(consumerDone.wait(timeout: .now() + 0.2) == .timedOut)
        let second = queue.addLane(capacity: 4, policy: .dropOldest)
        queue.put(2, in: second)
        queue.put(3, in: second)
        queue.close(second)
        queue.finish()
        #expect(consumerDone.wait(timeout: .now() + 5) == .success)
        #expect(taken.withLock { $0 } == [2, 3])
        #expect(queue.waitingCount == 0)
    }
}
