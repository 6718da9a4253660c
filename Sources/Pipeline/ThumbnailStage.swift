import Foundation
import LabelStore
import VideoDecoding

/// Beside the sink: one thread that encodes the chosen thumbnails as JPEG (FFmpeg's MJPEG encoder) and adds
/// them to their input's writer, which stores each with its frame's batch. Its queue is short and drops the
/// oldest picture when full, so thumbnails never hold up the workers or the sink (dropped ones are counted).
final class ThumbnailStage: Sendable {
    /// A chosen picture of a stored frame, waiting to be encoded.
    struct Job: Sendable {
        let input: RunningInput
        /// The frame's index as stored (the input's index base added).
        let frameIndex: Int64
        let picture: ThumbnailPicture
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
            pushedOut.input.counters.thumbnailsDropped.add(1, ordering: .relaxed)
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
            let jpeg = try encoder.jpeg(of: job.picture)
            try job.input.record.writer.appendThumbnail(
                StoredThumbnail(width: job.picture.width, height: job.picture.height, jpeg: jpeg), frameIndex: job.frameIndex)
        } catch {
            job.input.counters.thumbnailsDropped.add(1, ordering: .relaxed)
        }
    }
}
