import ArgumentParser
import Daemon
import Foundation
import LabelStore
import Logging
import Pipeline
import Synchronization

/// `framewise bench retention`: the daemon's paced pruning against cameras writing at their rate, on a database
/// of `--days` days of frames: the writer's commit latency without pruning and during it, readers' errors, the
/// pruning's speed and how much the file shrinks.
struct BenchRetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Measure the daemon's pruning: the writer's commit latency (p99) with and without it, and its speed.",
        discussion: """
            Fills the database (once: an existing --db with frames is reused) with --frames frames over --days days up \
            to now, from --cameras cameras (5 labels each, a 6 kB thumbnail every 60th, an appearance every 40th), through the real writer. \
            Then the cameras write --rate frames/s in all, first for --seconds without pruning, then while the \
            daemon's pruner deletes what is older than --retention (for at most --prune-seconds); a reader on a \
            connection of its own queries all along. With --finish, a backlog left when --prune-seconds ran out is             then deleted unpaced with the cameras stopped, as `framewise prune` does on a database no daemon writes,             and every free page given back. Then checks that exactly the older frames went.
            """)

    @Option(help: "Frames to fill the database with (over all cameras).")
    var frames = 1_000_000
    @Option(help: "Days the filled frames span, up to now.")
    var days = 60
    @Option(help: "Cameras (sources) the frames come from.")
    var cameras = 2
    @Option(help: "What the pruner keeps.")
    var retention = try! RetentionPeriod("30d")
    @Option(help: "Frames per second the cameras write while measuring (10 cameras at 2 frames/s: 20).")
    var rate = 20.0
    @Option(help: "Seconds of writing without pruning.")
    var seconds = 60.0
    @Option(help: "The longest the pruning may take (default: --seconds × 10).")
    var pruneSeconds: Double?
    @Flag(help: "Delete what is left of the backlog after --prune-seconds unpaced, the cameras stopped (as `framewise prune`).")
    var finish = false
    @Option(help: "Frames per prune transaction (to begin with).")
    var chunk = PrunePacing().chunkSize
    @Option(help: "Pause after each chunk, as a multiple of the chunk's time (to begin with).")
    var pauseFactor = PrunePacing().pauseFactor
    @Flag(help: "Keep --chunk and --pause-factor throughout instead of adapting them to the commit latency.")
    var fixedPacing = false
    @Option(help: "Database (kept): an SQLite file or a postgres:// URL. Default: a temporary SQLite file.")
    var db: String?

    func run() async throws {
        try await exitingOnError {
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("framewise-bench-retention-\(ProcessInfo.processInfo.processIdentifier).sqlite").path
            let location = try LabelDatabaseLocation(db ?? temporary)
            defer { if db == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) } } }
            let store = try location.openForWriting()
            defer { try? store.close() }
            try store.storeClasses((0..<1000).map {
                ClassLabel(index: $0, wnid: String(format: "n%08d", $0), label: "class \($0)", names: "class \($0)")
            })
            let uris = (0..<cameras).map { "synthetic://bench-retention/camera-\($0 + 1)" }
            try fill(store, uris: uris)
            // As the daemon does: no checkpoint at commit, one every second beside the writer (both phases).
            try store.takeOverCheckpoints()
            let sizeBefore = try store.size()
            print("database: \(location), \(ByteSize.readable(sizeBefore.bytes)) on disk")

            let reader = try location.openReadOnly()
            let latencies = CommitLatencies()
            let baseline = try measureWriting(store, uris: uris, reader: reader, latencies: latencies) { stop in _ = stop.pause(.seconds(seconds)) }
            var pacing = PrunePacing()
            pacing.chunkSize = chunk
            pacing.pauseFactor = pauseFactor
            pacing.adapts = !fixedPacing
            var logger = Logger(label: "framewise.bench")
            logger.logLevel = .debug  // the pacing's steps
            let pruner = RetentionPruner(store: store, latencies: latencies, pacing: pacing, logger: logger)
            let scope = PruneScope(pipeline: "bench", retention: retention, sourceURIs: uris)
            let now = Date().timeIntervalSince1970, cut = now - retention.seconds
            let before = try FrameCensus(reader, cut: cut)
            var pruneTook = 0.0, finished = false
            let pruning = try measureWriting(store, uris: uris, reader: reader, latencies: latencies) { stop in
                let started = ContinuousClock.now
                let limit = StopSignal()
                let timer = Thread { if !stop.pause(.seconds(self.pruneSeconds ?? seconds * 10)) { limit.stop() } }
                timer.start()
                try? pruner.prune([scope], now: now, stop: limit)
                finished = !limit.isStopped
                pruneTook = (ContinuousClock.now - started) / .seconds(1)
            }
            var finishing: (summary: PruneSummary, seconds: Double)?
            if finish && !finished {
                let started = ContinuousClock.now
                let sources = try uris.map { try store.register(source: SourceDescriptor(uri: $0, kind: .rtsp)).id }
                // On a connection of its own, as `framewise prune`: SQLite checkpoints at its commits (the bench's
                // connection left that to the keeper's loop, which stopped with the cameras).
                let finisher = try location.openForWriting()
                defer { try? finisher.close() }
                let summary = try finisher.prune(PruneRequest(cut: cut, sources: sources))
                finishing = (summary, (ContinuousClock.now - started) / .seconds(1))
            }
            let after = try FrameCensus(reader, cut: cut)
            let sizeAfter = try store.size()
            print(baseline.line("without pruning"))
            print(pruning.line("while pruning"))
            let end = pruner.currentPacing
            print(String(format: "p99 ratio: %.2f; pruned %d frames in %.1f s (%.0f frames/s), %@ pacing: chunk %d, pause ×%.0f at first, %d and ×%.0f at the end",
                         pruning.p99 / max(baseline.p99, 1e-9), pruner.framesPruned, pruneTook,
                         Double(pruner.framesPruned) / max(pruneTook, 1e-9), fixedPacing ? "fixed" : "adaptive",
                         chunk, pauseFactor, end.chunkSize, end.pauseFactor))
            if let (summary, took) = finishing {
                print(String(format: "finished unpaced, the cameras stopped: %d frames in %.1f s (%.0f frames/s), %@ given back at the end",
                             summary.frames, took, Double(summary.frames) / max(took, 1e-9), ByteSize.readable(summary.bytesReleased)))
            }
            print("size: \(ByteSize.readable(sizeBefore.bytes)) -> \(ByteSize.readable(sizeAfter.bytes)) on disk"
                  + (sizeAfter.liveBytes.map { ", \(ByteSize.readable($0)) of rows" } ?? "")
                  + String(format: " (%.1f%% smaller)", 100 * (1 - Double(sizeAfter.bytes) / Double(max(sizeBefore.bytes, 1)))))
            let stopped = finished ? "" : finishing == nil ? "; the prune was stopped at --prune-seconds" : "; finished unpaced"
            print(before.verdict(after: after, written: pruning.written) + stopped)
        }
    }

    /// `frames` frames evenly over `days` days up to now, round-robin over the cameras, unless already there.
    private func fill(_ store: LabelStore, uris: [String]) throws {
        let sources = try uris.map { try store.register(source: SourceDescriptor(uri: $0, kind: .rtsp)).id }
        guard try store.oldestFrameTime(of: sources) == nil else { return }
        let started = ContinuousClock.now, now = Date().timeIntervalSince1970
        let span = Double(days) * 86_400, perCamera = frames / uris.count
        let capturedAt = { (index: Int) in now - span + span * Double(index) / Double(perCamera) }
        // A JPEG's size; the bytes after its start marker do not matter to the store.
        let thumbnail = StoredThumbnail(width: 320, height: 180, jpeg: Data([0xFF, 0xD8, 0xFF] + (3..<6000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        for source in sources {
            let run = try store.beginRun(RunSettings(source: source, precision: "synthetic", sampling: "fps 2", modelSHA256: "none", live: true))
            let writer = try store.makeWriter(run: run)
            for index in 0..<perCamera {
                var frame = BenchSinkCommand.syntheticFrame(Int64(index))
                frame = StoredFrame(frameIndex: Int64(index), pts: frame.pts,
                                    capturedAt: Date(timeIntervalSince1970: capturedAt(index)),
                                    top: frame.top)
                try writer.append(frame)
                if index % 60 == 0 { try writer.appendThumbnail(thumbnail, frameIndex: Int64(index)) }
                if index % Self.appearanceFrames == Self.appearanceFrames - 1 {
                    try writer.appendAppearance(Self.appearance(endingAt: index, of: frame, capturedAt: capturedAt))
                }
            }
            try writer.close()
            try store.finishRun(run, status: .interrupted, counts: RunCounts(sampled: perCamera, labeled: perCamera))
        }
        print(String(format: "filled %d frames in %.0f s", perCamera * uris.count, (ContinuousClock.now - started) / .seconds(1)))
    }

    /// Frames a synthetic frame's top class lasts (`BenchSinkCommand.syntheticFrame`): one appearance each.
    static let appearanceFrames = 40

    /// The closed appearance of `frame`'s top class over the `appearanceFrames` frames up to `last`, as the sink
    /// would store it.
    static func appearance(endingAt last: Int, of frame: StoredFrame, capturedAt: (Int) -> Double) -> AppearanceRecord {
        let first = last - appearanceFrames + 1, top = frame.top[0]
        var appearance = AppearanceRecord(view: "center", vocabulary: "imagenet", classID: Int64(top.classIndex), label: "class \(top.classIndex)",
                                          startFrameIndex: Int64(first), startPts: BenchSinkCommand.syntheticFrame(Int64(first)).pts,
                                          startCapturedAt: Date(timeIntervalSince1970: capturedAt(first)))
        appearance.endFrameIndex = Int64(last)
        appearance.endPts = frame.pts
        appearance.endCapturedAt = Date(timeIntervalSince1970: capturedAt(last))
        appearance.frames = appearanceFrames
        appearance.peakScore = top.score
        appearance.scoreSum = Double(top.score) * Double(appearanceFrames)
        appearance.isOpen = false
        return appearance
    }

    /// Commit latencies and reader errors of one phase.
    struct Phase {
        var commits: [Double]
        var readerErrors: Int
        var reads: Int
        /// Frames the cameras appended.
        var written: Int
        var p99: Double { percentile(0.99) }

        func percentile(_ share: Double) -> Double { CommitLatencies.percentile(share, of: commits) }

        func line(_ name: String) -> String {
            String(format: "commits %@: %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms; reader: %d queries, %d errors",
                   name, commits.count, percentile(0.5) * 1000, p99 * 1000, (commits.max() ?? 0) * 1000, reads, readerErrors)
        }
    }

    /// The cameras write new frames at `rate` while `during` runs (handed a signal that ends at its end), their
    /// commit times recorded into `latencies` too (as the daemon's sink does), the log is checkpointed as the daemon
    /// does, and `reader` (a connection of its own, as a user's query) reads the oldest frame every 100 ms.
    private func measureWriting(_ store: LabelStore, uris: [String], reader: any ReadOnlyLabelDatabase, latencies: CommitLatencies,
                                during: (StopSignal) -> Void) throws -> Phase {
        let commits = Mutex<[Double]>([]), reads = Mutex((count: 0, errors: 0)), written = Atomic<Int>(0)
        let stop = StopSignal(), group = DispatchGroup()
        for uri in uris {
            let source = try store.register(source: SourceDescriptor(uri: uri, kind: .rtsp)).id
            let run = try store.beginRun(RunSettings(source: source, precision: "synthetic", sampling: "fps 2", modelSHA256: "none", live: true))
            let writer = try store.makeWriter(run: run) { outcome in
                guard case .committed(_, _, let duration) = outcome else { return }
                commits.withLock { $0.append(duration / .seconds(1)) }
                latencies.record(duration / .seconds(1))
            }
            let first = try store.nextFrameIndex(of: source)
            let interval = Double(uris.count) / rate
            DispatchQueue.global().async(group: group) {
                var index = first
                repeat {
                    var frame = BenchSinkCommand.syntheticFrame(index)
                    frame = StoredFrame(frameIndex: index, pts: frame.pts, capturedAt: Date(), top: frame.top)
                    if (try? writer.append(frame)) != nil { written.add(1, ordering: .relaxed) }
                    index += 1
                } while !stop.pause(.milliseconds(Int(interval * 1000)))
                try? writer.close()
                try? store.finishRun(run, status: .interrupted, counts: RunCounts())
            }
        }
        DispatchQueue.global().async(group: group) {
            repeat {
                if let checkpoint = try? store.boundLog(to: DatabaseKeeper.logLimit) {
                    print("checkpoint: \(checkpoint.mode.rawValue), log \(ByteSize.readable(checkpoint.bytesBefore)) -> "
                          + "\(ByteSize.readable(checkpoint.bytesAfter)) in \(checkpoint.duration)")
                }
            } while !stop.pause(DatabaseKeeper.logTick)
        }
        DispatchQueue.global().async(group: group) {
            repeat {
                do {
                    _ = try reader.count("SELECT CAST(min(captured_at) AS INTEGER) FROM frames", arguments: [])
                    reads.withLock { $0.count += 1 }
                } catch {
                    reads.withLock { $0.errors += 1 }
                }
            } while !stop.pause(.milliseconds(100))
        }
        during(stop)
        stop.stop()
        group.wait()
        let (count, errors) = reads.withLock { ($0.count, $0.errors) }
        return Phase(commits: commits.withLock { $0 }, readerErrors: errors, reads: count, written: written.load(ordering: .relaxed))
    }

    /// The frames and appearances on each side of a prune's cut, read on a connection of its own.
    struct FrameCensus {
        var older: Int
        var newer: Int
        var appearancesEndedBefore: Int

        init(_ reader: any ReadOnlyLabelDatabase, cut: Double) throws {
            older = try reader.count("SELECT count(*) FROM frames WHERE captured_at < ?", arguments: [.real(cut)])
            newer = try reader.count("SELECT count(*) FROM frames WHERE captured_at >= ?", arguments: [.real(cut)])
            appearancesEndedBefore = try reader.count("SELECT count(*) FROM appearances WHERE end_captured_at < ?", arguments: [.real(cut)])
        }

        /// What went of the frames older than the cut (all, once a prune finished) and of the appearances that
        /// ended before it, and whether every newer frame stayed, with the `written` ones added since.
        func verdict(after: FrameCensus, written: Int) -> String {
            let newerKept = after.newer == newer + written
            return "older than the cut: \(older) frames before, \(after.older) after; appearances ended before it: "
                + "\(appearancesEndedBefore) before, \(after.appearancesEndedBefore) after; newer: \(newer) + \(written) written = "
                + "\(newer + written), \(after.newer) after (\(newerKept ? "none lost" : "MISMATCH"))"
        }
    }
}
