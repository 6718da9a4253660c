package import Foundation
package import LabelStore

/// One input of a running daemon as its page shows it: where it stands, what it has done, and its latest
/// thumbnail. Filled by the daemon from its supervised inputs; every text is escaped when rendered.
package struct LiveStream: Sendable {
    package var pipeline: String
    /// The input, redacted.
    package var input: String
    package var state: String
    package var labelled: Int
    package var dropped: Int
    package var lastFrameAt: Date?
    /// Seconds from the latest stored frame's arrival to its storing (live inputs).
    package var latestFrameAge: Double?
    package var lastError: String?
    /// When `lastError` happened (it stays after the input recovers).
    package var lastErrorAt: Date?
    /// When the next attempt to open the input is due, while it waits after a failure.
    package var nextAttemptAt: Date?
    package var latestThumbnail: StoredThumbnail?

    package init(pipeline: String, input: String, state: String, labelled: Int, dropped: Int, lastFrameAt: Date?,
                latestFrameAge: Double?, lastError: String?, lastErrorAt: Date?, nextAttemptAt: Date?,
                latestThumbnail: StoredThumbnail?)
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
        self.nextAttemptAt = nextAttemptAt
        self.latestThumbnail = latestThumbnail
    }
}
