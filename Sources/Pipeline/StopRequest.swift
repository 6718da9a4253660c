import Foundation
import Synchronization

/// How far a stop has gone: a first request stops decoding and lets the frames in flight finish; a second
/// one also drops the frames still waiting, so the run ends at once (the database stays consistent either way).
package final class StopRequest: Sendable {
    package enum Level: Int, Sendable, Comparable {
        case none = 0
        /// Stop decoding, finish the frames in flight, flush.
        case graceful = 1
        /// Drop waiting frames, flush what is labelled, exit.
        case immediate = 2

        package static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    private let state = Atomic<Int>(0)
    private let observers = Mutex<(next: Int, handlers: [Int: @Sendable (Level) -> Void])>((0, [:]))

    /// A handler's registration, to remove it when its owner is done.
    package struct Observation: Hashable, Sendable {
        fileprivate let number: Int
    }

    package init() {}

    package var level: Level { Level(rawValue: state.load(ordering: .acquiring)) ?? .immediate }

    /// Raises the level by one step (a repeated Ctrl-C) and tells every observer.
    package func escalate() {
        let (_, new) = state.add(1, ordering: .acquiringAndReleasing)
        notify(Level(rawValue: min(new, Level.immediate.rawValue)) ?? .immediate)
    }

    /// Raises the level to at least `level`.
    package func request(_ level: Level) {
        var current = state.load(ordering: .acquiring)
        while current < level.rawValue {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: level.rawValue, ordering: .acquiringAndReleasing)
            if exchanged { notify(level); return }
            current = original
        }
    }

    /// Calls `handler` on every change of level, from the thread that changed it, until the observation is removed.
    @discardableResult
    package func onChange(_ handler: @escaping @Sendable (Level) -> Void) -> Observation {
        observers.withLock { observers in
            observers.next += 1
            observers.handlers[observers.next] = handler
            return Observation(number: observers.next)
        }
    }

    /// Stops calling the handler of `observation`.
    package func remove(_ observation: Observation) {
        _ = observers.withLock { $0.handlers.removeValue(forKey: observation.number) }
    }

    private func notify(_ level: Level) {
        for handler in observers.withLock({ Array($0.handlers.values) }) { handler(level) }
    }
}
