import Foundation
import GoogLeNet
import LabelStore
import Synchronization
import VideoDecoding

/// An input's record in the database and what the sink keeps about it: its source and run, the writer
/// that stores its frames, where its frame numbering starts, and the tally of its top-1 classes.
/// Used by the sink's thread while the run goes on; read by the session after the sink has closed it.
final class InputRecord: Sendable {
    let source: SourceID
    let run: RunID
    let writer: FrameWriter
    /// Added to every frame index: 0 for files, one past the last stored index for a live session.
    let frameIndexBase: Int64
    private let topClassFrames = Mutex<[Int: Int]>([:])
    /// Which frames keep a thumbnail (used by the sink's thread only).
    let thumbnails: Mutex<ThumbnailSelector>

    init(source: SourceID, run: RunID, writer: FrameWriter, frameIndexBase: Int64, thumbnails: ThumbnailSelector) {
        self.source = source
        self.run = run
        self.writer = writer
        self.frameIndexBase = frameIndexBase
        self.thumbnails = Mutex(thumbnails)
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

/// What the sink does when the database refuses to store frames (disk full, read-only, locked).
public enum StoreFailurePolicy: Sendable {
    /// Stop everything: the run fails with the error (the command line).
    case stopRun
    /// Drop the frames that could not be stored (counted), report the store as down, and keep trying with
    /// the next frames, so writing resumes by itself once the database is writable again (the daemon).
    case dropAndRetry
}

/// The third stage: one thread that turns ranked frames into store records and hands them to their input's
/// `FrameWriter` (which batches them into transactions); when an input ends it closes the input's writer.
/// Only this stage knows the store's records. Batches the database refuses are counted by the writer's
/// `onBatch` (set up with the input's run), not here. It chooses the frames whose thumbnails are kept
/// (`ThumbnailSelector`) and hands their pictures to the `ThumbnailStage`, which encodes them off this thread.
final class SinkStage: Sendable {
    /// What travels from the workers to the sink: a frame, or the end of an input (after its last frame).
    enum Item: Sendable {
        case frame(RankedFrame)
        case end(RunningInput)
    }

    private let items = FrameQueue<Item>()
    private let lane: FrameQueue<Item>.LaneID
    private let heartbeat: StageHeartbeat
    private let thumbnails: ThumbnailStage

    init(capacity: Int, heartbeat: StageHeartbeat, thumbnails: ThumbnailStage) {
        self.heartbeat = heartbeat
        self.thumbnails = thumbnails
        lane = items.addLane(capacity: capacity, policy: .wait)
        items.finish()
    }

    /// Hands a labelled frame to the sink (waits while the sink's queue is full).
    func put(_ frame: RankedFrame) {
        items.put(.frame(frame), in: lane)
    }

    /// Tells the sink that `input` sends no more frames: it closes the input's writer and then signals
    /// `input.writerClosed`. Must come after the input's last frame was put.
    func end(_ input: RunningInput) {
        items.put(.end(input), in: lane)
    }

    /// Starts the sink's thread; it leaves `group` after `close()` once everything queued before is handled.
    func start(in group: DispatchGroup) {
        group.enter()
        StageThread.start(StageThread.sink) { [self] in
            while case let batch = items.take(maxCount: 256, batchDeadline: 0), !batch.isEmpty {
                for item in batch {
                    switch item {
                    case .frame(let ranked): store(ranked)
                    case .end(let input): close(input)
                    }
                    heartbeat.sinkMoved()
                }
            }
            group.leave()
        }
    }

    /// No more items will come; the thread ends after the ones queued.
    func close() {
        items.close(lane)
    }

    /// Items waiting for the sink.
    var waitingCount: Int { items.waitingCount }

    private func store(_ ranked: RankedFrame) {
        let input = ranked.input
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
            // The batch was lost with this frame in it; the writer's `onBatch` has counted and reported it.
            return
        }
        input.counters.stored(capturedAt: ranked.capturedAt)
        guard let best = ranked.top.first else { return }
        input.record.count(topClass: best.classIndex)
        if let picture = ranked.thumbnail {
            let candidate = ThumbnailSelector.Candidate(
                frameIndex: frame.frameIndex, pts: ranked.pts, topClass: best.classIndex, picture: picture)
            submitThumbnails(input.record.thumbnails.withLock { $0.offer(candidate) }, of: input)
        }
    }

    private func close(_ input: RunningInput) {
        submitThumbnails(input.record.thumbnails.withLock { $0.flush() }, of: input)
        input.thumbnailsPending.wait()
        // A failed last commit has been counted and reported by the writer's `onBatch`.
        try? input.record.writer.close()
        input.writerClosed.signal()
    }

    private func submitThumbnails(_ chosen: [ThumbnailSelector.Candidate], of input: RunningInput) {
        for candidate in chosen {
            thumbnails.submit(ThumbnailStage.Job(input: input, frameIndex: candidate.frameIndex, picture: candidate.picture))
        }
    }
}
