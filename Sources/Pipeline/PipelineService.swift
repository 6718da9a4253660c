import Foundation
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A one-shot run (`framewise run`) as a swift-service-lifecycle `Service`, for a `ServiceGroup` that owns the
/// signals: its graceful shutdown (the first SIGINT or SIGTERM) stops decoding and lets the frames in flight
/// finish; a second signal, or cancelling the group, drops the frames still waiting. The runner works on a
/// thread of its own, never on Swift's cooperative pool. `reports` holds how each input ended.
public final class PipelineService: Service {
    /// The run's stop: observe it for messages (`onChange`).
    public let stop = StopRequest()
    private let runner: PipelineRunner
    private let progressInterval: TimeInterval
    private let progress: (@Sendable ([InputProgress]) -> Void)?
    private let result = Mutex<[InputReport]>([])

    public init(runner: PipelineRunner, progressInterval: TimeInterval = 1,
                progress: (@Sendable ([InputProgress]) -> Void)? = nil)
    {
        self.runner = runner
        self.progressInterval = progressInterval
        self.progress = progress
    }

    /// How each input ended, in input order (after `run` returned).
    public var reports: [InputReport] { result.withLock { $0 } }

    public func run() async throws {
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
        let reports = try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await offloaded { [runner, progressInterval, progress] in
                    try runner.run(stop: stop, progressInterval: progressInterval, progress: progress)
                }
            } onGracefulShutdown: {
                stop.request(.graceful)
            }
        } onCancel: {
            stop.request(.immediate)
        }
        result.withLock { $0 = reports }
    }
}

/// Runs blocking work (a whole run, joining threads) on a thread of its own, off Swift's cooperative pool.
public func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `offloaded` for work that cannot fail.
public func offloaded<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
