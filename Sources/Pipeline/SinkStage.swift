import Foundation
import LabelStore
import Synchronization

/// What the sink keeps about one input while it runs: its source and run, the writer that stores its frames,
/// where its frame numbering starts, the names of what it scores, the tally of its top-1 classes and its
/// timeline (thumbnails and appearances, decided in frame order). Made
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
    /// The names appearances are stored under: the model's classes by index; by vocabulary (`category`, `head`),
    /// the other subjects by stored id (a head's "none of these" class has none: it gets no appearances).
    let classNames: [String]
    let subjectNames: [String: [Int64: String]]
    /// Which frames' feature vectors are stored.
    let features: FeatureStorage
    /// With `.thumbnails`: the views' features of frames whose thumbnail is not decided yet, by decoder index.
    private let undecidedFeatures = Mutex<[Int64: [(view: String, vector: [Float])]]>([:])
    private let topClassFrames = Mutex<[Int: Int]>([:])
    /// Thumbnails and appearances, decided in frame order (used by the sink's thread only).
    fileprivate let timeline: Mutex<InputTimeline>

    init(tag: InputTag, source: SourceID, run: RunID, writer: FrameWriter, frameIndexBase: Int64, pictures: FramePictures,
         classNames: [String], subjectNames: [String: [Int64: String]], features: FeatureStorage,
         timeline: sending InputTimeline)
    {
        self.tag = tag
        self.source = source
        self.run = run
        self.writer = writer
        self.frameIndexBase = frameIndexBase
        self.pictures = pictures
        self.classNames = classNames
        self.subjectNames = subjectNames
        self.features = features
        self.timeline = Mutex(timeline)
    }

    /// Top-1 classes of this run's frames with their frame counts, most frequent first.
    var topClasses: [(classIndex: Int, frames: Int)] {
        topClassFrames.withLock { $0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { (classIndex: $0.key, frames: $0.value) }
    }

    fileprivate func count(topClass: Int) {
        topClassFrames.withLock { $0[topClass, default: 0] += 1 }
    }

    /// Hands a stored frame's feature vectors to the writer (`.all`), or keeps them until its thumbnail is decided
    /// (`.thumbnails`).
    fileprivate func keepFeatures(of answers: FrameAnswers, storedIndex: Int64) {
        let vectors = answers.views.compactMap { view in view.features.map { (view: view.view, vector: $0) } }
        guard !vectors.isEmpty else { return }
        switch features {
        case .off: return
        case .all: storeFeatures(vectors, storedIndex: storedIndex)
        case .thumbnails: undecidedFeatures.withLock { $0[answers.position.frameIndex] = vectors }
        }
    }

    /// The timeline chose the frame `decoderIndex` for a thumbnail: its features are stored with it.
    fileprivate func thumbnailChosen(_ decoderIndex: Int64, storedIndex: Int64) {
        if let vectors = undecidedFeatures.withLock({ $0.removeValue(forKey: decoderIndex) }) {
            storeFeatures(vectors, storedIndex: storedIndex)
        }
    }

    /// Frames up to `decoderIndex` are decided: features still kept for them are not wanted.
    fileprivate func decided(through decoderIndex: Int64) {
        undecidedFeatures.withLock { kept in
            guard kept.keys.contains(where: { $0 <= decoderIndex }) else { return }
            kept = kept.filter { $0.key > decoderIndex }
        }
    }

    private func storeFeatures(_ vectors: [(view: String, vector: [Float])], storedIndex: Int64) {
        for (view, vector) in vectors {
            // A failed commit has been counted and reported by the writer's `onBatch`.
            try? writer.appendFeatures(vector, view: view, frameIndex: storedIndex)
        }
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
        let inFlight = position.input.framesInFlight
        inFlight.leave(position.frameIndex)
        guard let input = inputs.withLock({ $0[position.input.id] }) else { return }
        let counters = position.input.counters
        let frame = Self.storedFrame(answers, frameIndex: input.frameIndexBase + position.frameIndex)
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
        input.keepFeatures(of: answers, storedIndex: frame.frameIndex)
        guard let best = frame.top.first else { return }
        input.count(topClass: best.classIndex)
        let ordered = InputTimeline.Frame(
            decoderIndex: position.frameIndex, scored: Self.scoredFrame(answers, stored: frame, of: input),
            topClass: best.classIndex)
        record(input.timeline.withLock { $0.offer(ordered, earliestInFlight: inFlight.earliest) }, of: input)
    }

    /// The record the writer stores: the first view's top 5 (`labels`), the other views' (`view_labels`) and
    /// the category scores worth keeping (`category_scores`).
    private static func storedFrame(_ answers: FrameAnswers, frameIndex: Int64) -> StoredFrame {
        func classScores(_ scored: [ScoredClass]?) -> [ClassScore] {
            (scored ?? []).map { ClassScore(classIndex: $0.classIndex, score: $0.score) }
        }
        let position = answers.position
        return StoredFrame(
            frameIndex: frameIndex, pts: position.pts, capturedAt: position.capturedAt,
            top: classScores(answers.views.first?.answers(in: VocabularyAnswers.imageNet)),
            otherViews: answers.views.dropFirst().map {
                ViewTop(view: $0.view, top: classScores($0.answers(in: VocabularyAnswers.imageNet)))
            },
            scores: answers.views.flatMap { view in
                view.vocabularies.flatMap { vocabulary -> [SubjectScore] in
                    guard let kind = vocabulary.storedKind else { return [] }
                    return vocabulary.top.filter { $0.score >= SubjectScore.storedMinimum }
                        .map { SubjectScore(view: view.view, kind: kind, id: Int64($0.classIndex), score: $0.score) }
                }
            })
    }

    /// Every score of a stored frame with its subject's name, as the appearance tracker reads it.
    private static func scoredFrame(_ answers: FrameAnswers, stored: StoredFrame, of input: SinkInput) -> ScoredFrame {
        var scores: [(subject: AppearanceSubject, label: String, score: Float)] = []
        for view in answers.views {
            for vocabulary in view.vocabularies {
                let names = input.subjectNames[vocabulary.vocabulary]
                for answer in vocabulary.top {
                    let id = Int64(answer.classIndex)
                    let name = names.map { $0[id] } ?? input.classNames[safe: answer.classIndex]
                    guard let name else { continue }
                    scores.append((AppearanceSubject(view: view.view, vocabulary: vocabulary.vocabulary, classID: id),
                                   name, answer.score))
                }
            }
        }
        return ScoredFrame(frameIndex: stored.frameIndex, pts: stored.pts, capturedAt: stored.capturedAt, scores: scores)
    }

    private func close(_ tag: InputTag) {
        guard let input = inputs.withLock({ $0.removeValue(forKey: tag.id) }) else { return }
        record(input.timeline.withLock { $0.finish() }, of: input)
        input.thumbnailsPending.wait()
        // A failed last commit has been counted and reported by the writer's `onBatch`.
        try? input.writer.close()
        input.writerClosed.signal()
    }

    /// Hands what the input's timeline decided to the writer (appearances) and the thumbnail stage (pictures).
    private func record(_ decision: InputTimeline.Decision, of input: SinkInput) {
        for appearance in decision.appearances {
            // A failed commit has been counted and reported by the writer's `onBatch`.
            try? input.writer.appendAppearance(appearance)
        }
        for (decoderIndex, storedIndex) in decision.thumbnails {
            input.thumbnailChosen(decoderIndex, storedIndex: storedIndex)
            if input.pictures.choose(decoderIndex) {
                thumbnails.submit(ThumbnailStage.Job(input: input, frameIndex: decoderIndex, storedFrameIndex: storedIndex))
            }
        }
        if let decided = decision.decidedThrough {
            input.pictures.discard(through: decided)
            input.decided(through: decided)
        }
    }
}

extension VocabularyAnswers {
    /// Where the store keeps this vocabulary's scores beside `labels` (nil: ImageNet's, which are `labels`).
    var storedKind: SubjectScore.Kind? {
        switch vocabulary {
        case VocabularyAnswers.category: .category
        case VocabularyAnswers.head: .headClass
        default: nil
        }
    }
}

extension Array {
    /// The element at `index`, or `nil` outside the array.
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
