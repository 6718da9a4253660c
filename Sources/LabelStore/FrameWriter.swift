package import Dispatch
import Foundation

/// Stores labelled frames of one run in batched transactions on the store's single write connection (SQLite's
/// or PostgreSQL's: a `FrameBatchCommitter` writes each batch in its database's words).
///
/// A batch is committed when it holds `policy.maxFrames` frames or when its oldest frame has waited
/// `policy.maxDelay`, whichever comes first, and on `flush()`/`close()`. A frame and its labels are written in
/// the same transaction, so after a crash every stored frame has all its labels. A frame already stored for
/// the source is skipped (`INSERT ... ON CONFLICT DO NOTHING`), which makes re-storing harmless. Thumbnails
/// (`appendThumbnail`) join the batch and are written after its frames, in the same transaction. A batch whose
/// transaction fails is rolled back and discarded (nothing stored is touched); `onBatch` hears of every batch,
/// committed or lost, so callers count frames exactly, also for commits the flush timer makes.
///
/// Thread safety: every mutable property is only touched on `queue` (callers enter it with `queue.sync`, the
/// flush timer fires on it), which is why the class can be `@unchecked Sendable`.
package final class FrameWriter: @unchecked Sendable {
    /// When a batch is committed.
    package struct Policy: Sendable {
        package var maxFrames: Int
        package var maxDelay: DispatchTimeInterval
        package init(maxFrames: Int = 1_000, maxDelay: DispatchTimeInterval = .milliseconds(250)) {
            self.maxFrames = maxFrames
            self.maxDelay = maxDelay
        }
    }

    /// What became of one batch.
    package enum BatchOutcome: Sendable {
        /// Committed: `inserted` frames stored, `alreadyStored` skipped, in `duration`.
        case committed(inserted: Int, alreadyStored: Int, duration: Duration)
        /// The transaction failed (disk full, read-only, locked): its `frames` are lost, nothing else.
        case failed(frames: Int, error: any Error)
    }

    /// What the writer has committed so far.
    package struct Totals: Hashable, Sendable {
        /// Frames inserted.
        package var stored = 0
        /// Frames that were already in the database and were skipped.
        package var alreadyStored = 0
        /// Committed transactions.
        package var batches = 0
        /// Thumbnails inserted.
        package var thumbnails = 0
        /// Thumbnails skipped: their frame is not stored, or already has one.
        package var thumbnailsSkipped = 0
    }

    private let committer: any FrameBatchCommitter
    private let source: SourceID
    private let run: RunID
    private let classIndices: Set<Int>
    private let policy: Policy
    private let queue = DispatchQueue(label: "framewise.label-store.writer")
    private var pending: [StoredFrame] = []
    private var pendingThumbnails: [QueuedThumbnail] = []
    private var pendingFeatures: [QueuedFeatures] = []
    /// Appearances changed since the last batch, by key: only the latest state of each is written.
    private var pendingAppearances: [AppearanceKey: AppearanceRecord] = [:]
    private var timer: (any DispatchSourceTimer)?
    private var totals = Totals()
    private let onBatch: (@Sendable (BatchOutcome) -> Void)?

    init(committer: any FrameBatchCommitter, source: SourceID, run: RunID, classIndices: Set<Int>, policy: Policy,
         onBatch: (@Sendable (BatchOutcome) -> Void)?)
    {
        self.committer = committer
        self.source = source
        self.run = run
        self.classIndices = classIndices
        self.policy = policy
        self.onBatch = onBatch
        pending.reserveCapacity(policy.maxFrames)
    }

    deinit {
        timer?.cancel()
    }

    /// Queues `frame`; commits the batch if it is full. Throws for a frame that cannot be stored (no labels,
    /// unknown class, non-finite score) without affecting the others, and when the commit this call made failed
    /// (its batch, this frame included, is lost and reported to `onBatch`).
    package func append(_ frame: StoredFrame) throws {
        try validate(frame)
        try queue.sync {
            pending.append(frame)
            try commitIfFull()
        }
    }

    /// Queues a thumbnail of the source's frame `frameIndex`, appended earlier or in the same batch. It is
    /// written with the batch; a frame that is not stored, or already has a thumbnail, is skipped (counted).
    package func appendThumbnail(_ thumbnail: StoredThumbnail, frameIndex: Int64) throws {
        try thumbnail.validate(frameIndex: frameIndex)
        try queue.sync {
            pendingThumbnails.append((frameIndex, thumbnail))
            try commitIfFull()
        }
    }

    /// Queues the feature vector (`StoredFeatures.width` floats) of one view of the source's frame `frameIndex`,
    /// appended earlier or in the same batch; stored as half floats (`frame_features`) with the batch. A frame that
    /// is not stored, or already has that view's features, is skipped.
    package func appendFeatures(_ vector: [Float], view: String, frameIndex: Int64) throws {
        guard vector.count == StoredFeatures.width, vector.allSatisfy(\.isFinite) else {
            throw LabelStoreError.invalidFrame(
                frameIndex: frameIndex, reason: "its features are not \(StoredFeatures.width) finite numbers")
        }
        try queue.sync {
            pendingFeatures.append(QueuedFeatures(frameIndex: frameIndex, view: view, vector: VectorCoding.float16Bytes(vector)))
            try commitIfFull()
        }
    }

    /// Queues the latest state of an appearance (inserted, or updated by its key); written with the next batch,
    /// so it never refers to frames a later batch would store.
    package func appendAppearance(_ appearance: AppearanceRecord) throws {
        try queue.sync {
            pendingAppearances[AppearanceKey(appearance)] = appearance
            try commitIfFull()
        }
    }

    private func commitIfFull() throws {
        let queued = pending.count + pendingThumbnails.count + pendingFeatures.count + pendingAppearances.count
        if queued >= policy.maxFrames {
            try commitPending()
        } else if queued == 1 {
            scheduleDeadline()
        }
    }

    /// Commits the frames queued so far.
    package func flush() throws {
        try queue.sync {
            try commitPending()
        }
    }

    /// Commits what is queued and stops the timer. The writer must not be used afterwards.
    package func close() throws {
        try queue.sync {
            timer?.cancel()
            timer = nil
            try commitPending()
        }
    }

    /// Counters of what was committed.
    package var committed: Totals {
        queue.sync { totals }
    }

    private func validate(_ frame: StoredFrame) throws {
        func refuse(_ reason: String) -> LabelStoreError {
            .invalidFrame(frameIndex: frame.frameIndex, reason: reason)
        }
        guard (1...5).contains(frame.top.count) else { throw refuse("it has \(frame.top.count) labels, not 1 to 5") }
        guard frame.pts.isFinite else { throw refuse("its pts is not a finite number") }
        guard zip(frame.top, frame.top.dropFirst()).allSatisfy({ $0.score >= $1.score }) else {
            throw refuse("its labels are not sorted best first")
        }
        guard Set(frame.top.map(\.classIndex)).count == frame.top.count else { throw refuse("a class appears twice") }
        for answer in frame.top + frame.otherViews.flatMap(\.top) {
            guard classIndices.contains(answer.classIndex) else { throw refuse("unknown class \(answer.classIndex)") }
            guard answer.score.isFinite else { throw refuse("a score is not a finite number") }
        }
        guard frame.scores.allSatisfy({ $0.score.isFinite }) else { throw refuse("a category or head score is not a finite number") }
    }

    private func scheduleDeadline() {
        if timer == nil {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.setEventHandler { [weak self] in self?.deadlineReached() }
            timer.resume()
            self.timer = timer
        }
        timer?.schedule(deadline: .now() + policy.maxDelay)
    }

    private func deadlineReached() {
        // A failure here reaches the caller through `onBatch`.
        try? commitPending()
    }

    /// One transaction for the whole batch. On failure it is rolled back, and the batch is discarded and
    /// reported as lost: a database that refuses writes must not make the writer hold frames without bound.
    private func commitPending() throws {
        guard !pending.isEmpty || !pendingThumbnails.isEmpty || !pendingFeatures.isEmpty || !pendingAppearances.isEmpty
        else { return }
        let batch = pending, thumbnails = pendingThumbnails, features = pendingFeatures
        let appearances = pendingAppearances.values.sorted { $0.startFrameIndex < $1.startFrameIndex }
        pending.removeAll(keepingCapacity: true)
        pendingThumbnails.removeAll()
        pendingFeatures.removeAll()
        pendingAppearances.removeAll()
        let started = ContinuousClock.now
        let outcome: CommittedBatch
        do {
            outcome = try committer.commit(
                FrameBatch(frames: batch, thumbnails: thumbnails, features: features, appearances: appearances),
                source: source, run: run)
        } catch {
            onBatch?(.failed(frames: batch.count, error: error))
            throw error
        }
        let (stored, skipped, thumbnailsStored) = (outcome.stored, batch.count - outcome.stored, outcome.thumbnails)
        totals.stored += stored
        totals.alreadyStored += skipped
        totals.thumbnails += thumbnailsStored
        totals.thumbnailsSkipped += thumbnails.count - thumbnailsStored
        totals.batches += 1
        onBatch?(.committed(inserted: stored, alreadyStored: skipped, duration: ContinuousClock.now - started))
    }
}

/// A thumbnail queued by `FrameWriter`, with the index of the source's frame it pictures.
typealias QueuedThumbnail = (frameIndex: Int64, thumbnail: StoredThumbnail)

/// A frame's features queued by `FrameWriter`: the source's frame index, the view, the half floats.
struct QueuedFeatures {
    /// Inserts them for the source's frame of that index, unless that view's are there; the same text for both
    /// dialects. Arguments: view, vector, source id, frame index.
    static let insert = """
        INSERT INTO frame_features (frame_id, view, vector)
        SELECT id, ?, ? FROM frames WHERE source_id = ? AND frame_index = ?
        ON CONFLICT (frame_id, view) DO NOTHING
        """

    let frameIndex: Int64
    let view: String
    let vector: Data

    func arguments(source: SourceID) -> [QueryArgument] {
        [.text(view), .blob(vector), .integer(source.rawValue), .integer(frameIndex)]
    }
}

/// What identifies an appearance within its run.
private struct AppearanceKey: Hashable {
    let view: String
    let vocabulary: String
    let classID: Int64
    let startFrameIndex: Int64

    init(_ appearance: AppearanceRecord) {
        view = appearance.view
        vocabulary = appearance.vocabulary
        classID = appearance.classID
        startFrameIndex = appearance.startFrameIndex
    }
}

/// What one transaction of a writer stores: frames (each with its answers), thumbnails, then appearances.
struct FrameBatch {
    var frames: [StoredFrame]
    var thumbnails: [QueuedThumbnail]
    var features: [QueuedFeatures]
    var appearances: [AppearanceRecord]
}

/// What one committed batch inserted.
struct CommittedBatch: Equatable {
    /// Frames inserted (the others of the batch were already stored).
    var stored: Int
    /// Thumbnails inserted.
    var thumbnails: Int
}

/// Writes one batch of a run's frames (each with its answers), thumbnails and appearances in one transaction,
/// skipping frames the source already has, in the words of one database. On failure nothing of the batch is kept.
protocol FrameBatchCommitter: Sendable {
    func commit(_ batch: FrameBatch, source: SourceID, run: RunID) throws -> CommittedBatch
}
