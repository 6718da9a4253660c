import Foundation
import GoogLeNet
import Metrics
import VideoDecoding

/// A frame with its top-5 answers, on its way from a worker to the sink, carrying its input.
struct RankedFrame: Sendable {
    let input: RunningInput
    /// The frame's index, timestamps and answers as the decoder and the network gave them.
    let frameIndex: Int64
    let pts: Double
    let capturedAt: Date?
    let top: [RankedClass]
    /// The decoder's small copy of the frame, for the sink's thumbnail choice.
    let thumbnail: ThumbnailPicture?
}

/// The second stage: N workers, each a serial Dispatch queue that owns one GoogLeNet engine (one OpenMP
/// thread each, so N workers use N cores). Serial queues get threads of their own, so long-running workers
/// never starve Dispatch's shared pool (signal handlers, the writer's flush timer). Workers take frames from
/// the frame queue — up to `batchSize` at a time, waiting at most `batchDeadline` to fill a batch — rank the
/// answers and hand them to the sink's queue. They may finish out of order: every frame carries its own index
/// and timestamps. All workers read one `PreparedWeights` (the weights reordered once for oneDNN). The pool
/// lives as long as its frame queue: workers leave when it is finished and drained.
final class WorkerPool: Sendable {
    static let labelsPerFrame = 5

    private let workerCount: Int
    private let batchSize: Int
    private let batchDeadline: TimeInterval
    private let weights: PreparedWeights
    private let frames: FrameQueue<PendingFrame>
    private let sink: SinkStage
    private let heartbeat: StageHeartbeat
    /// Seconds of inference per frame.
    private let inferenceTimer: Metrics.Timer
    /// Called once, with the first error a worker meets (building its engine or running it).
    private let onFailure: @Sendable (any Error) -> Void

    init(workers: Int, batchSize: Int, batchDeadline: TimeInterval, weights: ModelWeights, numerics: EngineNumerics,
         frames: FrameQueue<PendingFrame>, sink: SinkStage, heartbeat: StageHeartbeat, inferenceTimer: Metrics.Timer,
         onFailure: @escaping @Sendable (any Error) -> Void)
    {
        self.workerCount = workers
        self.batchSize = batchSize
        self.batchDeadline = batchDeadline
        self.weights = PreparedWeights(weights, numerics: numerics)
        self.frames = frames
        self.sink = sink
        self.heartbeat = heartbeat
        self.inferenceTimer = inferenceTimer
        self.onFailure = onFailure
    }

    /// Starts the workers; each leaves `group` when the frame queue is finished and drained, or on an error.
    func start(in group: DispatchGroup) {
        for worker in 0..<workerCount {
            DispatchQueue(label: "framewise.worker.\(worker)").async(group: group) {
                StageThread.nameCurrentThread(StageThread.worker(worker))
                self.work()
            }
        }
    }

    private func work() {
        let engine: GoogLeNetEngine
        do {
            engine = try GoogLeNetEngine(weights: weights, batchSize: 1, threads: 1)
        } catch {
            onFailure(error)
            return
        }
        while case let batch = frames.take(maxCount: batchSize, batchDeadline: batchDeadline), !batch.isEmpty {
            let started = ContinuousClock.now
            let probabilities: [[Float]]
            do {
                probabilities = try engine.classify(batch: batch.map(\.frame.tensor))
            } catch {
                for pending in batch {
                    pending.input.counters.dropped.add(1, ordering: .relaxed)
                    pending.input.framesAtWorkers.leave()
                }
                onFailure(error)
                return
            }
            heartbeat.workersMoved()
            let perFrame = (ContinuousClock.now - started) / batch.count
            for (pending, answers) in zip(batch, probabilities) {
                inferenceTimer.record(duration: perFrame)
                sink.put(RankedFrame(
                    input: pending.input, frameIndex: pending.frame.frameIndex, pts: pending.frame.pts,
                    capturedAt: pending.frame.capturedAt, top: topClasses(Self.labelsPerFrame, of: answers),
                    thumbnail: pending.frame.thumbnail))
                pending.input.framesAtWorkers.leave()
            }
        }
    }
}
