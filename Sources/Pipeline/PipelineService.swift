import Foundation
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Blocking pipeline work that honours a `StopRequest` — a one-shot run (`framewise run`), a queue worker
/// (`framewise work`) — as a swift-service-lifecycle `Service`, for a `ServiceGroup` that owns the signals: its
/// graceful shutdown (the first SIGINT or SIGTERM) stops decoding and lets the frames in flight finish; a second
/// signal, or cancelling the group, drops the frames still waiting. The work runs on a thread of its own, never
/// on Swift's cooperative pool. `outcome` holds what it returned.
package final class PipelineService<Outcome: Sendable>: Service {
    /// The work's stop: observe it for messages (`onChange`).
    package let stop = StopRequest()
    private let work: @Sendable (StopRequest) throws -> Outcome
    private let result = Mutex<Outcome?>(nil)

    package init(_ work: @escaping @Sendable (StopRequest) throws -> Outcome) {
        self.work = work
    }

    /// What the work returned (after `run` returned).
    package var outcome: Outcome? { result.withLock { $0 } }

    package func run() async throws {
        let stop = stop
        // The group's graceful shutdown is the first step; a repeated signal is the second one.
        let escalation = Task {
            var signals = 0
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                signals += 1
                if signals >= 2 { stop.request(.immediate) }
            }
        }
        defer { escalation.cancel() }
        let outcome = try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await offloaded { [work] in try work(stop) }
            } onGracefulShutdown: {
                stop.request(.graceful)
            }
        } onCancel: {
            stop.request(.immediate)
        }
        result.withLock { $0 = outcome }
    }
}

/// Runs blocking work (a whole run, joining threads) on a thread of its own, off Swift's cooperative pool.
package func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `offloaded` for work that cannot fail.
package func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
