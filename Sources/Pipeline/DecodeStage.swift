import Foundation
import LabelStore
import VideoDecoding

/// A frame between the decoder and the workers, tagged with the input it came from.
struct PendingFrame: Sendable {
    let input: Int
    let frame: SampledFrame
}

/// How one input's decoding ended.
enum DecodeOutcome: Sendable {
    case finished
    case stopped
    case failed(DecodingError)
}

/// The first stage, for one input: a dedicated thread pulls sampled frames from the input's `FrameReader`
/// and puts them in the input's lane of the frame queue, skipping frames the database already holds.
///
/// The stage owns the reader and only its thread touches it; `stop()` may be called from any thread.
final class DecodeStage: @unchecked Sendable {
    let input: Int
    private let reader: FrameReader
    private let queue: FrameQueue<PendingFrame>
    private let lane: FrameQueue<PendingFrame>.LaneID
    private let alreadyStored: StoredFrameIndices
    private let counters: InputCounters
    /// Written by the stage's thread before it leaves the group; read only after the group is waited for.
    private(set) var outcome: DecodeOutcome = .finished

    init(input: Int, reader: FrameReader, queue: FrameQueue<PendingFrame>, lane: FrameQueue<PendingFrame>.LaneID,
         alreadyStored: StoredFrameIndices, counters: InputCounters)
    {
        self.input = input
        self.reader = reader
        self.queue = queue
        self.lane = lane
        self.alreadyStored = alreadyStored
        self.counters = counters
    }

    /// Starts decoding on a thread of its own, which leaves `group` when the input is done.
    func start(in group: DispatchGroup) {
        group.enter()
        let thread = Thread { [self] in
            outcome = decodeAll()
            queue.close(lane)
            group.leave()
        }
        thread.name = "framewise.decode.\(input)"
        thread.start()
    }

    /// Stops decoding: a blocked read is interrupted, and the lane closes once the stage notices.
    func stop() {
        reader.cancellation.cancel()
    }

    /// Drops the frames still waiting in this input's lane and counts them.
    func dropWaitingFrames() {
        let dropped = queue.drain(lane).count
        counters.dropped.add(dropped, ordering: .relaxed)
    }

    /// Frames the decoder produced (sampled or not), for the run's record.
    var decoderCounters: DecoderCounters { reader.counters }

    private func decodeAll() -> DecodeOutcome {
        do {
            while let frame = try reader.next() {
                if alreadyStored.contains(frame.frameIndex) {
                    counters.skipped.add(1, ordering: .relaxed)
                    continue
                }
                counters.sampled.add(1, ordering: .relaxed)
                counters.latestPts = frame.pts
                if queue.put(PendingFrame(input: input, frame: frame), in: lane) != nil {
                    counters.dropped.add(1, ordering: .relaxed)
                }
            }
            return .finished
        } catch {
            return error.kind == .cancelled ? .stopped : .failed(error)
        }
    }
}
