import Foundation
import LabelStore
import Logging
import Pipeline
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The daemon's own service in its `ServiceGroup`, beside the HTTP server: starts the stages and the pipelines,
/// tells systemd it is ready once HTTP listens, keeps `STATUS=` and the watchdog going while the stages make
/// progress, keeps the database within bounds (`DatabaseKeeper`), reloads on SIGHUP, and on graceful shutdown (SIGTERM, SIGINT) stops decoding, finishes the frames
/// in flight, flushes and records every run before it returns.
final class DaemonService: Service {
    /// How long a stage may sit on waiting work before the daemon counts as hung (no more watchdog pings).
    static let stallLimit: Duration = .seconds(20)
    /// How long a graceful stop may take before waiting frames are dropped (systemd allows 15 s).
    static let stopDeadline: Duration = .seconds(10)
    /// How often `STATUS=` is refreshed when systemd watches no watchdog.
    static let statusInterval: Duration = .seconds(5)

    private let configuration: Mutex<DaemonConfiguration>
    private let stages: LabellingStages
    private let fleet: PipelineFleet
    private let keeper: DatabaseKeeper
    private let notifier: SystemdNotifier
    private let listening: ReadinessSignal
    private let failure: ReadinessSignal
    private let logger: Logger
    private let environment: [String: String]

    init(configuration: DaemonConfiguration, stages: LabellingStages, fleet: PipelineFleet, keeper: DatabaseKeeper,
         notifier: SystemdNotifier,
         listening: ReadinessSignal, failure: ReadinessSignal, logger: Logger, environment: [String: String])
    {
        self.configuration = Mutex(configuration)
        self.stages = stages
        self.fleet = fleet
        self.keeper = keeper
        self.notifier = notifier
        self.listening = listening
        self.failure = failure
        self.logger = logger
        self.environment = environment
    }

    func run() async throws {
        stages.start()
        let directory = try PipelineDirectory(reading: configuration.withLock { $0 }, environment: environment)
        _ = await offloaded { self.fleet.apply(directory) }  // what changed matters only on reload
        guard await listening.wait() != nil else {
            // HTTP never listened (the group is being cancelled: e.g. the address is taken): leave no run open.
            await offloaded {
                self.fleet.stopAllAtOnce()
                self.fleet.stopAll()
                self.stages.finish()
            }
            return
        }
        notify(.ready, .status(statusLine(framesPerSecond: 0)))
        logger.info("ready", metadata: ["pipelines": "\(fleet.pipelineCount)", "inputs": "\(fleet.inputs.count)"])

        let fatal = await withTaskGroup(of: String?.self) { group in
            group.addTask { await self.reloadOnHangup(); return nil }
            group.addTask { await self.reportStatus(); return nil }
            group.addTask { try? await gracefulShutdown(); return nil }
            group.addTask { await self.failure.wait() }
            // Retention and the log's bound; cancelled with the others, and waited for (between two chunks)
            // before the stages close the store.
            group.addTask { await self.keeper.run(); return nil }
            // Whichever ends first — a graceful shutdown or a failure of the stages — ends the daemon.
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }

        notify(.stopping)
        logger.info("stopping: finishing the frames in flight")
        let drained = Atomic<Bool>(false)
        let deadline = Task {
            try await Task.sleep(for: Self.stopDeadline)
            if !drained.load(ordering: .relaxed) {
                self.logger.warning("stopping took too long: the frames still waiting are dropped")
                self.fleet.stopAllAtOnce()
            }
        }
        await offloaded {
            self.fleet.stopAll()
            drained.store(true, ordering: .relaxed)
            self.stages.finish()
        }
        deadline.cancel()
        if let fatal { throw DaemonError(fatal) }
        logger.info("stopped")
    }

    /// SIGHUP (`systemctl reload`): re-read the configuration and the pipelines directory and apply them.
    private func reloadOnHangup() async {
        for await _ in await UnixSignalsSequence(trapping: .sighup) {
            notify(.reloadingNow())
            await reload()
            notify(.ready, .status(statusLine(framesPerSecond: 0)))
        }
    }

    private func reload() async {
        let current = configuration.withLock { $0 }
        var next = current
        do {
            let reread = try DaemonConfiguration.load(file: current.file, environment: environment)
            // Only the pipelines directory can change without a restart.
            next.pipelines = reread.pipelines
            var unchanged = reread
            unchanged.pipelines = current.pipelines
            if unchanged != current {
                logger.warning("the configuration changed beyond `pipelines`: that takes effect after a restart",
                               metadata: ["file": "\(current.file)"])
            }
        } catch {
            logger.error("reload: the configuration is not valid; keeping the running one", metadata: ["error": "\(error)"])
        }
        let directory: PipelineDirectory
        do {
            directory = try PipelineDirectory(reading: next, environment: environment)
        } catch {
            logger.error("reload: keeping the running pipelines", metadata: ["error": "\(error)"])
            return
        }
        configuration.withLock { $0 = next }
        let changes = await offloaded { self.fleet.apply(directory) }
        logger.notice("reloaded", metadata: [
            "started": "\(changes.started)", "stopped": "\(changes.stopped)", "restarted": "\(changes.restarted)",
            "unchanged": "\(changes.kept)", "invalid": "\(directory.errors.count)"])
    }

    /// Refreshes `STATUS=`, and pings the watchdog only while the stages make progress: a hung daemon stops
    /// pinging, and systemd restarts it.
    private func reportStatus() async {
        let interval = notifier.watchdogInterval.map { min($0, Self.statusInterval) } ?? Self.statusInterval
        var lastLabelled = totalLabelled()
        var lastTime = ContinuousClock.now
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let labelled = totalLabelled(), now = ContinuousClock.now
            let seconds = Double((now - lastTime).components.seconds) + Double((now - lastTime).components.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(labelled - lastLabelled) / seconds : 0
            (lastLabelled, lastTime) = (labelled, now)
            if let stall = stages.stalledStage(after: Self.stallLimit) {
                logger.critical("no progress: \(stall); not telling the watchdog")
                notify(.status("stalled: \(stall)"))
            } else if notifier.watchdogInterval != nil {
                notify(.watchdog, .status(statusLine(framesPerSecond: rate)))
            } else {
                notify(.status(statusLine(framesPerSecond: rate)))
            }
        }
    }

    private func totalLabelled() -> Int {
        fleet.inputs.reduce(0) { $0 + $1.status.progress.labeled }
    }

    /// `3 inputs running, 1 reconnecting, 74 frames/s`.
    private func statusLine(framesPerSecond: Double) -> String {
        var counts: [SupervisedInput.State: Int] = [:]
        for input in fleet.inputs { counts[input.status.state, default: 0] += 1 }
        let running = counts[.running] ?? 0
        var parts = ["\(running) input\(running == 1 ? "" : "s") running"]
        for state in [SupervisedInput.State.connecting, .reconnecting, .failed, .completed] {
            if let count = counts[state] { parts.append("\(count) \(state.rawValue)") }
        }
        if stages.storeHealth.failure != nil { parts.append("database refusing writes") }
        return parts.joined(separator: ", ") + ", \(Int(framesPerSecond.rounded())) frames/s"
    }

    private func notify(_ fields: NotifyField...) {
        do {
            try notifier.send(fields)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }
}

/// A one-time signal an async task can wait for (HTTP is listening; the stages failed), carrying a message.
final class ReadinessSignal: Sendable {
    private let state = Mutex<(message: String?, fired: Bool, waiters: [CheckedContinuation<String?, Never>])>((nil, false, []))

    func fire(_ message: String = "") {
        let waiters = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            state.message = message
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: message) }
    }

    /// The message once fired; nil if the waiting task is cancelled first.
    func wait() async -> String? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let fired = state.withLock { state -> String?? in
                    if state.fired { return .some(state.message) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters.append(continuation)
                    return .none
                }
                if let fired { continuation.resume(returning: fired) }
            }
        } onCancel: {
            let waiters = state.withLock { state -> [CheckedContinuation<String?, Never>] in
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: nil) }
        }
    }
}
