import Dispatch
import Foundation
import GRDB

/// Stores labelled frames of one run in batched transactions on the store's single write connection.
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
public final class FrameWriter: @unchecked Sendable {
    /// When a batch is committed.
    public struct Policy: Sendable {
        public var maxFrames: Int
        public var maxDelay: DispatchTimeInterval
        public init(maxFrames: Int = 1_000, maxDelay: DispatchTimeInterval = .milliseconds(250)) {
            self.maxFrames = maxFrames
            self.maxDelay = maxDelay
        }
    }

    /// What became of one batch.
    public enum BatchOutcome: Sendable {
        /// Committed: `inserted` frames stored, `alreadyStored` skipped, in `duration`.
        case committed(inserted: Int, alreadyStored: Int, duration: Duration)
        /// The transaction failed (disk full, read-only, locked): its `frames` are lost, nothing else.
        case failed(frames: Int, error: any Error)
    }

    /// What the writer has committed so far.
    public struct Totals: Hashable, Sendable {
        /// Frames inserted.
        public var stored = 0
        /// Frames that were already in the database and were skipped.
        public var alreadyStored = 0
        /// Committed transactions.
        public var batches = 0
        /// Thumbnails inserted.
        public var thumbnails = 0
        /// Thumbnails skipped: their frame is not stored, or already has one.
        public var thumbnailsSkipped = 0
    }

    private let pool: DatabasePool
    private let source: SourceID
    private let run: RunID
    private let classIndices: Set<Int>
    private let policy: Policy
    private let queue = DispatchQueue(label: "framewise.label-store.writer")
    private var pending: [StoredFrame] = []
    private var pendingThumbnails: [(frameIndex: Int64, thumbnail: StoredThumbnail)] = []
    private var timer: DispatchSourceTimer?
    private var totals = Totals()
    private let onBatch: (@Sendable (BatchOutcome) -> Void)?

    init(pool: DatabasePool, source: SourceID, run: RunID, classIndices: Set<Int>, policy: Policy,
         onBatch: (@Sendable (BatchOutcome) -> Void)?)
    {
        self.pool = pool
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
    public func append(_ frame: StoredFrame) throws {
        try validate(frame)
        try queue.sync {
            pending.append(frame)
            try commitIfFull()
        }
    }

    /// Queues a thumbnail of the source's frame `frameIndex`, appended earlier or in the same batch. It is
    /// written with the batch; a frame that is not stored, or already has a thumbnail, is skipped (counted).
    public func appendThumbnail(_ thumbnail: StoredThumbnail, frameIndex: Int64) throws {
        try thumbnail.validate(frameIndex: frameIndex)
        try queue.sync {
            pendingThumbnails.append((frameIndex, thumbnail))
            try commitIfFull()
        }
    }

    private func commitIfFull() throws {
        let queued = pending.count + pendingThumbnails.count
        if queued >= policy.maxFrames {
            try commitPending()
        } else if queued == 1 {
            scheduleDeadline()
        }
    }

    /// Commits the frames queued so far.
    public func flush() throws {
        try queue.sync {
            try commitPending()
        }
    }

    /// Commits what is queued and stops the timer. The writer must not be used afterwards.
    public func close() throws {
        try queue.sync {
            timer?.cancel()
            timer = nil
            try commitPending()
        }
    }

    /// Counters of what was committed.
    public var committed: Totals {
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
        for answer in frame.top {
            guard classIndices.contains(answer.classIndex) else { throw refuse("unknown class \(answer.classIndex)") }
            guard answer.score.isFinite else { throw refuse("a score is not a finite number") }
        }
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
        guard !pending.isEmpty || !pendingThumbnails.isEmpty else { return }
        let batch = pending, thumbnails = pendingThumbnails
        pending.removeAll(keepingCapacity: true)
        pendingThumbnails.removeAll()
        let started = ContinuousClock.now
        let (stored, skipped, thumbnailsStored): (Int, Int, Int)
        do {
            (stored, skipped, thumbnailsStored) = try pool.write { db in
                let (stored, skipped) = try Self.insert(batch, source: source, run: run, db: db)
                return (stored, skipped, try Self.insert(thumbnails, source: source, db: db))
            }
        } catch {
            onBatch?(.failed(frames: batch.count, error: error))
            throw error
        }
        totals.stored += stored
        totals.alreadyStored += skipped
        totals.thumbnails += thumbnailsStored
        totals.thumbnailsSkipped += thumbnails.count - thumbnailsStored
        totals.batches += 1
        onBatch?(.committed(inserted: stored, alreadyStored: skipped, duration: ContinuousClock.now - started))
    }

    /// Inserts each thumbnail for the source's frame of that index; returns how many were inserted.
    private static func insert(_ thumbnails: [(frameIndex: Int64, thumbnail: StoredThumbnail)], source: SourceID,
                               db: Database) throws -> Int
    {
        guard !thumbnails.isEmpty else { return 0 }
        let insertThumbnail = try db.cachedStatement(sql: """
            INSERT INTO thumbnails (frame_id, width, height, jpeg)
            SELECT id, ?, ?, ? FROM frames WHERE source_id = ? AND frame_index = ?
            ON CONFLICT (frame_id) DO NOTHING
            """)
        var inserted = 0
        for (frameIndex, thumbnail) in thumbnails {
            insertThumbnail.setUncheckedArguments([
                thumbnail.width, thumbnail.height, thumbnail.jpeg, source.rawValue, frameIndex,
            ])
            try insertThumbnail.execute()
            inserted += db.changesCount
        }
        return inserted
    }

    private static func insert(_ batch: [StoredFrame], source: SourceID, run: RunID, db: Database) throws
        -> (stored: Int, skipped: Int)
    {
        let insertFrame = try db.cachedStatement(sql: """
            INSERT INTO frames (source_id, run_id, frame_index, pts, captured_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (source_id, frame_index) DO NOTHING
            """)
        let insertLabel = try db.cachedStatement(
            sql: "INSERT INTO labels (frame_id, rank, class_index, score) VALUES (?, ?, ?, ?)")
        var stored = 0
        for frame in batch {
            insertFrame.setUncheckedArguments([
                source.rawValue, run.rawValue, frame.frameIndex, frame.pts, frame.capturedAt?.timeIntervalSince1970,
            ])
            try insertFrame.execute()
            guard db.changesCount == 1 else { continue }
            let frameID = db.lastInsertedRowID
            for (position, answer) in frame.top.enumerated() {
                insertLabel.setUncheckedArguments([frameID, position + 1, answer.classIndex, Double(answer.score)])
                try insertLabel.execute()
            }
            stored += 1
        }
        return (stored, batch.count - stored)
    }
}
