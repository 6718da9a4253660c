import Dispatch
import Synchronization

/// A few read-only connections to one label database, shared by the requests of a server: a request borrows
/// one (waiting while all are busy) and gives it back, so the server holds at most `capacity` connections
/// however many requests come — not one per request. Connections open when first needed and stay open
/// (PostgreSQL's reconnect by themselves after a lost connection).
package final class ReadConnectionPool: Sendable {
    /// The database the connections read.
    package let location: LabelDatabaseLocation
    private let available: DispatchSemaphore
    private let idle = Mutex<[any ReadOnlyLabelDatabase]>([])

    package init(location: LabelDatabaseLocation, capacity: Int) {
        precondition(capacity > 0, "a pool needs at least one connection")
        self.location = location
        available = DispatchSemaphore(value: capacity)
    }

    /// Runs `body` with a connection of the pool, blocking while all of them are in use.
    package func withReader<T>(_ body: (any ReadOnlyLabelDatabase) throws -> T) throws -> T {
        available.wait()
        defer { available.signal() }
        let reader = try idle.withLock { $0.popLast() } ?? location.openReadOnly()
        defer { idle.withLock { $0.append(reader) } }
        return try body(reader)
    }
}
