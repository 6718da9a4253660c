import Foundation

/// One value per iteration of a `DispatchQueue.concurrentPerform`, written by that iteration's thread and read
/// once the loop is over.
final class ConcurrentSlots<Value>: @unchecked Sendable {
    private var values: [Value?]
    private let lock = NSLock()

    init(count: Int) { values = Array(repeating: nil, count: count) }

    subscript(slot: Int) -> Value? {
        get { lock.withLock { values[slot] } }
        set { lock.withLock { values[slot] = newValue } }
    }
}
