import Foundation
import LabelStore

/// When an appearance opens and ends (per pipeline: `appearances:`). It opens when a class's score reaches
/// `enter` on `frames` consecutive sampled frames (its start is the first of them), stays open while the score
/// stays above `exit`, bridges stretches below `exit` of up to `gap` seconds, and ends at its last frame above
/// `exit`. Defaults and how they were chosen: docs/measurements.md ("Appearances").
package struct AppearanceThresholds: Sendable, Equatable {
    package var enter: Float
    package var exit: Float
    package var frames: Int
    package var gap: Double

    package init(enter: Float = 0.5, exit: Float = 0.25, frames: Int = 2, gap: Double = 2) {
        self.enter = enter
        self.exit = exit
        self.frames = frames
        self.gap = gap
    }

    /// Why these thresholds cannot work together, in words; `nil` when they can (each value's range is
    /// checked where it is read, against `OptionLimits`).
    package var conflict: String? {
        exit > enter ? "exit (\(exit)) must not be above enter (\(enter))" : nil
    }
}

/// A class scored in one view: what an appearance is of.
struct AppearanceSubject: Hashable {
    let view: String
    /// `imagenet` or `category`.
    let vocabulary: String
    let classID: Int64
}

/// One labelled frame as the appearance tracker reads it, in frame order.
struct ScoredFrame {
    /// The source's frame index (a live session's base added).
    let frameIndex: Int64
    let pts: Double
    let capturedAt: Date?
    /// Every score the frame has, with its subject's name.
    let scores: [(subject: AppearanceSubject, label: String, score: Float)]
}

/// Keeps one input's appearances as its frames arrive in frame order: candidates (scores at `enter` on fewer than
/// `frames` frames so far) and open appearances, several at once. Each frame returns the appearances it changed
/// (opened, extended or closed) for the writer, and the first frames of those that opened (an appearance's
/// thumbnail is its first frame, whose picture waits while it is a candidate). Owned by the sink's thread.
struct AppearanceTracker {
    private struct Candidate {
        var first: ScoredFrame
        var label: String
        var streak: Int
        var peak: Float
        var sum: Double
    }

    private let thresholds: AppearanceThresholds
    private var candidates: [AppearanceSubject: Candidate] = [:]
    private var open: [AppearanceSubject: AppearanceRecord] = [:]

    init(thresholds: AppearanceThresholds) {
        self.thresholds = thresholds
    }

    /// The first frame of the earliest candidate: its picture may still become a thumbnail.
    var earliestCandidateStart: Int64? {
        candidates.values.map(\.first.frameIndex).min()
    }

    /// Reads the next frame in order.
    mutating func observe(_ frame: ScoredFrame) -> (changed: [AppearanceRecord], openedAt: [Int64]) {
        var changed: [AppearanceRecord] = []
        var openedAt: [Int64] = []
        var seen = Set<AppearanceSubject>()
        for (subject, label, score) in frame.scores {
            seen.insert(subject)
            if var appearance = open[subject] {
                if score > thresholds.exit {
                    extend(&appearance, to: frame, score: score)
                    open[subject] = appearance
                    changed.append(appearance)
                } else if let closed = closeIfGapTooLong(subject, at: frame) {
                    changed.append(closed)
                }
                continue
            }
            guard score >= thresholds.enter else {
                candidates[subject] = nil
                continue
            }
            var candidate = candidates[subject]
                ?? Candidate(first: frame, label: label, streak: 0, peak: 0, sum: 0)
            candidate.streak += 1
            candidate.peak = max(candidate.peak, score)
            candidate.sum += Double(score)
            if candidate.streak >= thresholds.frames {
                candidates[subject] = nil
                var appearance = AppearanceRecord(
                    view: subject.view, vocabulary: subject.vocabulary, classID: subject.classID, label: candidate.label,
                    startFrameIndex: candidate.first.frameIndex, startPts: candidate.first.pts,
                    startCapturedAt: candidate.first.capturedAt)
                appearance.endFrameIndex = frame.frameIndex
                appearance.endPts = frame.pts
                appearance.endCapturedAt = frame.capturedAt
                appearance.peakScore = candidate.peak
                appearance.scoreSum = candidate.sum
                appearance.frames = candidate.streak
                appearance.thumbnailFrameIndex = candidate.first.frameIndex
                open[subject] = appearance
                changed.append(appearance)
                openedAt.append(candidate.first.frameIndex)
            } else {
                candidates[subject] = candidate
            }
        }
        // Subjects this frame did not score at all (out of a view's top 5): below every threshold.
        for subject in candidates.keys where !seen.contains(subject) { candidates[subject] = nil }
        for subject in open.keys where !seen.contains(subject) {
            if let closed = closeIfGapTooLong(subject, at: frame) { changed.append(closed) }
        }
        return (changed, openedAt)
    }

    /// Closes every open appearance at its last frame above `exit` (the input ended).
    mutating func finish() -> [AppearanceRecord] {
        defer {
            open = [:]
            candidates = [:]
        }
        return open.values.map { appearance in
            var closed = appearance
            closed.isOpen = false
            return closed
        }
    }

    private func extend(_ appearance: inout AppearanceRecord, to frame: ScoredFrame, score: Float) {
        appearance.endFrameIndex = frame.frameIndex
        appearance.endPts = frame.pts
        appearance.endCapturedAt = frame.capturedAt
        appearance.peakScore = max(appearance.peakScore, score)
        appearance.scoreSum += Double(score)
        appearance.frames += 1
    }

    /// An open appearance whose score is not above `exit` on `frame`: closed if the stretch below has passed `gap`.
    private mutating func closeIfGapTooLong(_ subject: AppearanceSubject, at frame: ScoredFrame) -> AppearanceRecord? {
        guard var appearance = open[subject], frame.pts - appearance.endPts > thresholds.gap else { return nil }
        appearance.isOpen = false
        open[subject] = nil
        return appearance
    }
}
