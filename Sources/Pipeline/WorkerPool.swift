import Foundation
import GoogLeNet
import Synchronization

/// A frame with its top-5 answers, on its way from a worker to the sink, carrying its input.
struct RankedFrame: Sendable {
    let input: RunningInput
    /// The frame's index, timestamps and answers as the decoder and the network gave them.
    let frameIndex: Int64
    let pts: Double
    let capturedAt: Date?
    let top: [RankedClass]
}

/// The second stage: N workers, each a serial Dispatch queue that owns one GoogLeNet engine (one OpenMP
/// thread each, so N workers use N cores). Serial queues get threads of their own, so long-running workers
/// never starve Dispatch's shared pool (signal handlers, the writer's flush timer). Workers take frames from
/// the frame queue — up to `batchSize` at a time, waiting at most `batchDeadline` to fill a batch — rank the
/// answers and hand them to the sink's queue. They may finish out of order: every frame carries its own index
/// and timestamps. All workers read one `PreparedWeights` (the weights reordered once for oneDNN).
final class WorkerPool: Sendable {
    static let labelsPerFrame = 5

    private let workerCount: Int
    private let batchSize: Int
    private let batchDeadline: TimeInterval
    private let weights: PreparedWeights
    private let frames: FrameQueue<PendingFrame>
    private let results: FrameQueue<RankedFrame>
    private let resultsLane: FrameQueue<RankedFrame>.LaneID
    private let stop: StopRequest
    private let firstError = Mutex<(any Error)?>(nil)

    init(workers: Int, batchSize: Int, batchDeadline: TimeInterval, weights: ModelWeights, numerics: EngineNumerics,
         frames: FrameQueue<PendingFrame>, results: FrameQueue<RankedFrame>, resultsLane: FrameQueue<RankedFrame>.LaneID,
         stop: StopRequest)
    {
        self.workerCount = workers
        self.batchSize = batchSize
        self.batchDeadline = batchDeadline
        self.weights = PreparedWeights(weights, numerics: numerics)
        self.frames = frames
        self.results = results
        self.resultsLane = resultsLane
        self.stop = stop
    }

    /// The first error any worker met (building its engine or running it); the run fails with it.
    var error: (any Error)? { firstError.withLock { $0 } }

    /// Starts the workers; each leaves `group` when the frame queue is closed and empty (or on an error, or
    /// at a stop at once).
    func start(in group: DispatchGroup) {
        for worker in 0..<workerCount {
            DispatchQueue(label: "framewise.worker.\(worker)").async(group: group) { self.work() }
        }
    }

    private func work() {
        do {
            let engine = try GoogLeNetEngine(weights: weights, batchSize: 1, threads: 1)
            while stop.level < .immediate {
                let batch = frames.take(maxCount: batchSize, batchDeadline: batchDeadline)
                if batch.isEmpty { return }
                let probabilities = try engine.classify(batch: batch.map(\.frame.tensor))
                for (pending, answers) in zip(batch, probabilities) {
                    results.put(RankedFrame(
                        input: pending.input, frameIndex: pending.frame.frameIndex, pts: pending.frame.pts,
                        capturedAt: pending.frame.capturedAt, top: topClasses(Self.labelsPerFrame, of: answers)),
                        in: resultsLane)
                }
            }
        } catch {
            firstError.withLock { if $0 == nil { $0 = error } }
            stop.request(.immediate)
        }
    }
}
