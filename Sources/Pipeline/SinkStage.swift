import Foundation
import LabelStore
import Synchronization

/// What the sink keeps about one input while it runs: its source and run, the writer that stores its frames,
/// where its frame numbering starts, the tally of its top-1 classes and the choice of its thumbnails. Made
/// by the input's `InputSession` when it opens, used by the sink's thread, read by the session after the
/// sink has closed it.
final class SinkInput: Sendable {
    let tag: InputTag
    let source: SourceID
    let run: RunID
    let writer: FrameWriter
    /// Added to every frame index: 0 for files, one past the last stored index for a live session.
    let frameIndexBase: Int64
    /// The pictures the decoder made of this input's frames, for the thumbnails chosen here.
    let pictures: FramePictures
    /// Thumbnails chosen and not yet stored by the thumbnail stage (or dropped); the sink waits for it before
    /// closing the writer.
    let thumbnailsPending = DispatchGroup()
    /// Signalled by the sink once the writer is closed: every frame of the input is stored or counted.
    let writerClosed = DispatchSemaphore(value: 0)
    private let topClassFrames = Mutex<[Int: Int]>([:])
    /// Which frames keep a thumbnail (used by the sink's thread only).
    fileprivate let thumbnails: Mutex<ThumbnailSelector>

    init(tag: InputTag, source: SourceID, run: RunID, writer: FrameWriter, frameIndexBase: Int64, pictures: FramePictures,
         thumbnails: ThumbnailSelector)
    {
        self.tag = tag
        self.source = source
        self.run = run
        self.writer = writer
        self.frameIndexBase = frameIndexBase
        self.pictures = pictures
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
package enum StoreFailurePolicy: Sendable {
    /// Stop everything: the run fails with the error (the command line).
    case stopRun
    /// Drop the frames that could not be stored (counted), report the store as down, and keep trying with
    /// the next frames, so writing resumes by itself once the database is writable again (the daemon).
    case dropAndRetry
}

/// The third stage: takes `FrameAnswers`, emits store records. One thread that turns each frame's answers
/// into a `StoredFrame` for its input's `FrameWriter` (which batches them into transactions); when an input
/// ends it closes the input's writer. Only this stage (with the `InputSession` that opens and records runs)
/// knows the store. Batches the database refuses are counted by the writer's `onBatch` (set up with the
/// input's run), not here. It chooses the frames whose thumbnails are kept (`ThumbnailSelector`) and hands
/// them to the `ThumbnailStage`, which encodes the decoder's pictures off this thread.
final class SinkStage: Sendable {
    /// What travels from the workers to the sink: a frame, or the end of an input (after its last frame).
    private enum Item: Sendable {
        case frame(FrameAnswers)
        case end(InputTag)
    }

    private let items = FrameQueue<Item>()
    private let lane: FrameQueue<Item>.LaneID
    private let heartbeat: StageHeartbeat
    private let thumbnails: ThumbnailStage
    /// The inputs open, by tag id.
    private let inputs = Mutex<[Int: SinkInput]>([:])

    init(capacity: Int, heartbeat: StageHeartbeat, thumbnails: ThumbnailStage) {
        self.heartbeat = heartbeat
        self.thumbnails = thumbnails
        lane = items.addLane(capacity: capacity, policy: .wait)
        items.finish()
    }

    /// Makes `input`'s frames storable: must come before its first frame.
    func register(_ input: SinkInput) {
        inputs.withLock { $0[input.tag.id] = input }
    }

    /// Forgets an input none of whose frames was put (it was opened but will not run).
    func unregister(_ input: InputTag) {
        _ = inputs.withLock { $0.removeValue(forKey: input.id) }
    }

    /// Hands a labelled frame to the sink (waits while the sink's queue is full).
    func put(_ frame: FrameAnswers) {
        items.put(.frame(frame), in: lane)
    }

    /// Tells the sink that `input` sends no more frames: it closes the input's writer and then signals the
    /// input's `writerClosed`. Must come after the input's last frame was put.
    func end(_ input: InputTag) {
        items.put(.end(input), in: lane)
    }

    /// Starts the sink's thread; it leaves `group` after `close()` once everything queued before is handled.
    func start(in group: DispatchGroup) {
        group.enter()
        StageThread.start(StageThread.sink) { [self] in
            while case let batch = items.take(maxCount: 256, batchDeadline: 0), !batch.isEmpty {
                for item in batch {
                    switch item {
                    case .frame(let answers): store(answers)
                    case .end(let tag): close(tag)
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

    private func store(_ answers: FrameAnswers) {
        let position = answers.position
        guard let input = inputs.withLock({ $0[position.input.id] }) else { return }
        let counters = position.input.counters
        let top = answers.defaultAnswers
        let frame = StoredFrame(
            frameIndex: input.frameIndexBase + position.frameIndex, pts: position.pts, capturedAt: position.capturedAt,
            top: top.map { ClassScore(classIndex: $0.classIndex, score: $0.score) })
        do {
            try input.writer.append(frame)
        } catch LabelStoreError.invalidFrame {
            // A frame the store refuses (a non-finite score) is lost alone.
            counters.dropped.add(1, ordering: .relaxed)
            return
        } catch {
            // The batch was lost with this frame in it; the writer's `onBatch` has counted and reported it.
            return
        }
        counters.stored(capturedAt: position.capturedAt)
        guard let best = top.first else { return }
        input.count(topClass: best.classIndex)
        let candidate = ThumbnailSelector.Candidate(frameIndex: position.frameIndex, pts: position.pts, topClass: best.classIndex)
        let decision = input.thumbnails.withLock { $0.offer(candidate) }
        keepThumbnails(decision, of: input)
    }

    private func close(_ tag: InputTag) {
        guard let input = inputs.withLock({ $0.removeValue(forKey: tag.id) }) else { return }
        keepThumbnails(input.thumbnails.withLock { $0.flush() }, of: input)
        input.thumbnailsPending.wait()
        // A failed last commit has been counted and reported by the writer's `onBatch`.
        try? input.writer.close()
        input.writerClosed.signal()
    }

    private func keepThumbnails(_ decision: ThumbnailSelector.Decision, of input: SinkInput) {
        for candidate in decision.kept where input.pictures.choose(candidate.frameIndex) {
            thumbnails.submit(ThumbnailStage.Job(
                input: input, frameIndex: candidate.frameIndex,
                storedFrameIndex: input.frameIndexBase + candidate.frameIndex))
        }
        if let decided = decision.decidedThrough { input.pictures.discard(through: decided) }
    }
}
