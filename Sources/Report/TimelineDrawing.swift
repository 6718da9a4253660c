import Foundation

/// Draws a source's segments as server-side SVG timeline rows: an overview of the whole span, then, for long
/// recordings, one row per page (an hour of a day-long camera), so a short event stays visible. A segment at
/// least one unit wide (of 1000) is its own rectangle with a hover title (label, score, times); narrower ones are
/// pooled per unit column and drawn as the column's dominant label, so a row never holds more than about 1000
/// pooled rectangles however busy the recording. Segments that have a card in the gallery link to it.
struct TimelineDrawing {
    static let width = 1000.0
    static let barHeight = 22.0
    /// Page lengths to choose from (seconds): the shortest that needs at most `maximumPages` rows.
    static let pageLengths: [Double] = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604_800]
    static let maximumPages = 24
    /// A span this short is drawn as the overview alone.
    static let singleRowSpan = 600.0

    let segments: [Segment]
    let palette: LabelPalette
    /// Frame ids of the thumbnails that have a card (`id="f<frame id>"`) to link to.
    let cards: Set<Int64>
    /// captured_at − pts of the source (live sources), for clock ticks.
    let clockOffset: Double?
    private let labelNames: [Int: String]

    init(segments: [Segment], palette: LabelPalette, cards: Set<Int64>, clockOffset: Double?) {
        self.segments = segments
        self.palette = palette
        self.cards = cards
        self.clockOffset = clockOffset
        var names: [Int: String] = [:]
        for segment in segments where names[segment.classIndex] == nil { names[segment.classIndex] = segment.label }
        labelNames = names
    }

    /// Page rows as (start, end) in seconds from the start, covering `span`.
    static func pages(of span: ClosedRange<Double>, extentEnd: Double) -> [ClosedRange<Double>] {
        let end = max(extentEnd, span.upperBound)
        let length = end - span.lowerBound
        guard length > singleRowSpan else { return [] }
        let page = pageLengths.first { (length / $0).rounded(.up) <= Double(maximumPages) } ?? length
        let first = (span.lowerBound / page).rounded(.down) * page
        return stride(from: first, to: end, by: page).map { $0...($0 + page) }
    }

    /// One SVG row for the stretch `range`.
    func row(_ range: ClosedRange<Double>, tickCount: Int = 6) -> String {
        let length = max(range.upperBound - range.lowerBound, 1e-9)
        let scale = Self.width / length
        var svg = "<svg class=\"tl\" viewBox=\"0 0 1000 36\" role=\"img\">"
        svg += "<rect class=\"bg\" width=\"1000\" height=\"22\"/>"
        var pooled: [Int: (seconds: [Int: Double], segments: Int, start: Double, end: Double)] = [:]
        let first = firstSegment(endingAfter: range.lowerBound)
        for segment in segments[first...] {
            if segment.startPts >= range.upperBound { break }
            let start = max(segment.startPts, range.lowerBound), end = min(segment.extentEnd, range.upperBound)
            guard end > start else { continue }
            let x = (start - range.lowerBound) * scale, width = (end - start) * scale
            if width >= 1 {
                svg += rectangle(x: x, width: width, palette.cssClass(segment.classIndex), title: title(segment),
                                 link: segment.thumbnailFrameID.flatMap { cards.contains($0) ? $0 : nil })
            } else {
                let column = min(Int(x), Int(Self.width) - 1)
                var pool = pooled[column] ?? ([:], 0, start, end)
                pool.seconds[segment.classIndex, default: 0] += end - start
                pool.segments += 1
                pool.start = min(pool.start, start)
                pool.end = max(pool.end, end)
                pooled[column] = pool
            }
        }
        // Neighbouring columns with the same dominant label become one rectangle.
        var columns = pooled.keys.sorted()[...]
        while let column = columns.popFirst() {
            let pool = pooled[column]!
            let dominant = Self.dominant(pool.seconds)
            var last = column, segmentCount = pool.segments, end = pool.end
            while let next = columns.first, next == last + 1, let nextPool = pooled[next], Self.dominant(nextPool.seconds) == dominant {
                columns.removeFirst()
                last = next
                segmentCount += nextPool.segments
                end = nextPool.end
            }
            let label = labelNames[dominant] ?? "class \(dominant)"
            let title = "mostly \(label): \(segmentCount) short segments, \(times(from: pool.start, to: end, clockFrom: nil, clockTo: nil))"
            svg += rectangle(x: Double(column), width: Double(last - column + 1), palette.cssClass(dominant), title: title, link: nil)
        }
        for tick in 0..<tickCount {
            let seconds = range.lowerBound + length * Double(tick) / Double(tickCount)
            let x = Double(tick) * Self.width / Double(tickCount)
            let spacing = length / Double(tickCount)
            let text = clockOffset.map { TimeText.clockTick(seconds + $0, spacing: spacing) }
                ?? (spacing < 10 ? TimeText.offset(seconds) : TimeText.tick(seconds))
            svg += "<line x1=\"\(coordinate(x))\" x2=\"\(coordinate(x))\" y1=\"22\" y2=\"26\"/>"
            svg += "<text x=\"\(coordinate(x + 2))\" y=\"34\">\(escaped(text))</text>"
        }
        return svg + "</svg>"
    }

    /// The hover text of a segment: label, mean score, times (pts, and wall clock when captured).
    func title(_ segment: Segment) -> String {
        "\(segment.label) · score \(String(format: "%.2f", segment.meanScore)) · \(segment.frames) frame\(segment.frames == 1 ? "" : "s")\n"
            + times(from: segment.startPts, to: segment.endPts, clockFrom: segment.startCapturedAt, clockTo: segment.endCapturedAt)
    }

    func times(from start: Double, to end: Double, clockFrom: Double?, clockTo: Double?) -> String {
        var text = "\(TimeText.offset(start)) – \(TimeText.offset(end))"
        if let clockFrom, let clockTo {
            text += "\n\(TimeText.clock(clockFrom)) – \(TimeText.clock(clockTo))"
        } else if let clockOffset {
            text += "\nabout \(TimeText.clock(start + clockOffset)) – \(TimeText.clock(end + clockOffset))"
        }
        return text
    }

    private func rectangle(x: Double, width: Double, _ cssClass: String, title: String, link: Int64?) -> String {
        let rect = "<rect class=\"\(cssClass)\" x=\"\(coordinate(x))\" width=\"\(coordinate(max(width, 1)))\" height=\"22\">"
            + "<title>\(escaped(title))</title></rect>"
        return link.map { "<a href=\"#f\($0)\">\(rect)</a>" } ?? rect
    }

    /// The first segment whose extent ends after `time` (segments are in time order).
    private func firstSegment(endingAfter time: Double) -> Int {
        var low = 0, high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].extentEnd <= time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func dominant(_ seconds: [Int: Double]) -> Int {
        seconds.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
    }
}

/// A colour per legend label (`c0` … `c11` in the page's style sheet); every other label is `co`, grey.
struct LabelPalette {
    static let colors = [
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2",
        "#edc948", "#ff9da7", "#9c755f", "#86bcb6", "#d37295", "#a0cbe8",
    ]
    static let otherColor = "#bab0ac"
    private let slots: [Int: Int]

    init(legend: [LabelTotal]) {
        var slots: [Int: Int] = [:]
        for (slot, total) in legend.prefix(Self.colors.count).enumerated() { slots[total.classIndex] = slot }
        self.slots = slots
    }

    func cssClass(_ classIndex: Int) -> String { slots[classIndex].map { "c\($0)" } ?? "co" }
}
