/// What the pipeline needs of the database it stores labels in: sources, classes, runs, resume and the
/// `FrameWriter`. `LabelStore` (an SQLite file) and `PostgresLabelStore` (a PostgreSQL server) both provide it,
/// with the same meaning; `LabelDatabaseLocation.openForWriting()` opens the one a location names.
///
/// Every method blocks its caller until the database has answered, and may be called from any thread.
public protocol LabelDatabase: Sendable {
    /// The id of `source`, inserting it the first time it is seen (identity: URI + fingerprint; see
    /// `LabelStore.register(source:)`).
    func register(source: SourceDescriptor) throws -> SourceRegistration
    /// Stores the model's classes; a database holding a different class list is refused.
    func storeClasses(_ classes: [ClassLabel]) throws
    /// Records the start of a run; earlier runs of the source still `running` are marked `interrupted`.
    func beginRun(_ settings: RunSettings) throws -> RunID
    /// Updates a running run's counters.
    func recordProgress(of run: RunID, counts: RunCounts) throws
    /// Records how a run ended (the error message is already free of secrets).
    func finishRun(_ run: RunID, status: RunStatus, counts: RunCounts, error: String?) throws
    /// The frame indices already stored for `source` (a resumed run skips them).
    func storedFrameIndices(of source: SourceID) throws -> StoredFrameIndices
    /// The decoding modes (`runs.decoding`) of the runs whose frames of `source` are stored, sorted (a file's
    /// resume checks that it decodes as they did).
    func decodingModes(ofStoredFramesOf source: SourceID) throws -> [String]
    /// One past the last stored frame index of `source` (where a live session starts numbering).
    func nextFrameIndex(of source: SourceID) throws -> Int64
    /// Deletes every stored frame of `source` (`--restart`); runs stay as history.
    func deleteFrames(of source: SourceID) throws
    /// A writer storing frames of `run` in batched, idempotent transactions; `onBatch` hears of each batch: how
    /// many frames it inserted and how many were already stored, or that the database refused it (lost).
    func makeWriter(run: RunID, policy: FrameWriter.Policy,
                    onBatch: (@Sendable (FrameWriter.BatchOutcome) -> Void)?) throws -> FrameWriter
    /// Closes the database once its writers have closed; nothing may use it afterwards. SQLite first folds its
    /// write-ahead log into the file (so the file alone holds everything, e.g. to be copied); PostgreSQL's
    /// connection is closed.
    func close() throws
}

extension LabelDatabase {
    /// Records how a run ended, without an error message.
    public func finishRun(_ run: RunID, status: RunStatus, counts: RunCounts) throws {
        try finishRun(run, status: status, counts: counts, error: nil)
    }

    /// A writer with the default batching policy.
    public func makeWriter(run: RunID,
                           onBatch: (@Sendable (FrameWriter.BatchOutcome) -> Void)? = nil) throws -> FrameWriter
    {
        try makeWriter(run: run, policy: FrameWriter.Policy(), onBatch: onBatch)
    }
}
