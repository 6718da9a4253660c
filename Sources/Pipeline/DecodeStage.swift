import Foundation
import VideoDecoding
import Synchronization

/// How one input's decoding ended.
enum DecodeOutcome: Sendable {
    case finished
    case stopped
    case failed(DecodingError)
}

/// The first stage, for one input: pulls sampled frames from the input's `FrameReader`, skips frames the
/// database already holds (files), hands each frame's picture to the input's `FramePictures` and its views to
/// the workers as a `FrameToLabel` in the input's lane of the frame queue.
///
/// The stage owns the reader and only the thread that calls `run` touches it (it publishes the reader's
/// counters to the input's atomics); `stop()` and `dropWaitingFrames()` may be called from any thread.
final class DecodeStage: @unchecked Sendable {
    private let reader: FrameReader
    private let input: InputTag
    private let queue: FrameQueue<FrameToLabel>
    private let lane: FrameQueue<FrameToLabel>.LaneID
    private let pictures: FramePictures
    /// Whether a frame index is already stored (a file's earlier runs): a resumed run skips it.
    private let isStored: @Sendable (Int64) -> Bool

    init(reader: FrameReader, input: InputTag, queue: FrameQueue<FrameToLabel>, lane: FrameQueue<FrameToLabel>.LaneID,
         pictures: FramePictures, isStored: @escaping @Sendable (Int64) -> Bool)
    {
        self.reader = reader
        self.input = input
        self.queue = queue
        self.lane = lane
        self.pictures = pictures
        self.isStored = isStored
    }

    /// Decodes the input to its end (or a stop) on the calling thread, then closes the input's lane.
    func run() -> DecodeOutcome {
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
                if let picture = frame.thumbnail { pictures.add(picture, of: frame.frameIndex) }
                input.framesInFlight.enter(frame.frameIndex)
                let toLabel = FrameToLabel(
                    position: FramePosition(input: input, frameIndex: frame.frameIndex, pts: frame.pts, capturedAt: frame.capturedAt),
                    views: frame.views.map { ViewTensor(view: $0.name, crops: $0.crops) })
                if let pushedOut = queue.put(toLabel, in: lane) {
                    counters.dropped.add(1, ordering: .relaxed)
                    pushedOut.position.input.framesInFlight.leave(pushedOut.position.frameIndex)
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
    func dropWaitingFrames() {
        let removed = queue.drain(lane)
        input.counters.dropped.add(removed.count, ordering: .relaxed)
        for frame in removed { input.framesInFlight.leave(frame.position.frameIndex) }
    }

    private func publish(_ decoder: DecoderCounters, to counters: InputCounters) {
        counters.decoded.store(Int(decoder.decodedFrames), ordering: .relaxed)
        counters.reconnects.store(decoder.reconnects, ordering: .relaxed)
        counters.corruptPackets.store(Int(decoder.corruptPackets), ordering: .relaxed)
    }
}
