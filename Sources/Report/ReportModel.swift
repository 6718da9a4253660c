import Foundation
import LabelStore

/// Everything a report page shows, read from the database: the input of `ReportRenderer`.
public struct Report: Sendable {
    public let request: ReportRequest
    public let sources: [SourceReport]
    /// Colour slot of each label in the legend (the most frequent labels over the whole report, most first).
    public let legend: [LabelTotal]
}

/// One source's part of a report.
public struct SourceReport: Sendable {
    public let source: SourceRecord
    /// Stored frames inside the requested window.
    public let frameCount: Int
    /// The covered stretch of the timeline (seconds from the start), nil without frames.
    public let span: ClosedRange<Double>?
    /// The top-1 segments (with `--label`, only that label's, or its top-5 appearances), in time order.
    public let segments: [Segment]
    /// With `--label`: true when the label was never the top answer and `segments` are its top-5 appearances.
    public let segmentsAreTopFiveAppearances: Bool
    /// Labels by total top-1 time, most first.
    public let labelTotals: [LabelTotal]
    /// The thumbnails shown (by frame id): of the longest segments that have one, at most the renderer's cap.
    public let thumbnails: [Int64: StoredThumbnail]
    /// Segments that have a thumbnail in the database, shown or not.
    public let segmentsWithThumbnails: Int
}

/// A run of consecutive stored frames of one source with the same top-1 label (the `label_segments` view's
/// rows), or with `--label` a run where the label is among the top 5.
public struct Segment: Sendable, Hashable {
    public let classIndex: Int
    public let label: String
    public let firstFrameIndex: Int64
    public let lastFrameIndex: Int64
    /// pts of the first and the last frame.
    public let startPts: Double
    public let endPts: Double
    /// Where the segment ends on the timeline: the next stored frame's pts, or one frame interval after
    /// `endPts` when the next frame is far (a gap in the recording stays empty).
    public let extentEnd: Double
    public let frames: Int
    public let meanScore: Double
    /// Unix seconds of the first and last frame, for live sources.
    public let startCapturedAt: Double?
    public let endCapturedAt: Double?
    /// The first frame of the segment that has a thumbnail.
    public let thumbnailFrameID: Int64?

    /// Seconds the segment covers on the timeline.
    public var duration: Double { extentEnd - startPts }
}

/// One label's share of a source's (or the report's) timeline.
public struct LabelTotal: Sendable, Hashable {
    public let classIndex: Int
    public let label: String
    public let seconds: Double
    public let frames: Int
    public let segments: Int
}
