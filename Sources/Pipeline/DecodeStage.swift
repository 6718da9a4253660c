import Foundation
import VideoDecoding

/// A frame between the decoder and the workers, carrying the input it came from.
struct PendingFrame: Sendable {
    let input: RunningInput
    let frame: SampledFrame
}

/// How one input's decoding ended.
enum DecodeOutcome: Sendable {
    case finished
    case stopped
    case failed(DecodingError)
}

/// The first stage, for one input: pulls sampled frames from the input's `FrameReader` and puts them in the
/// input's lane of the frame queue, skipping frames the database already holds (files).
///
/// The stage owns the reader and only the thread that calls `run` touches it (it publishes the reader's
/// counters to the input's atomics); `stop()` and `dropWaitingFrames()` may be called from any thread.
final class DecodeStage: @unchecked Sendable {
    private let reader: FrameReader
    private let queue: FrameQueue<PendingFrame>
    private let lane: FrameQueue<PendingFrame>.LaneID
    /// Whether a frame index is already stored (a file's earlier runs): a resumed run skips it.
    private let isStored: @Sendable (Int64) -> Bool

    init(reader: FrameReader, queue: FrameQueue<PendingFrame>, lane: FrameQueue<PendingFrame>.LaneID,
         isStored: @escaping @Sendable (Int64) -> Bool)
    {
        self.reader = reader
        self.queue = queue
        self.lane = lane
        self.isStored = isStored
    }

    /// Decodes `input` to its end (or a stop) on the calling thread, then closes the input's lane.
    func run(for input: RunningInput) -> DecodeOutcome {
        defer { queue.close(lane) }
        let counters = input.counters
        defer { publish(reader.counters, to: counters) }
        do {
            while let frame = try reader.next() {
                publish(reader.counters, to: counters)
                counters.sampled.add(1, ordering: .relaxed)
                counters.latestPts = frame.pts
                if isStored(frame.frameIndex) {
                    counters.skipped.add(1, ordering: .relaxed)
                    continue
                }
                input.framesAtWorkers.enter()
                if let pushedOut = queue.put(PendingFrame(input: input, frame: frame), in: lane) {
                    counters.dropped.add(1, ordering: .relaxed)
                    pushedOut.input.framesAtWorkers.leave()
                }
            }
            return .finished
        } catch {
            return error.kind == .cancelled ? .stopped : .failed(error)
        }
    }

    /// Stops decoding: a blocked read is interrupted, and the lane closes once the stage notices.
    func stop() {
        reader.cancellation.cancel()
    }

    /// Removes the frames still waiting in this input's lane, counting them as dropped.
    func dropWaitingFrames(of input: RunningInput) {
        let removed = queue.drain(lane)
        input.counters.dropped.add(removed.count, ordering: .relaxed)
        for _ in removed { input.framesAtWorkers.leave() }
    }

    private func publish(_ decoder: DecoderCounters, to counters: InputCounters) {
        counters.decoded.store(Int(decoder.decodedFrames), ordering: .relaxed)
        counters.reconnects.store(decoder.reconnects, ordering: .relaxed)
        counters.corruptPackets.store(Int(decoder.corruptPackets), ordering: .relaxed)
    }
}
