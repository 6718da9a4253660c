import Foundation
package import LabelStore

/// Everything a report page shows, read from the database: the input of `ReportRenderer`.
package struct Report: Sendable {
    package let request: ReportRequest
    package let sources: [SourceReport]
    /// Colour slot of each label in the legend (the most frequent labels over the whole report, most first).
    package let legend: [LabelTotal]
}

/// One source's part of a report.
package struct SourceReport: Sendable {
    package let source: SourceRecord
    /// Stored frames inside the requested window.
    package let frameCount: Int
    /// The covered stretch of the timeline (seconds from the start), nil without frames.
    package let span: ClosedRange<Double>?
    /// The top-1 segments (with `--label`, only that label's, or its top-5 appearances), in time order.
    package let segments: [Segment]
    /// With `--label`: true when the label was never the top answer and `segments` are its top-5 appearances.
    package let segmentsAreTopFiveAppearances: Bool
    /// Labels by total top-1 time, most first.
    package let labelTotals: [LabelTotal]
    /// When categories and labels were there (with `--category`, only that category's), in time order.
    package let appearances: [StoredAppearance]
    /// The thumbnails shown (by frame id): of the appearances and the longest segments that have one, at most the
    /// renderer's cap.
    package let thumbnails: [Int64: StoredThumbnail]
    /// Segments that have a thumbnail in the database, shown or not.
    package let segmentsWithThumbnails: Int
}

/// A run of consecutive stored frames of one source with the same top-1 label (the `label_segments` view's
/// rows), or with `--label` a run where the label is among the top 5.
package struct Segment: Sendable, Hashable {
    package let classIndex: Int
    package let label: String
    package let firstFrameIndex: Int64
    package let lastFrameIndex: Int64
    /// pts of the first and the last frame.
    package let startPts: Double
    package let endPts: Double
    /// Where the segment ends on the timeline: the next stored frame's pts, or one frame interval after
    /// `endPts` when the next frame is far (a gap in the recording stays empty).
    package let extentEnd: Double
    package let frames: Int
    package let meanScore: Double
    /// Unix seconds of the first and last frame, for live sources.
    package let startCapturedAt: Double?
    package let endCapturedAt: Double?
    /// The first frame of the segment that has a thumbnail.
    package let thumbnailFrameID: Int64?

    /// Seconds the segment covers on the timeline.
    package var duration: Double { extentEnd - startPts }
}

/// One label's share of a source's (or the report's) timeline.
package struct LabelTotal: Sendable, Hashable {
    package let classIndex: Int
    package let label: String
    package let seconds: Double
    package let frames: Int
    package let segments: Int
}
