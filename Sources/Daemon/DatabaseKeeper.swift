import Foundation
import Glibc
import LabelStore
import Logging
import Pipeline
import Synchronization

/// What the daemon last measured of its database, for `/metrics`, `/readyz` and the page.
struct DatabaseVitals: Sendable {
    /// On disk (SQLite: the file and its write-ahead log; PostgreSQL: `pg_database_size`).
    var bytes: Int64?
    /// Holding rows (SQLite only).
    var liveBytes: Int64?
    /// When the oldest frame was captured (or its file's run ended), Unix seconds.
    var oldestFrame: Double?
    /// Free and total bytes of the file system the SQLite file is on.
    var freeDisk: (free: Int64, total: Int64)?
    /// Frames deleted by retention and the guards since the daemon started.
    var framesPruned = 0
    /// `PRAGMA quick_check` at start, in words (`ok in 1.2 s`).
    var check: String?
}

/// Keeps the daemon's database within bounds while it runs, on two threads of its own. One checkpoints SQLite's
/// write-ahead log every `logTick` beside the writer (`LabelStore.boundLog`; the writer no longer checkpoints at
/// commit, so the sink never waits for one). The other measures the database every `tick` (`DatabaseVitals`)
/// and every `pruneInterval` (and right after start) deletes each pipeline's frames older than its retention and, when
/// the live data passes `max_database_size` or the disk's free space falls below `min_free_disk`, the oldest
/// frames of every pipeline, `guardShare` of the time they span per round (`RetentionPruner`, paced on the sink's
/// commit latency). Stops between two chunks when its task is cancelled, before the stages close the store.
package final class DatabaseKeeper: Sendable {
    /// How often the database is measured.
    static let tick: Duration = .seconds(5)
    /// How often the write-ahead log is checkpointed: the sink adds a few pages a second, a prune chunk up to
    /// ~2500 (its labels' index entries are scattered).
    package static let logTick: Duration = .seconds(1)
    /// The write-ahead log's size past which a checkpoint that readers held back waits for them (TRUNCATE; see
    /// `LogCheckpoint` and docs/measurements.md).
    package static let logLimit: Int64 = 64 << 20
    /// Share of the stored time span a crossed guard deletes per round (oldest first): 1% of a 30-day database is
    /// 7 hours, far more than 10 cameras add in a round, yet a guard crossed for reasons of its own (another
    /// program filling the disk) takes more than a day and a half of rounds to empty a database of a month.
    static let guardShare = 0.01
    /// Free disk below which `/readyz` and the page warn (a share of the disk), and below which the daemon is not ready.
    static let diskWarning = 0.10
    static let diskCritical = 0.02

    private let store: LabelStore
    private let configuration: DaemonConfiguration
    private let scopes: @Sendable () -> [PruneScope]
    private let pruner: RetentionPruner
    private let logger: Logger
    private let measured = Mutex(DatabaseVitals())
    private let stop = StopSignal()

    init(store: LabelStore, latencies: CommitLatencies, configuration: DaemonConfiguration, check: String?, logger: Logger,
         scopes: @escaping @Sendable () -> [PruneScope])
    {
        self.store = store
        self.configuration = configuration
        self.scopes = scopes
        self.logger = logger
        pruner = RetentionPruner(store: store, latencies: latencies, logger: logger)
        measured.withLock { $0.check = check }
    }

    var vitals: DatabaseVitals {
        measured.withLock { vitals in
            vitals.framesPruned = pruner.framesPruned
            return vitals
        }
    }

    /// How often retention runs: every minute, or a quarter of the shortest retention when that is shorter (a
    /// `45s` retention in a test is kept to within ~11 s).
    var pruneInterval: Duration {
        let shortest = scopes().compactMap { $0.retention?.seconds }.min() ?? 240
        return .seconds(min(60, max(1, shortest / 4)))
    }

    /// Until the task is cancelled. The blocking work runs on two threads, `run()` only waits for them.
    func run() async {
        do {
            try store.takeOverCheckpoints()
        } catch {
            logger.warning("the writer keeps checkpointing at commit: \(error)")
        }
        await withTaskCancellationHandler {
            async let log: Void = offloaded { self.checkpointLoop() }
            await offloaded { self.loop() }
            await log
        } onCancel: {
            stop.stop()
        }
    }

    /// Warnings about the database for `/readyz` and the page: free disk running out (`critical`: the daemon is not ready).
    func warnings() -> (warnings: [String], critical: [String]) {
        guard let (free, total) = vitals.freeDisk, total > 0 else { return ([], []) }
        let share = Double(free) / Double(total)
        let text = "the disk of the database has \(ByteSize.readable(free)) free (\(Int((share * 100).rounded()))%)"
        let advice = configuration.retention == nil && configuration.minFreeDisk == nil && configuration.maxDatabaseSize == nil
            ? ": nothing is deleted until retention, max_database_size or min_free_disk is configured" : ""
        if share < Self.diskCritical { return ([], [text + advice]) }
        if share < Self.diskWarning || (configuration.minFreeDisk.map { free < $0.bytes } ?? false) { return ([text + advice], []) }
        return ([], [])
    }

    private func checkpointLoop() {
        repeat { boundLog() } while !stop.pause(Self.logTick)
    }

    private func loop() {
        var nextRound = ContinuousClock.now
        repeat {
            measure()
            if ContinuousClock.now >= nextRound {
                round()
                measure()
                nextRound = ContinuousClock.now + pruneInterval
            }
        } while !stop.pause(Self.tick)
    }

    private func round() {
        let scopes = scopes(), now = Date().timeIntervalSince1970
        do {
            try pruner.prune(scopes, now: now, stop: stop)
            if let crossed = try crossedGuard() {
                let summary = try pruner.pruneOldest(scopes, share: Self.guardShare, now: now, stop: stop)
                if summary.frames > 0 {
                    logger.warning("\(crossed): deleted the oldest frames", metadata: [
                        "frames": "\(summary.frames)", "runs": "\(summary.runs)", "bytes_released": "\(summary.bytesReleased)",
                        "share_of_time_held": "\(Self.guardShare)"])
                } else {
                    logger.warning("\(crossed), and no pipeline of this daemon has frames left to delete")
                }
            }
        } catch {
            logger.error("retention: \(error)")
        }
    }

    /// Which guard is crossed, in words; nil when none.
    private func crossedGuard() throws -> String? {
        if let limit = configuration.maxDatabaseSize, let live = try store.size().liveBytes, live > limit.bytes {
            return "the database holds \(ByteSize.readable(live)) of rows, over max_database_size \(limit)"
        }
        if let limit = configuration.minFreeDisk, let (free, _) = Self.freeDisk(at: configuration.database), free < limit.bytes {
            return "the disk of the database has \(ByteSize.readable(free)) free, under min_free_disk \(limit)"
        }
        return nil
    }

    private func boundLog() {
        do {
            if let checkpoint = try store.boundLog(to: Self.logLimit) {
                logger.notice("write-ahead log checkpointed", metadata: [
                    "mode": "\(checkpoint.mode.rawValue)", "bytes_before": "\(checkpoint.bytesBefore)",
                    "bytes_after": "\(checkpoint.bytesAfter)", "duration": "\(checkpoint.duration)"])
            }
        } catch {
            logger.warning("write-ahead log checkpoint failed: \(error)")
        }
    }

    private func measure() {
        let size = try? store.size()
        let oldest = try? store.oldestFrameTime()
        let disk = configuration.database.contains("://") ? nil : Self.freeDisk(at: configuration.database)
        measured.withLock { vitals in
            vitals.bytes = size?.bytes
            vitals.liveBytes = size?.liveBytes
            vitals.oldestFrame = oldest
            vitals.freeDisk = disk
        }
    }

    /// Free and total bytes of the file system holding `path` (for unprivileged users: `f_bavail`).
    static func freeDisk(at path: String) -> (free: Int64, total: Int64)? {
        var stats = statvfs()
        let directory = (path as NSString).deletingLastPathComponent
        guard statvfs(directory.isEmpty ? "." : directory, &stats) == 0 else { return nil }
        return (Int64(stats.f_bavail) * Int64(stats.f_frsize), Int64(stats.f_blocks) * Int64(stats.f_frsize))
    }
}
