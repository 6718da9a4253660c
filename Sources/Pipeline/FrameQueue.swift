import DequeModule
import Foundation

/// What a full input lane does with a new frame.
public enum BackpressurePolicy: String, Sendable, CaseIterable {
    /// The producer waits for room: nothing is dropped (files).
    case wait
    /// The oldest waiting frame is dropped to make room, so latency stays bounded (live streams).
    case dropOldest = "drop_oldest"
}

/// A bounded, multi-lane queue between the decoders and the workers.
///
/// Each input gets a lane of its own with its own capacity and backpressure policy; consumers take frames
/// from the lanes in round-robin order, so several inputs share the worker pool fairly. A lane is closed by
/// its producer when the input ends; `take` returns an empty batch once every lane is closed and drained.
public final class FrameQueue<Element>: @unchecked Sendable {
    // All state below is guarded by `condition`.
    private let condition = NSCondition()
    private var lanes: [Lane] = []
    private var nextLane = 0

    private struct Lane {
        var items: Deque<Element> = []
        let capacity: Int
        let policy: BackpressurePolicy
        var closed = false
        var count: Int { items.count }
    }

    /// A producer's handle on its lane.
    public struct LaneID: Hashable, Sendable {
        fileprivate let index: Int
    }

    public init() {}

    /// Adds a lane for one input.
    public func addLane(capacity: Int, policy: BackpressurePolicy) -> LaneID {
        precondition(capacity > 0, "a lane holds at least one frame")
        condition.lock()
        defer { condition.unlock() }
        lanes.append(Lane(capacity: capacity, policy: policy))
        return LaneID(index: lanes.count - 1)
    }

    /// Puts a frame in a lane. With `.wait` it blocks while the lane is full; with `.dropOldest` it never
    /// blocks and returns the frame it pushed out, if any, so the caller can count it.
    @discardableResult
    public func put(_ element: Element, in lane: LaneID) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        var dropped: Element?
        switch lanes[lane.index].policy {
        case .wait:
            while lanes[lane.index].count >= lanes[lane.index].capacity {
                condition.wait()
            }
        case .dropOldest:
            if lanes[lane.index].count >= lanes[lane.index].capacity {
                dropped = lanes[lane.index].items.removeFirst()
            }
        }
        lanes[lane.index].items.append(element)
        condition.broadcast()
        return dropped
    }

    /// Marks a lane finished: no more frames will come from it.
    public func close(_ lane: LaneID) {
        condition.lock()
        defer { condition.unlock() }
        lanes[lane.index].closed = true
        condition.broadcast()
    }

    /// Drops every frame still waiting in a lane and returns them (used when stopping at once).
    public func drain(_ lane: LaneID) -> [Element] {
        condition.lock()
        defer { condition.unlock() }
        var removed: [Element] = []
        while lanes[lane.index].count > 0 { removed.append(lanes[lane.index].items.removeFirst()) }
        condition.broadcast()
        return removed
    }

    /// Takes up to `maxCount` frames, round-robin across lanes. Blocks until at least one frame is there;
    /// after the first it waits for more only until `batchDeadline` (seconds) has passed. Returns an empty
    /// array when every lane is closed and empty.
    public func take(maxCount: Int, batchDeadline: TimeInterval) -> [Element] {
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
            if allLanesFinishedLocked { break }
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        if !batch.isEmpty { condition.broadcast() }
        return batch
    }

    /// Frames waiting in all lanes.
    public var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return lanes.reduce(0) { $0 + $1.count }
    }

    private func takeOneLocked() -> Element? {
        guard !lanes.isEmpty else { return nil }
        for offset in 0..<lanes.count {
            let index = (nextLane + offset) % lanes.count
            if lanes[index].count > 0 {
                nextLane = (index + 1) % lanes.count
                return lanes[index].items.removeFirst()
            }
        }
        return nil
    }

    private var allLanesFinishedLocked: Bool {
        lanes.allSatisfy { $0.closed && $0.count == 0 }
    }
}
