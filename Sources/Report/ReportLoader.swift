import Foundation
package import LabelStore

/// Reads what a report shows from the database: one pass over each source's frames (in frame order) builds
/// its segments, then the chosen thumbnails are read. The only database access of the report.
package struct ReportLoader {
    /// At most this many thumbnails in one report (they are most of its size), shared among its sources.
    package var maximumThumbnails = 240
    /// At most this many labels get a colour of their own; the others are drawn as "other labels".
    package var legendSize = 12

    package init() {}

    package func load(_ request: ReportRequest, from database: some ReadOnlyLabelDatabase) throws -> Report {
        let window = try request.window()
        let labels = try database.classLabels()
        if let category = request.category { try database.requireStoredCategory(category) }
        var focusClass: Int?
        if let label = request.label {
            guard let index = try database.classIndex(ofLabel: label) else { throw ReportError.unknownLabel(label) }
            focusClass = index
        }
        let sources = try selectSources(request.source, from: database.sources())
        let thumbnailsPerSource = sources.isEmpty ? 0 : max(12, maximumThumbnails / sources.count)

        var reports: [SourceReport] = []
        for source in sources {
            var top = SegmentBuilder(), focusInTopFive = SegmentBuilder()
            var frameCount = 0
            var first: Double?, last: Double?
            try database.forEachTimelineFrame(of: source.id, in: window, focusClass: focusClass) { frame in
                frameCount += 1
                first = first ?? frame.pts
                last = frame.pts
                top.add(frame, key: frame.topClass, score: frame.topScore)
                if let focusClass {
                    focusInTopFive.add(frame, key: frame.focusRank == nil ? nil : focusClass, score: frame.focusScore ?? 0)
                }
            }
            let allSegments = top.segments(labels: labels)
            var shown = allSegments
            var topFive = false
            if let focusClass {
                shown = allSegments.filter { $0.classIndex == focusClass }
                if shown.isEmpty {
                    shown = focusInTopFive.segments(labels: labels)
                    topFive = !shown.isEmpty
                }
            }
            let appearances = try database.appearances(of: source.id, in: window, category: request.category)
            // Pictures of appearances first (they lead the page), then of the longest segments, within the cap.
            let withThumbnails = shown.filter { $0.thumbnailFrameID != nil }
            var chosen = Array(appearances.compactMap(\.thumbnailFrameID).prefix(thumbnailsPerSource))
            for frameID in withThumbnails.sorted(by: { $0.duration > $1.duration }).compactMap(\.thumbnailFrameID)
            where chosen.count < thumbnailsPerSource && !chosen.contains(frameID) {
                chosen.append(frameID)
            }
            reports.append(SourceReport(
                source: source, frameCount: frameCount, span: first.flatMap { first in last.map { first...$0 } },
                segments: shown, segmentsAreTopFiveAppearances: topFive,
                labelTotals: Self.totals(of: allSegments), appearances: appearances,
                thumbnails: try database.thumbnails(ofFrames: chosen),
                segmentsWithThumbnails: withThumbnails.count))
        }
        let legendSource = focusClass == nil ? reports.flatMap(\.labelTotals) : reports.flatMap { Self.totals(of: $0.segments) }
        return Report(request: request, sources: reports, legend: Array(Self.merge(legendSource).prefix(legendSize)))
    }

    /// The sources `selector` names (URI, id, or last part of the path); every source without one.
    private func selectSources(_ selector: String?, from sources: [SourceRecord]) throws -> [SourceRecord] {
        guard let selector else { return sources }
        let matching = sources.filter { $0.matches(selector) }
        guard !matching.isEmpty else { throw ReportError.unknownSource(selector) }
        return matching
    }

    /// Per label: time, frames and segments, most time first (ties by label, so the order is stable).
    static func totals(of segments: [Segment]) -> [LabelTotal] {
        merge(segments.map { LabelTotal(classIndex: $0.classIndex, label: $0.label, seconds: $0.duration, frames: $0.frames, segments: 1) })
    }

    private static func merge(_ totals: [LabelTotal]) -> [LabelTotal] {
        var byClass: [Int: LabelTotal] = [:]
        for total in totals {
            let sum = byClass[total.classIndex]
            byClass[total.classIndex] = LabelTotal(
                classIndex: total.classIndex, label: total.label, seconds: (sum?.seconds ?? 0) + total.seconds,
                frames: (sum?.frames ?? 0) + total.frames, segments: (sum?.segments ?? 0) + total.segments)
        }
        return byClass.values.sorted { ($0.seconds, $1.label) > ($1.seconds, $0.label) }
    }
}

/// Cuts a source's frames (in frame order) into runs of equal keys: consecutive stored frames with the same
/// top-1 class make one segment, exactly as the `label_segments` view counts them.
struct SegmentBuilder {
    private struct Run {
        var key: Int
        var first: TimelineFrame
        var last: TimelineFrame
        var frames = 1
        var scoreSum: Double
        var thumbnailFrameID: Int64?
        /// pts of the stored frame after the run.
        var nextPts: Double?
    }

    private var runs: [Run] = []
    private var open: Run?
    private var previousPts: Double?
    private var gaps: [Double] = []

    mutating func add(_ frame: TimelineFrame, key: Int?, score: Double) {
        if let previousPts { gaps.append(frame.pts - previousPts) }
        previousPts = frame.pts
        if var run = open, run.key == key {
            run.last = frame
            run.frames += 1
            run.scoreSum += score
            if run.thumbnailFrameID == nil, frame.hasThumbnail { run.thumbnailFrameID = frame.frameID }
            open = run
            return
        }
        if var run = open {
            run.nextPts = frame.pts
            runs.append(run)
        }
        open = key.map { key in
            Run(key: key, first: frame, last: frame, scoreSum: score, thumbnailFrameID: frame.hasThumbnail ? frame.frameID : nil)
        }
    }

    /// The segments so far. A segment reaches the next stored frame unless that one is more than two usual
    /// frame intervals away (a gap in the recording); then it covers one usual interval past its last frame.
    func segments(labels: [Int: String]) -> [Segment] {
        let usualGap = Self.median(gaps.filter { $0 > 0 }) ?? 1
        return (runs + (open.map { [$0] } ?? [])).map { run in
            let extentEnd = run.nextPts.flatMap { $0 - run.last.pts <= 2 * usualGap ? $0 : nil } ?? run.last.pts + usualGap
            return Segment(
                classIndex: run.key, label: labels[run.key] ?? "class \(run.key)",
                firstFrameIndex: run.first.frameIndex, lastFrameIndex: run.last.frameIndex,
                startPts: run.first.pts, endPts: run.last.pts, extentEnd: extentEnd, frames: run.frames,
                meanScore: run.scoreSum / Double(run.frames),
                startCapturedAt: run.first.capturedAt, endCapturedAt: run.last.capturedAt,
                thumbnailFrameID: run.thumbnailFrameID)
        }
    }

    private static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[values.count / 2]
    }
}
