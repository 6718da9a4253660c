import Foundation
import LabelStore
import VideoDecoding
import Synchronization

/// Beside the sink: one thread that encodes the chosen thumbnails as JPEG (FFmpeg's MJPEG encoder) from the
/// pictures the decoder made (`FramePictures`) and adds them to their input's writer, which stores each with
/// its frame's batch. Its queue is short and drops the oldest picture when full, so thumbnails never hold up
/// the workers or the sink (dropped ones are counted).
final class ThumbnailStage: Sendable {
    /// A stored frame whose thumbnail was chosen, waiting to be encoded.
    struct Job: Sendable {
        let input: SinkInput
        /// The decoder's index of the frame (its picture's key).
        let frameIndex: Int64
        /// The frame's index as stored (the input's index base added).
        let storedFrameIndex: Int64
    }

    static let queueCapacity = 16

    private let jobs = FrameQueue<Job>()
    private let lane: FrameQueue<Job>.LaneID

    init() {
        lane = jobs.addLane(capacity: Self.queueCapacity, policy: .dropOldest)
        jobs.finish()
    }

    /// Queues a picture; pushes out (and counts) the oldest one when the queue is full.
    func submit(_ job: Job) {
        job.input.thumbnailsPending.enter()
        if let pushedOut = jobs.put(job, in: lane) {
            _ = pushedOut.input.pictures.takeChosen(pushedOut.frameIndex)
            pushedOut.input.tag.counters.thumbnailsDropped.add(1, ordering: .relaxed)
            pushedOut.input.thumbnailsPending.leave()
        }
    }

    /// Starts the encoding thread; it leaves `group` after `close()` once the queued pictures are handled.
    func start(in group: DispatchGroup) {
        group.enter()
        StageThread.start(StageThread.thumbnails) { [self] in
            let encoder = ThumbnailEncoder()
            while case let batch = jobs.take(maxCount: 1, batchDeadline: 0), !batch.isEmpty {
                for job in batch { store(job, encoder: encoder) }
            }
            group.leave()
        }
    }

    func close() {
        jobs.close(lane)
    }

    private func store(_ job: Job, encoder: ThumbnailEncoder) {
        defer { job.input.thumbnailsPending.leave() }
        do {
            guard let picture = job.input.pictures.takeChosen(job.frameIndex) else { return }
            let jpeg = try encoder.jpeg(of: picture)
            try job.input.writer.appendThumbnail(
                StoredThumbnail(width: picture.width, height: picture.height, jpeg: jpeg), frameIndex: job.storedFrameIndex)
        } catch {
            job.input.tag.counters.thumbnailsDropped.add(1, ordering: .relaxed)
        }
    }
}
