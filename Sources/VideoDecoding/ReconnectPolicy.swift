import Foundation

/// When and how often a `FrameReader` reopens a network input that was delivering frames and then failed:
/// exponential backoff (`initialDelay` doubling up to `maximumDelay`) with random jitter, so that many
/// readers of one camera do not reconnect in lockstep. Live streams try `maximumAttempts` times (forever by
/// default); a file read over the network at most `fileAttempts` times.
package struct ReconnectPolicy: Sendable, Equatable {
    /// Attempts to reopen a network file that failed in the middle before its run fails.
    package static let fileAttempts = 5

    /// Seconds before the first attempt.
    package var initialDelay: Double
    /// The cap the doubling stops at.
    package var maximumDelay: Double
    /// Attempts before giving up (`nil`: never give up).
    package var maximumAttempts: Int?
    /// Each delay is shortened by a random fraction in `0..<jitter` (0: no jitter).
    package var jitter: Double

    package init(initialDelay: Double = 1, maximumDelay: Double = 30, maximumAttempts: Int? = nil, jitter: Double = 0.2) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
        self.jitter = jitter
    }

    /// The wait in seconds before attempt `attempt` (1-based), jitter drawn from `generator`.
    package func delay(beforeAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Double {
        let doublings = Double(min(max(attempt - 1, 0), 62))
        let backoff = min(maximumDelay, initialDelay * pow(2, doublings))
        let shortening = jitter > 0 ? Double.random(in: 0..<jitter, using: &generator) : 0
        return backoff * (1 - shortening)
    }
}
