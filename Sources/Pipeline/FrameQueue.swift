import DequeModule
package import Foundation

/// What a full input lane does with a new frame.
package enum BackpressurePolicy: String, Sendable, CaseIterable {
    /// The producer waits for room: nothing is dropped (files).
    case wait
    /// The oldest waiting frame is dropped to make room, so latency stays bounded (live streams).
    case dropOldest = "drop_oldest"
}

/// A bounded, multi-lane queue between producers and consumers (decoders → workers, workers → sink).
///
/// Each producer gets a lane of its own with its own capacity and backpressure policy; consumers take from
/// the lanes in round-robin order, so several inputs share the workers fairly. Lanes come and go while the
/// queue lives (a daemon adds and removes inputs): a lane closed by its producer disappears once it is
/// drained. `take` returns an empty batch only after `finish()` (no lane will be added) and once every lane
/// is closed and drained.
package final class FrameQueue<Element>: @unchecked Sendable {
    // All state below is guarded by `condition`.
    private let condition = NSCondition()
    /// Open lanes and closed lanes still holding frames, in serving order.
    private var lanes: [Lane] = []
    private var nextLane = 0
    private var nextLaneNumber = 0
    private var isFinished = false

    private struct Lane {
        let number: Int
        let capacity: Int
        let policy: BackpressurePolicy
        var items: Deque<Element> = []
        var closed = false
    }

    /// A producer's handle on its lane.
    package struct LaneID: Hashable, Sendable {
        fileprivate let number: Int
    }

    package init() {}

    /// Adds a lane for one producer.
    package func addLane(capacity: Int, policy: BackpressurePolicy) -> LaneID {
        precondition(capacity > 0, "a lane holds at least one frame")
        condition.lock()
        defer { condition.unlock() }
        precondition(!isFinished, "no lane may be added to a finished queue")
        nextLaneNumber += 1
        lanes.append(Lane(number: nextLaneNumber, capacity: capacity, policy: policy))
        return LaneID(number: nextLaneNumber)
    }

    /// Puts a frame in an open lane. With `.wait` it blocks while the lane is full; with `.dropOldest` it never
    /// blocks and returns the frame it pushed out, if any, so the caller can count it.
    @discardableResult
    package func put(_ element: Element, in lane: LaneID) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        var position = self.position(of: lane)
        var dropped: Element?
        switch lanes[position].policy {
        case .wait:
            while lanes[position].items.count >= lanes[position].capacity {
                condition.wait()
                position = self.position(of: lane)
            }
        case .dropOldest:
            if lanes[position].items.count >= lanes[position].capacity {
                dropped = lanes[position].items.removeFirst()
            }
        }
        lanes[position].items.append(element)
        condition.broadcast()
        return dropped
    }

    /// Marks a lane finished: no more frames will come from it. It goes away once its frames are taken.
    package func close(_ lane: LaneID) {
        condition.lock()
        defer { condition.unlock() }
        lanes[position(of: lane)].closed = true
        removeDrainedLanesLocked()
        condition.broadcast()
    }

    /// Removes every frame still waiting in a lane (open, or closed and not yet drained) and returns them.
    package func drain(_ lane: LaneID) -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        guard let position = lanes.firstIndex(where: { $0.number == lane.number }) else { return [] }
        let removed = Array(lanes[position].items)
        lanes[position].items.removeAll()
        removeDrainedLanesLocked()
        condition.broadcast()
        return removed
    }

    /// No lane will be added any more: consumers are released once the remaining lanes are closed and drained.
    package func finish() {
        condition.lock()
        defer { condition.unlock() }
        isFinished = true
        condition.broadcast()
    }

    /// Takes up to `maxCount` frames, round-robin across lanes. Blocks until at least one frame is there;
    /// after the first it waits for more only until `batchDeadline` (seconds) has passed. Returns an empty
    /// array when the queue is finished and every lane is closed and drained.
    package func take(maxCount: Int, batchDeadline: TimeInterval) -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        var batch: [Element] = []
        var deadline: Date?
        while batch.count < maxCount {
            if let element = takeOneLocked() {
                batch.append(element)
                if deadline == nil, maxCount > 1 { deadline = Date(timeIntervalSinceNow: batchDeadline) }
                continue
            }
            if isFinished, lanes.isEmpty { break }
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        if !batch.isEmpty {
            removeDrainedLanesLocked()
            condition.broadcast()
        }
        return batch
    }

    /// Frames waiting in all lanes.
    package var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return lanes.reduce(0) { $0 + $1.items.count }
    }

    private func position(of lane: LaneID) -> Int {
        guard let position = lanes.firstIndex(where: { $0.number == lane.number && !$0.closed }) else {
            preconditionFailure("frames go only into an open lane")
        }
        return position
    }

    private func takeOneLocked() -> Element? {
        for offset in 0..<lanes.count {
            let index = (nextLane + offset) % lanes.count
            if !lanes[index].items.isEmpty {
                nextLane = (index + 1) % lanes.count
                return lanes[index].items.removeFirst()
            }
        }
        return nil
    }

    private func removeDrainedLanesLocked() {
        lanes.removeAll { $0.closed && $0.items.isEmpty }
        if nextLane >= lanes.count { nextLane = 0 }
    }
}
