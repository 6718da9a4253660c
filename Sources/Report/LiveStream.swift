import Foundation
import LabelStore

/// One input of a running daemon as its page shows it: where it stands, what it has done, and its latest
/// thumbnail. Filled by the daemon from its supervised inputs; every text is escaped when rendered.
public struct LiveStream: Sendable {
    public var pipeline: String
    /// The input, redacted.
    public var input: String
    public var state: String
    public var labelled: Int
    public var dropped: Int
    public var lastFrameAt: Date?
    /// Seconds from the latest stored frame's arrival to its storing (live inputs).
    public var latestFrameAge: Double?
    public var lastError: String?
    /// When `lastError` happened (it stays after the input recovers).
    public var lastErrorAt: Date?
    public var latestThumbnail: StoredThumbnail?

    public init(pipeline: String, input: String, state: String, labelled: Int, dropped: Int, lastFrameAt: Date?,
                latestFrameAge: Double?, lastError: String?, lastErrorAt: Date?, latestThumbnail: StoredThumbnail?)
    {
        self.pipeline = pipeline
        self.input = input
        self.state = state
        self.labelled = labelled
        self.dropped = dropped
        self.lastFrameAt = lastFrameAt
        self.latestFrameAge = latestFrameAge
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.latestThumbnail = latestThumbnail
    }
}
