import Synchronization

/// Whether the database takes writes, as the writers last saw it: down after a failed commit, up again after
/// the next successful one. Read by readiness checks.
package final class StoreHealth: Sendable {
    private let lastError = Mutex<String?>(nil)

    package init() {}

    /// Why the store is down (the last failure), or nil while it takes writes.
    package var failure: String? { lastError.withLock { $0 } }

    func failed(_ error: any Error) {
        lastError.withLock { $0 = "\(error)" }
    }

    func committed() {
        lastError.withLock { if $0 != nil { $0 = nil } }
    }
}
