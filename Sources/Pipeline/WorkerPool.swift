import Foundation
import GoogLeNet
import LabelStore
import Synchronization

/// A frame with its top-5 answers, on its way from a worker to the sink.
struct LabelledFrame: Sendable {
    let input: Int
    let frame: StoredFrame
}

/// The second stage: N workers, each a serial Dispatch queue that owns one GoogLeNet engine (one OpenMP
/// thread each, so N workers use N cores). Serial queues get threads of their own, so long-running workers
/// never starve Dispatch's shared pool (signal handlers, the writer's flush timer). Workers take frames from
/// the frame queue — up to `batchSize` at a time, waiting at most `batchDeadline` to fill a batch — and hand
/// labelled frames to the sink's queue. They may finish out of order: every frame carries its own index and
/// timestamps. All workers read one `PreparedWeights` (the weights reordered once for oneDNN).
final class WorkerPool: Sendable {
    static let labelsPerFrame = 5

    private let workerCount: Int
    private let batchSize: Int
    private let batchDeadline: TimeInterval
    private let weights: PreparedWeights
    private let frames: FrameQueue<PendingFrame>
    private let results: FrameQueue<LabelledFrame>
    private let resultsLane: FrameQueue<LabelledFrame>.LaneID
    private let stop: StopRequest
    private let firstError = Mutex<(any Error)?>(nil)

    init(workers: Int, batchSize: Int, batchDeadline: TimeInterval, weights: ModelWeights, numerics: EngineNumerics,
         frames: FrameQueue<PendingFrame>, results: FrameQueue<LabelledFrame>, resultsLane: FrameQueue<LabelledFrame>.LaneID,
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

    /// Starts the workers; each leaves `group` when the frame queue is closed and empty (or on an error).
    func start(in group: DispatchGroup) {
        for worker in 0..<workerCount {
            DispatchQueue(label: "framewise.worker.\(worker)").async(group: group) { self.work() }
        }
    }

    private func work() {
        do {
            let engine = try GoogLeNetEngine(weights: weights, batchSize: batchSize, threads: 1)
            var batchInput = [Float](repeating: 0, count: engine.inputElementCount)
            while stop.level < .immediate {
                let batch = frames.take(maxCount: batchSize, batchDeadline: batchDeadline)
                if batch.isEmpty { return }
                let probabilities = try classify(batch, with: engine, buffer: &batchInput)
                for (slot, pending) in batch.enumerated() {
                    let start = slot * GoogLeNetArchitecture.classCount
                    let top = topClasses(Self.labelsPerFrame, of: probabilities[start..<start + GoogLeNetArchitecture.classCount])
                    let frame = StoredFrame(
                        frameIndex: pending.frame.frameIndex, pts: pending.frame.pts, capturedAt: pending.frame.capturedAt,
                        top: top.map { ClassScore(classIndex: $0.classIndex, score: $0.probability) })
                    results.put(LabelledFrame(input: pending.input, frame: frame), in: resultsLane)
                }
            }
        } catch {
            firstError.withLock { if $0 == nil { $0 = error } }
            stop.request(.immediate)
        }
    }

    /// Runs one batch; a short batch is padded with zeros (its extra answers are ignored).
    private func classify(_ batch: [PendingFrame], with engine: GoogLeNetEngine, buffer: inout [Float]) throws -> [Float] {
        if batchSize == 1 { return try engine.classify(batch[0].frame.tensor) }
        let stride = GoogLeNetArchitecture.input.elementCount
        buffer.withUnsafeMutableBufferPointer { destination in
            for (slot, pending) in batch.enumerated() {
                pending.frame.tensor.withUnsafeBufferPointer { source in
                    _ = UnsafeMutableBufferPointer(rebasing: destination[slot * stride..<(slot + 1) * stride])
                        .initialize(from: source)
                }
            }
            if batch.count < batchSize {
                destination[batch.count * stride..<batchSize * stride].update(repeating: 0)
            }
        }
        return try engine.classify(buffer)
    }
}
