import Dispatch
package import Foundation
package import LabelStore
package import Logging
import Synchronization

/// `framewise work`: takes files from the shared job queue one at a time and labels each through stages that
/// live as long as the worker. While a job runs its lease is renewed every third of the lease; a renewal that
/// finds the job taken over (this worker was cut off for longer than the lease) stops the input at once — its
/// stored frames are safe, the new holder skips them. A job ends `completed` only when every sampled frame is
/// stored; frames the database refused (an outage: the stages drop and go on) or a stop send it back to the
/// queue, to be resumed; an input that fails (cannot be opened, broken) is retried up to `maxAttempts` claims
/// and then `failed`. An unreachable queue is retried with a growing pause.
///
/// Ownership: the worker owns its stages (and through them the store); the queue connection is its own.
package final class QueueWorker: Sendable {
    /// How the worker takes and holds jobs.
    package struct Settings: Sendable {
        /// Seconds a claim holds a job without renewal; another worker may take it over after that.
        package var lease: TimeInterval
        /// Seconds between looks at an empty queue.
        package var idlePoll: TimeInterval
        /// Stop once no job is queued or running (another worker's running job may still come back to the
        /// queue, so it is waited for) instead of waiting for more.
        package var untilEmpty: Bool
        /// Claims an input that keeps failing gets before it is marked failed.
        package var maxAttempts: Int
        /// Who this worker is in `jobs.worker`: host name and process id.
        package var identity: String

        package init(lease: TimeInterval = 30, idlePoll: TimeInterval = 2, untilEmpty: Bool = false, maxAttempts: Int = 3,
                    identity: String = QueueWorker.defaultIdentity)
        {
            self.lease = lease
            self.idlePoll = idlePoll
            self.untilEmpty = untilEmpty
            self.maxAttempts = maxAttempts
            self.identity = identity
        }
    }

    /// How many jobs this worker ended, by ending.
    package struct Summary: Sendable, Equatable {
        package var completed = 0
        package var failed = 0
        /// Sent back to the queue (stopped, or frames still missing) or taken over by another worker.
        package var unfinished = 0

        package init() {}
    }

    /// `host:pid`.
    package static var defaultIdentity: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    private let queue: JobQueue
    private let configuration: PipelineConfiguration
    private let model: LoadedModel
    private let store: LabelStore
    private let settings: Settings
    private let environment: [String: String]
    private let logger: Logger
    /// Signalled by a stop: ends a pause early.
    private let wakeUp = DispatchSemaphore(value: 0)

    /// `configuration` gives the worker pool, precision and thumbnails; its inputs are ignored (jobs bring them).
    package init(queue: JobQueue, configuration: PipelineConfiguration, model: LoadedModel, store: LabelStore,
                settings: Settings, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger)
    {
        self.queue = queue
        self.configuration = configuration
        self.model = model
        self.store = store
        self.settings = settings
        self.environment = environment
        var logger = logger
        logger[metadataKey: "worker"] = "\(settings.identity)"
        self.logger = logger
    }

    /// Works until stopped (or, with `untilEmpty`, until nothing is left to claim). Throws when the workers'
    /// engines fail.
    package func run(stop: StopRequest) throws -> Summary {
        let stages = try LabellingStages(
            model: model, store: store, workers: configuration.workers, batch: configuration.batch,
            batchDeadline: configuration.batchDeadline, storeFailures: .dropAndRetry, logger: logger
        ) { _ in stop.request(.immediate) }
        stages.start()
        defer {
            stages.finish()
            queue.close()
        }
        let observation = stop.onChange { [wakeUp] _ in wakeUp.signal() }
        defer { stop.remove(observation) }

        var summary = Summary()
        var unreachableFor = 0
        while stop.level == .none, stages.failure == nil {
            let job: ClaimedJob?
            do {
                job = try queue.claim(worker: settings.identity, lease: settings.lease)
                unreachableFor = 0
            } catch {
                unreachableFor += 1
                logger.warning("cannot claim a job; trying again", metadata: ["error": "\(error)"])
                pause(seconds: min(Double(unreachableFor), 10))
                continue
            }
            guard let job else {
                if settings.untilEmpty, (try? queue.openJobCount()) == 0 { break }
                pause(seconds: settings.idlePoll)
                continue
            }
            switch label(job, in: stages, stop: stop) {
            case .completed: summary.completed += 1
            case .failed: summary.failed += 1
            case .released, nil: summary.unfinished += 1
            }
        }
        if let failure = stages.failure { throw failure }
        return summary
    }

    /// Labels one claimed job and ends the claim; returns how it ended (nil: the lease was lost).
    private func label(_ job: ClaimedJob, in stages: LabellingStages, stop: StopRequest) -> JobEnding? {
        var metadata: Logger.Metadata = ["job": "\(job.id)", "attempt": "\(job.attempts)"]
        let input: PipelineConfiguration.Input
        do {
            input = try QueuedInput(job: job).pipelineInput(environment: environment)
        } catch {
            return end(job, inputFailure: InputFailure(error.description), metadata: metadata)
        }
        metadata["input"] = "\(input.location)"
        logger.info("job claimed", metadata: metadata)
        var single = configuration
        single.inputs = [input]
        let running: InputSession
        do {
            running = try InputSession.open(input, position: 0, of: single, into: stages)
        } catch let failure as InputFailure {
            return end(job, inputFailure: failure, metadata: metadata)
        } catch {
            logger.warning("the database refused the job's run; it goes back to the queue",
                           metadata: metadata.merging(["error": "\(error)"]) { $1 })
            let ending = end(job, .released("cannot start: \(error)"), metadata: metadata)
            pause(seconds: 2)
            return ending
        }
        _ = try? queue.attach(job.id, worker: settings.identity, source: running.record.source, run: running.record.run)

        let jobStop = StopRequest()
        let forwarding = stop.onChange { jobStop.request($0) }
        if stop.level > .none { jobStop.request(stop.level) }
        let lease = JobLease(job: job.id, queue: queue, settings: settings, logger: logger) { jobStop.request(.immediate) }
        lease.start()
        let report = running.run(stop: jobStop)
        lease.cancel()
        stop.remove(forwarding)

        if lease.isLost {
            logger.warning("another worker took the job over (the lease expired); its stored frames stay", metadata: metadata)
            return nil
        }
        let progress = report.progress
        metadata["labelled"] = "\(progress.labeled)"
        metadata["skipped"] = "\(progress.skipped)"
        switch report.status {
        case .completed where progress.dropped == 0:
            return end(job, .completed, metadata: metadata)
        case .failed(let failure) where progress.droppedByStore == 0 && stages.storeHealth.failure == nil:
            return end(job, inputFailure: failure, metadata: metadata)
        default:
            let reason = stop.level > .none
                ? "the worker stopped"
                : "\(progress.dropped) frames were not stored; the next claim resumes the file"
            return end(job, .released(reason), metadata: metadata)
        }
    }

    /// An input that could not be labelled. A permanent failure (a vanished file, not a video, an unsupported
    /// codec) fails the job at its first claim — unless a missing file's directory is missing too: then this
    /// machine's storage is at fault (a stale mount), so the job goes back to the queue for another worker and
    /// this one waits a poll interval before its next claim. That, and anything transient, is tried again until the
    /// job has had `maxAttempts` claims, then failed.
    private func end(_ job: ClaimedJob, inputFailure failure: InputFailure, metadata: Logger.Metadata) -> JobEnding? {
        if failure.isPermanent, !failure.isStorageMissing {
            return end(job, .failed(failure.message), metadata: metadata)
        }
        var message = failure.message
        if failure.isStorageMissing {
            message += "; its directory is missing on \(settings.identity) (a stale mount?)"
        }
        if job.attempts >= settings.maxAttempts {
            return end(job, .failed("\(message) (after \(job.attempts) attempts)"), metadata: metadata)
        }
        let ending = end(job, .released(message), metadata: metadata)
        if failure.isStorageMissing { pause(seconds: settings.idlePoll) }
        return ending
    }

    private func end(_ job: ClaimedJob, _ ending: JobEnding, metadata: Logger.Metadata) -> JobEnding? {
        var metadata = metadata
        switch ending {
        case .completed: logger.info("job completed", metadata: metadata)
        case .failed(let reason):
            metadata["error"] = "\(reason)"
            logger.error("job failed", metadata: metadata)
        case .released(let reason):
            metadata["reason"] = "\(reason ?? "")"
            logger.notice("job back in the queue", metadata: metadata)
        }
        do {
            guard try queue.end(job.id, worker: settings.identity, ending) else {
                logger.warning("the job was no longer ours to end (taken over)", metadata: metadata)
                return nil
            }
            return ending
        } catch {
            // The lease expires and the job is claimed again (its stored frames are skipped).
            logger.warning("cannot record the job's end; it is claimed again when its lease expires",
                           metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return nil
        }
    }

    /// Waits `seconds`, less if a stop comes.
    private func pause(seconds: TimeInterval) {
        _ = wakeUp.wait(timeout: .now() + seconds)
    }
}

/// A claimed job's lease, renewed every third of its length on a timer. Lost when a renewal finds the job
/// taken over, or when renewals have failed (the database unreachable) for a whole lease: then `onLost` is
/// called once.
private final class JobLease: Sendable {
    private let job: JobID
    private let queue: JobQueue
    private let settings: QueueWorker.Settings
    private let logger: Logger
    private let onLost: @Sendable () -> Void
    private let timer = Mutex<(any DispatchSourceTimer)?>(nil)
    /// When the lease was last renewed (monotonic seconds), and whether it is lost.
    private let state: Mutex<(renewedAt: Double, lost: Bool)>

    init(job: JobID, queue: JobQueue, settings: QueueWorker.Settings, logger: Logger, onLost: @escaping @Sendable () -> Void) {
        self.job = job
        self.queue = queue
        self.settings = settings
        self.logger = logger
        self.onLost = onLost
        state = Mutex((Self.now, false))
    }

    var isLost: Bool { state.withLock { $0.lost } }

    func start() {
        let interval = settings.lease / 3
        timer.withLock { timer in
            timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "framewise.job-lease"))
            timer?.setEventHandler { [self] in renew() }
            timer?.schedule(deadline: .now() + interval, repeating: interval)
            timer?.resume()
        }
    }

    func cancel() {
        timer.withLock { $0?.cancel() }
    }

    private func renew() {
        let held: Bool
        do {
            held = try queue.renew(job, worker: settings.identity, lease: settings.lease)
        } catch {
            let overdue = state.withLock { Self.now - $0.renewedAt >= settings.lease }
            logger.warning("cannot renew the job's lease", metadata: ["job": "\(job)", "error": "\(error)"])
            if overdue { lose() }
            return
        }
        if held {
            state.withLock { $0.renewedAt = Self.now }
        } else {
            lose()
        }
    }

    private func lose() {
        let first = state.withLock { state in
            defer { state.lost = true }
            return !state.lost
        }
        if first {
            cancel()
            onLost()
        }
    }

    private static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
