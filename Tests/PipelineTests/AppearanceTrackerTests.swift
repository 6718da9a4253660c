import Foundation
import LabelStore
import Testing
@testable import Pipeline

/// The hysteresis of appearances, frame by frame: enter on N consecutive frames, stay above exit, bridge short gaps.
@Suite struct AppearanceTrackerTests {
    private let dog = AppearanceSubject(view: "center", vocabulary: "category", classID: 1)
    private let car = AppearanceSubject(view: "center", vocabulary: "category", classID: 2)

    /// Feeds one frame a second with the given scores (nil: not scored) and returns the last state of every
    /// appearance by its start, after the input ends.
    private func appearances(_ thresholds: AppearanceThresholds, dog dogScores: [Float?], car carScores: [Float?] = [])
        -> [AppearanceRecord]
    {
        var tracker = AppearanceTracker(thresholds: thresholds)
        var latest: [String: AppearanceRecord] = [:]
        func keep(_ records: [AppearanceRecord]) {
            for record in records { latest["\(record.classID)/\(record.startFrameIndex)"] = record }
        }
        for index in 0..<max(dogScores.count, carScores.count) {
            var scores: [(subject: AppearanceSubject, label: String, score: Float)] = []
            if let score = dogScores[safe: index] ?? nil { scores.append((dog, "dog", score)) }
            if let score = carScores[safe: index] ?? nil { scores.append((car, "car", score)) }
            keep(tracker.observe(ScoredFrame(frameIndex: Int64(index), pts: Double(index), capturedAt: nil, scores: scores)).changed)
        }
        keep(tracker.finish())
        return latest.values.sorted { ($0.classID, $0.startFrameIndex) < ($1.classID, $1.startFrameIndex) }
    }

    @Test("opens after N frames at enter (starting at the first), ends at the last frame above exit")
    func opensAndCloses() {
        let found = appearances(AppearanceThresholds(enter: 0.5, exit: 0.3, frames: 2, gap: 0),
                                dog: [0.1, 0.6, 0.7, 0.4, 0.35, 0.2, 0.1, 0.1])
        #expect(found.count == 1)
        let dog = found[0]
        #expect(dog.startFrameIndex == 1 && dog.endFrameIndex == 4)
        #expect(dog.frames == 4 && dog.peakScore == 0.7 && !dog.isOpen)
        #expect(abs(dog.scoreSum / Double(dog.frames) - 0.5125) < 1e-6)
        #expect(dog.thumbnailFrameIndex == 1)
    }

    @Test("a single confident frame, or a flicker below enter, is no appearance")
    func flickersAreNotAppearances() {
        let thresholds = AppearanceThresholds(enter: 0.5, exit: 0.3, frames: 2, gap: 5)
        #expect(appearances(thresholds, dog: [0.9, 0.1, 0.9, 0.1, 0.45, 0.45, 0.45]).isEmpty)
        #expect(appearances(thresholds, dog: [0.9, nil, 0.9]).isEmpty)
    }

    @Test("a gap up to G seconds is bridged; a longer one ends the appearance")
    func gaps() {
        let short = appearances(AppearanceThresholds(enter: 0.5, exit: 0.3, frames: 1, gap: 2),
                                dog: [0.8, 0.8, 0.1, nil, 0.6, 0.2])
        #expect(short.map { [$0.startFrameIndex, $0.endFrameIndex] } == [[0, 4]])
        let long = appearances(AppearanceThresholds(enter: 0.5, exit: 0.3, frames: 1, gap: 2),
                               dog: [0.8, 0.8, 0.1, nil, 0.1, 0.6, 0.2])
        #expect(long.map { [$0.startFrameIndex, $0.endFrameIndex] } == [[0, 1], [5, 5]])
    }

    @Test("several classes are open at once, each with its own span")
    func several() {
        let found = appearances(AppearanceThresholds(enter: 0.4, exit: 0.2, frames: 1, gap: 0),
                                dog: [0.5, 0.5, 0.5, 0.1], car: [0.1, 0.45, 0.45, 0.45, 0.45])
        #expect(found.map { [$0.classID, $0.startFrameIndex, $0.endFrameIndex] } == [[1, 0, 2], [2, 1, 4]])
    }

    @Test("an input that ends closes what is open; thresholds that contradict each other are refused")
    func endAndValidation() {
        let found = appearances(AppearanceThresholds(enter: 0.5, exit: 0.3, frames: 1, gap: 0), dog: [0.9, 0.9])
        #expect(found.count == 1 && found[0].isOpen == false && found[0].endFrameIndex == 1)
        #expect(AppearanceThresholds(enter: 0.3, exit: 0.5).conflict != nil)
        #expect(AppearanceThresholds().conflict == nil)
    }
}
