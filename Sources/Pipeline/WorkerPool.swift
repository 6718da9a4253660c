import Foundation
import GoogLeNet
import Metrics
import Synchronization

/// The second stage: takes `FrameToLabel`s, emits `FrameAnswers`. N workers, each a serial Dispatch queue
/// that owns one GoogLeNet engine (one OpenMP thread each, so N workers use N cores). Serial queues get
/// threads of their own, so long-running workers never starve Dispatch's shared pool (signal handlers, the
/// writer's flush timer). Workers take frames from the frame queue — up to `batchSize` at a time, waiting at
/// most `batchDeadline` to fill a batch —, classify every view of those frames in one call, rank each view's
/// answers and hand them to the sink's queue. They may finish out of order: every frame carries its own index
/// and timestamps. All workers read one `PreparedWeights` (the weights reordered once for oneDNN). The pool
/// lives as long as its frame queue: workers leave when it is finished and drained.
final class WorkerPool: Sendable {
    static let labelsPerFrame = 5

    private let workerCount: Int
    private let batchSize: Int
    private let batchDeadline: TimeInterval
    private let weights: PreparedWeights
    private let frames: FrameQueue<FrameToLabel>
    private let sink: SinkStage
    private let heartbeat: StageHeartbeat
    /// Seconds of inference per frame.
    private let inferenceTimer: Metrics.Timer
    /// Called once, with the first error a worker meets (building its engine or running it).
    private let onFailure: @Sendable (any Error) -> Void

    init(workers: Int, batchSize: Int, batchDeadline: TimeInterval, weights: ModelWeights, numerics: EngineNumerics,
         frames: FrameQueue<FrameToLabel>, sink: SinkStage, heartbeat: StageHeartbeat, inferenceTimer: Metrics.Timer,
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
            let probabilities: [[Float]], features: [[Float]]?
            do {
                let crops = batch.flatMap { $0.views.flatMap(\.crops) }
                if batch.contains(where: { $0.position.input.scoring.needsFeatures }) {
                    let answers = try engine.classifyWithFeatures(batch: crops)
                    (probabilities, features) = (answers.map(\.probabilities), answers.map(\.features))
                } else {
                    (probabilities, features) = (try engine.classify(batch: crops), nil)
                }
            } catch {
                for frame in batch {
                    frame.position.input.counters.dropped.add(1, ordering: .relaxed)
                    frame.position.input.framesInFlight.leave(frame.position.frameIndex)
                }
                onFailure(error)
                return
            }
            heartbeat.workersMoved()
            let perFrame = (ContinuousClock.now - started) / batch.count
            var next = probabilities.startIndex
            for frame in batch {
                inferenceTimer.record(duration: perFrame)
                let views = frame.views.map { view in
                    let range = next..<next + view.crops.count
                    next += view.crops.count
                    return Self.answers(view: view.view, crops: probabilities[range], features: features?[range],
                                        scoring: frame.position.input.scoring)
                }
                sink.put(FrameAnswers(position: frame.position, views: views))
            }
        }
    }

    /// A view's answers from its crops' softmax outputs (and pool5 features, when read): the model's classes
    /// ranked by their highest probability over the crops, the input's categories and its heads on this view, and
    /// the features (the crops' mean) when the input keeps them.
    private static func answers(view: String, crops: ArraySlice<[Float]>, features: ArraySlice<[Float]>?,
                                scoring: InputScoring) -> ViewAnswers
    {
        let categories = scoring.categories
        var combined = crops.first ?? []
        for crop in crops.dropFirst() {
            for index in combined.indices where crop[index] > combined[index] { combined[index] = crop[index] }
        }
        var vocabularies = [VocabularyAnswers(
            vocabulary: VocabularyAnswers.imageNet,
            top: topClasses(labelsPerFrame, of: combined).map { ScoredClass(classIndex: $0.classIndex, score: $0.probability) })]
        if !categories.entries.isEmpty {
            vocabularies.append(VocabularyAnswers(vocabulary: VocabularyAnswers.category, top: categories.scores(of: crops)))
        }
        if let features {
            for head in scoring.heads where head.view == view {
                vocabularies.append(VocabularyAnswers(vocabulary: VocabularyAnswers.head, top: head.scores(of: features)))
            }
        }
        let kept = scoring.keepsFeatures ? features.flatMap(ViewAnswers.features(ofCrops:)) : nil
        return ViewAnswers(view: view, vocabularies: vocabularies, features: kept)
    }
}
