package import Foundation
package import Logging
import Synchronization
package import VideoDecoding

/// One input a long-running service keeps labelling (one camera, one file): it opens the input into the shared
/// stages and runs it, and when the input cannot be opened or dies it tries again — forever, with exponential
/// backoff and jitter — without holding up any other input. A permanent failure (a refused password, a missing
/// file, an unsupported codec: `InputFailure.isPermanent`) is tried again only every `permanentRetryDelay`
/// (cameras lock accounts after a few failed logins), or at once on `retryNow()` (the daemon's reload). A file
/// ends when it is completed; a live stream runs until `stop()`. Its state and counters (over all its sessions) are what health checks, metrics and the
/// streams API read.
///
/// Ownership: the supervision loop runs on a thread of its own; everything readable lives behind one lock.
package final class SupervisedInput: Sendable {
    /// Where the input stands.
    package enum State: String, Sendable, Codable {
        /// Opening for the first time.
        case connecting
        /// Frames are flowing.
        case running
        /// The stream dropped, or its session ended, and it is being opened again.
        case reconnecting
        /// The last attempt failed; the next one comes after a backoff.
        case failed
        /// A file labelled to its end (nothing more to do).
        case completed
        /// Stopped on request (removed, or the service stops).
        case stopped
    }

    /// What readers see: the state, the counters summed over every session, and the last error (redacted).
    package struct Status: Sendable {
        package var state: State = .connecting
        package var isLive: Bool?
        package var progress = InputProgress()
        package var lastError: String?
        /// When `lastError` happened; an error stays after the input recovers, so this tells whether it is current.
        package var lastErrorAt: Date?
        /// When the next attempt to open the input is due, while it waits after a failure (`nil` otherwise).
        package var nextAttemptAt: Date?
        /// Sessions opened so far (each one after the first is a reconnect).
        package var sessions = 0

        /// Records `error` as the last error, happening now.
        mutating func record(error: String) {
            lastError = error
            lastErrorAt = Date()
        }
    }

    /// The pipeline the input belongs to, and the input as configured (its `description` is redacted).
    package let pipeline: String
    package let location: InputLocation

    private let input: PipelineConfiguration.Input
    private let configuration: PipelineConfiguration
    private let stages: LabellingStages
    private let retry: ReconnectPolicy
    private let logger: Logger
    /// How long a permanent failure waits before the next attempt (unless `retryNow()` comes first).
    package static let permanentRetryDelay: TimeInterval = 600

    private let stopRequest = StopRequest()
    /// Ends a backoff early: signalled by `stop()`, and by `retryNow()` while waiting after a permanent failure.
    private let wake = DispatchSemaphore(value: 0)
    private let waitingAfterPermanentFailure = Atomic<Bool>(false)
    private let ended = DispatchGroup()
    private let shared = Mutex<(status: Status, finished: InputProgress, current: InputCounters?)>(
        (Status(), InputProgress(), nil))

    /// `retry` paces the attempts after a failure (its `maximumAttempts` is ignored: a service never gives up).
    package init(_ input: PipelineConfiguration.Input, of configuration: PipelineConfiguration, stages: LabellingStages,
                retry: ReconnectPolicy = ReconnectPolicy(initialDelay: 1, maximumDelay: 60), logger: Logger)
    {
        self.input = input
        self.configuration = configuration
        self.stages = stages
        self.retry = retry
        pipeline = configuration.name
        location = input.location
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(configuration.name)"
        logger[metadataKey: "input"] = "\(input.location)"
        self.logger = logger
    }

    /// Starts the supervision loop on a thread of its own.
    package func start() {
        ended.enter()
        StageThread.start(StageThread.input) { [self] in
            supervise()
            ended.leave()
        }
    }

    /// Stops the input: decoding ends, the frames in flight are labelled and stored, its run is recorded as
    /// interrupted. Returns at once; `waitUntilEnded` waits for all of it.
    package func stop() {
        stopRequest.request(.graceful)
        wake.signal()
    }

    /// Drops the frames still waiting instead of labelling them (a second stop).
    package func stopAtOnce() {
        stopRequest.request(.immediate)
        wake.signal()
    }

    /// Tries again now if the input is waiting after a permanent failure (someone may have fixed it: the
    /// daemon calls this at every reload, also for unchanged pipeline files).
    package func retryNow() {
        if waitingAfterPermanentFailure.exchange(false, ordering: .relaxed) { wake.signal() }
    }

    package func waitUntilEnded() {
        ended.wait()
    }

    /// The state, counters over every session, and last error.
    package var status: Status {
        shared.withLock { shared in
            var status = shared.status
            status.progress = shared.finished
            if let current = shared.current { status.progress.add(current.snapshot) }
            return status
        }
    }

    private func supervise() {
        var failures = 0
        var generator = SystemRandomNumberGenerator()
        while stopRequest.level == .none {
            let running: InputSession
            do {
                running = try InputSession.open(input, position: 0, of: configuration, into: stages) { [self] event in
                    update { status in
                        switch event {
                        case .disconnected(let reason, _, _):
                            status.state = .reconnecting
                            status.record(error: reason)
                        case .reconnectFailed(_, let reason, _):
                            status.record(error: reason)
                        case .reconnected:
                            status.state = .running
                        }
                    }
                }
            } catch {
                failures += 1
                let permanent = (error as? InputFailure)?.isPermanent == true
                backOff(failures, after: "cannot open the input", error: "\(error)", permanent: permanent, state: .failed,
                        using: &generator)
                continue
            }
            shared.withLock { shared in
                shared.current = running.counters
                shared.status.state = .running
                shared.status.isLive = running.isLive
                shared.status.sessions += 1
            }
            logger.info("input running", metadata: ["live": "\(running.isLive)"])
            let report = running.run(stop: stopRequest)
            shared.withLock { shared in
                shared.finished.add(report.progress)
                shared.current = nil
            }
            switch report.status {
            case .completed where !running.isLive:
                update { $0.state = .completed }
                logger.info("input completed", metadata: ["labelled": "\(running.tag.counters.labeled.load(ordering: .relaxed))"])
                return
            case .interrupted where stopRequest.level > .none:
                break
            case .completed, .interrupted:
                // A live stream that ended by itself: open it again.
                failures = 0
                update { $0.state = .reconnecting }
            case .failed(let failure):
                failures += 1
                backOff(failures, after: "the input failed", error: failure.message, permanent: failure.isPermanent,
                        state: failure.isPermanent ? .failed : .reconnecting, using: &generator)
            }
        }
        update { $0.state = .stopped }
    }

    /// Records a failure and waits before the next attempt (less if stopped meanwhile, or told to retry after a
    /// permanent failure).
    private func backOff(_ failures: Int, after what: String, error: String, permanent: Bool, state: State,
                         using generator: inout some RandomNumberGenerator)
    {
        let delay = permanent ? Self.permanentRetryDelay : retry.delay(beforeAttempt: failures, using: &generator)
        let action = permanent ? "trying again at the next reload or" : "trying again"
        logger.warning("\(what); \(action) in \(String(format: "%.0f", delay)) s",
                       metadata: ["error": "\(error)", "permanent": "\(permanent)"])
        update { status in
            status.state = state
            status.record(error: error)
            status.nextAttemptAt = Date(timeIntervalSinceNow: delay)
        }
        waitingAfterPermanentFailure.store(permanent, ordering: .relaxed)
        _ = wake.wait(timeout: .now() + delay)
        update { $0.nextAttemptAt = nil }
        waitingAfterPermanentFailure.store(false, ordering: .relaxed)
    }

    private func update(_ change: (inout Status) -> Void) {
        shared.withLock { change(&$0.status) }
    }
}
