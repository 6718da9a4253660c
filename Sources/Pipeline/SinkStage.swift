import Foundation
import GoogLeNet
import LabelStore
import Synchronization

/// An input's record in the database and what the sink keeps about it: its source and run, the writer
/// that stores its frames, where its frame numbering starts, and the tally of its top-1 classes.
/// Used by the sink's thread while the run goes on; read by the runner after the sink has finished.
final class InputRecord: Sendable {
    let source: SourceID
    let run: RunID
    let writer: FrameWriter
    /// Added to every frame index: 0 for files, one past the last stored index for a live session.
    let frameIndexBase: Int64
    private let topClassFrames = Mutex<[Int: Int]>([:])

    init(source: SourceID, run: RunID, writer: FrameWriter, frameIndexBase: Int64) {
        self.source = source
        self.run = run
        self.writer = writer
        self.frameIndexBase = frameIndexBase
    }

    /// Top-1 classes of this run's frames with their frame counts, most frequent first.
    var topClasses: [(classIndex: Int, frames: Int)] {
        topClassFrames.withLock { $0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { (classIndex: $0.key, frames: $0.value) }
    }

    fileprivate func count(topClass: Int) {
        topClassFrames.withLock { $0[topClass, default: 0] += 1 }
    }
}

/// The third stage: one thread that turns ranked frames into store records and hands them to their input's
/// `FrameWriter` (which batches them into transactions). Only this stage knows the store's records.
final class SinkStage: @unchecked Sendable {
    private let results: FrameQueue<RankedFrame>
    private let stop: StopRequest
    // Touched only by the sink's thread until `group` is left; read afterwards.
    private(set) var error: (any Error)?

    init(results: FrameQueue<RankedFrame>, stop: StopRequest) {
        self.results = results
        self.stop = stop
    }

    /// Starts the sink's thread; it leaves `group` after the results queue closes and every writer of
    /// `inputs` is closed (flushed).
    func start(closing inputs: [RunningInput], in group: DispatchGroup) {
        group.enter()
        let thread = Thread { [self] in
            storeAll()
            for input in inputs { close(input) }
            group.leave()
        }
        thread.name = "framewise.sink"
        thread.start()
    }

    private func storeAll() {
        while true {
            let batch = results.take(maxCount: 256, batchDeadline: 0)
            if batch.isEmpty { return }
            for ranked in batch { store(ranked) }
        }
    }

    private func store(_ ranked: RankedFrame) {
        let input = ranked.input
        guard error == nil else {
            input.counters.dropped.add(1, ordering: .relaxed)
            return
        }
        let frame = StoredFrame(
            frameIndex: input.record.frameIndexBase + ranked.frameIndex, pts: ranked.pts, capturedAt: ranked.capturedAt,
            top: ranked.top.map { ClassScore(classIndex: $0.classIndex, score: $0.probability) })
        do {
            try input.record.writer.append(frame)
        } catch LabelStoreError.invalidFrame {
            // A frame the store refuses (a non-finite score) is lost alone.
            input.counters.dropped.add(1, ordering: .relaxed)
            return
        } catch {
            self.error = error
            input.counters.dropped.add(1, ordering: .relaxed)
            stop.request(.immediate)
            return
        }
        if let best = ranked.top.first { input.record.count(topClass: best.classIndex) }
    }

    /// Flushes the input's writer; frames it could not commit are counted as dropped.
    private func close(_ input: RunningInput) {
        do {
            try input.record.writer.close()
        } catch {
            self.error = self.error ?? error
            input.counters.dropped.add(input.record.writer.uncommittedCount, ordering: .relaxed)
        }
    }
}
