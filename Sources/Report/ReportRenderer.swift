import Foundation
import LabelStore

/// Turns a `Report` into one self-contained HTML page: inline style, thumbnails as `data:` URIs, timelines as
/// inline SVG, no script, and a Content-Security-Policy that allows nothing else (no network at all). Every text
/// from the database is escaped. A pure function of its input: the command writes it to a file, the daemon can
/// serve it.
package struct ReportRenderer {
    package var title = "Framewise report"
    /// At most this many appearances are listed per source with `--label`.
    package var maximumListedSegments = 1000
    /// At most this many labels in each source's table.
    package var topLabelCount = 10
    /// The daemon's page: reload itself every this many seconds (a `<meta http-equiv="refresh">`, no script).
    package var refreshSeconds: Int?
    /// The daemon's page: its inputs, listed above the timelines.
    package var liveStreams: [LiveStream]?
    /// The daemon's page: lines about its database (size, oldest frame, free disk, warnings), under the streams.
    package var databaseNotes: [String]?
    /// The daemon's page: under each appearance's picture, a form that adds it to a head's class and a link to
    /// the frames most like it.
    package var exampleForms: ExampleForms?
    /// The daemon's page: buttons in the header that post to it (log out).
    package var headerButtons: [PostButton] = []

    package init() {}

    package func html(_ report: Report) -> String {
        let palette = LabelPalette(legend: report.legend)
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            \(refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
            <title>\(escaped(title))</title>
            <style>\(Self.styleSheet)</style>
            </head><body>
            <header><h1>\(escaped(title))</h1><p class="scope">\(escaped(scope(of: report.request)))</p>\(headerButtons.map(\.html).joined())</header>

            """
        if let exampleForms { page += exampleForms.navigation }
        if let liveStreams { page += streamsTable(liveStreams) }
        if let databaseNotes, !databaseNotes.isEmpty {
            page += "<section class=\"database\" id=\"database\"><h2>Database</h2>"
                + databaseNotes.map { "<p>\(escaped($0))</p>" }.joined() + "</section>\n"
        }
        page += legend(report.legend)
        if report.sources.isEmpty { page += "<p class=\"empty\">The database holds no sources yet.</p>\n" }
        for source in report.sources {
            page += section(source, request: report.request, palette: palette)
        }
        return page + "</body></html>\n"
    }

    private func streamsTable(_ streams: [LiveStream]) -> String {
        var html = "<section class=\"streams\" id=\"streams\"><h2>Streams</h2><table><thead><tr><th>latest</th>"
            + "<th>pipeline</th><th>input</th><th>state</th><th>labelled</th><th>dropped</th><th>last frame</th></tr></thead><tbody>"
        for stream in streams {
            let picture = stream.latestThumbnail.map {
                "<img class=\"thumb\" width=\"\($0.width / 2)\" height=\"\($0.height / 2)\" alt=\"latest frame\" "
                    + "src=\"data:image/jpeg;base64,\($0.jpeg.base64EncodedString())\">"
            } ?? ""
            let errorTime = stream.lastErrorAt.map { " (at \(TimeText.clock($0.timeIntervalSince1970)))" } ?? ""
            let error = stream.lastError.map { "<br><small>\(escaped($0))\(errorTime)</small>" } ?? ""
            let nextAttempt = stream.nextAttemptAt.map {
                "<br><small>next attempt at \(TimeText.clock($0.timeIntervalSince1970))</small>"
            } ?? ""
            let age = stream.latestFrameAge.map { String(format: "<br><small>age %.2f s</small>", $0) } ?? ""
            html += "<tr class=\"state-\(escaped(stream.state))\"><td>\(picture)</td><td>\(escaped(stream.pipeline))</td>"
                + "<td class=\"uri\">\(escaped(stream.input))</td><td>\(escaped(stream.state))\(nextAttempt)\(error)</td>"
                + "<td>\(stream.labelled)</td><td>\(stream.dropped)</td>"
                + "<td>\(stream.lastFrameAt.map { TimeText.clock($0.timeIntervalSince1970) } ?? "–")\(age)</td></tr>"
        }
        return html + "</tbody></table></section>\n"
    }

    private func scope(of request: ReportRequest) -> String {
        var parts: [String] = []
        if let source = request.source { parts.append("source \(source)") }
        if let label = request.label { parts.append("label \(label)") }
        if let category = request.category { parts.append("category \(category)") }
        if let from = request.from { parts.append("from \(Self.text(of: from))") }
        if let to = request.to { parts.append("to \(Self.text(of: to))") }
        return parts.isEmpty ? "Every source, the whole recording." : "Only " + parts.joined(separator: ", ") + "."
    }

    private static func text(of time: ReportTime) -> String {
        switch time {
        case .offset(let seconds): TimeText.offset(seconds)
        case .clock(let date): TimeText.clock(date.timeIntervalSince1970)
        }
    }

    private func legend(_ labels: [LabelTotal]) -> String {
        guard !labels.isEmpty else { return "" }
        let palette = LabelPalette(legend: labels)
        var html = "<section class=\"legend\" id=\"legend\"><h2>Legend</h2><ul>"
        for total in labels {
            html += "<li><span class=\"sw \(palette.cssClass(total.classIndex))\"></span>\(escaped(total.label))</li>"
        }
        return html + "<li><span class=\"sw co\"></span>other labels</li></ul></section>\n"
    }

    private func section(_ source: SourceReport, request: ReportRequest, palette: LabelPalette) -> String {
        let id = source.source.id.rawValue
        var html = "<section class=\"source\" id=\"source-\(id)\"><h2 class=\"uri\">\(escaped(source.source.uri))</h2>\n"
        guard let span = source.span else {
            return html + "<p class=\"empty\">No stored frames in this range.</p></section>\n"
        }
        let clockOffset = source.segments.first { $0.startCapturedAt != nil }.map { $0.startCapturedAt! - $0.startPts }
        html += "<p class=\"facts\">\(escaped(source.source.kind)) · \(source.frameCount) frames · "
            + "\(TimeText.offset(span.lowerBound)) – \(TimeText.offset(span.upperBound))"
        if let clockOffset {
            html += " · \(TimeText.clock(span.lowerBound + clockOffset)) – \(TimeText.clock(span.upperBound + clockOffset))"
        }
        html += "</p>\n"

        let drawing = TimelineDrawing(segments: source.segments, palette: palette, cards: Set(source.thumbnails.keys),
                                      clockOffset: clockOffset)
        let timeline = self.timeline(source, span: span, drawing: drawing, clockOffset: clockOffset)
        if let label = request.label {
            return html + timeline + appearances(of: label, in: source, drawing: drawing) + "</section>\n"
        }
        // What people ask first — when was a dog, a car there — leads; the raw top-1 timeline is one link away.
        html += seen(source, category: request.category)
        html += "<p class=\"note\"><a href=\"#raw-\(id)\">The raw top-1 timeline</a> shows every change of the best "
            + "answer, confident or not.</p>\n"
        html += "<details class=\"raw\" id=\"raw-\(id)\"><summary>Raw top-1 timeline, pictures and top labels</summary>\n"
        html += timeline + gallery(source, drawing: drawing) + topLabels(source, palette: palette) + "</details>\n"
        return html + "</section>\n"
    }

    /// The overview row and the pages of the top-1 timeline.
    private func timeline(_ source: SourceReport, span: ClosedRange<Double>, drawing: TimelineDrawing, clockOffset: Double?)
        -> String
    {
        let id = source.source.id.rawValue
        let extentEnd = source.segments.last?.extentEnd ?? span.upperBound
        var html = "<div class=\"timeline\" id=\"timeline-\(id)\"><h3>Timeline</h3>"
        html += "<div class=\"row overview\"><span class=\"when\">all</span>\(drawing.row(span.lowerBound...max(extentEnd, span.upperBound)))</div>\n"
        let pages = TimelineDrawing.pages(of: span, extentEnd: extentEnd)
        if !pages.isEmpty {
            let length = pages[0].upperBound - pages[0].lowerBound
            html += "<details class=\"pages\" open><summary>\(pages.count) rows of \(TimeText.duration(length))</summary>\n"
            for page in pages {
                let when = clockOffset.map { TimeText.clock(page.lowerBound + $0).dropFirst(11).prefix(5) } ?? Substring(TimeText.tick(page.lowerBound))
                html += "<div class=\"row\"><span class=\"when\">\(escaped(String(when)))</span>\(drawing.row(page))</div>\n"
            }
            html += "</details>\n"
        }
        return html + "</div>\n"
    }

    /// The appearances of categories and labels (with `--category`, of that category), each with its picture,
    /// times and peak score: a file's in time order, a camera's newest first.
    private func seen(_ source: SourceReport, category: String?) -> String {
        var html = "<div class=\"seen\" id=\"seen-\(source.source.id.rawValue)\"><h3>"
            + escaped(category.map { "When “\($0)” was there" } ?? "What was there") + "</h3>\n"
        guard !source.appearances.isEmpty else {
            return html + "<p class=\"empty\">Nothing \(category == nil ? "" : "of it ")was there with confidence in this "
                + "range (an appearance needs its score at the run's enter threshold on consecutive frames).</p></div>\n"
        }
        // Files have no wall-clock time: their table leaves the column out.
        let hasClock = source.appearances.contains { $0.startCapturedAt != nil }
        html += "<table class=\"seen\"><thead><tr><th>picture</th><th>what</th><th>view</th><th>from</th><th>to</th>"
            + (hasClock ? "<th>clock</th>" : "") + "<th>frames</th><th>peak</th></tr></thead><tbody>\n"
        // A camera's newest first (what is there now leads); a file's in time order.
        let ordered = hasClock ? Array(source.appearances.reversed()) : source.appearances
        for appearance in ordered.prefix(maximumListedSegments) {
            let picture = appearance.thumbnailFrameID.flatMap { id in
                source.thumbnails[id].map { image($0, frameID: id, alt: appearance.label) }
            } ?? ""
            let kind = switch appearance.vocabulary {
            case "category": ""
            case "head": " <small>(head)</small>"
            default: " <small>(ImageNet class)</small>"
            }
            let actions = appearance.thumbnailFrameID.flatMap { id in
                exampleForms.map { $0.actions(frameID: id, view: appearance.view) }
            } ?? ""
            let clock = hasClock ? "<td>\(appearance.startCapturedAt.map(TimeText.clock) ?? "")</td>" : ""
            html += "<tr class=\"seen\"><td>\(picture)\(actions)</td><td><b>\(escaped(appearance.label))</b>\(kind)</td>"
                + "<td>\(escaped(appearance.view))</td><td>\(TimeText.offset(appearance.startPts))</td>"
                + "<td>\(appearance.isOpen ? "still there" : TimeText.offset(appearance.endPts))</td>\(clock)"
                + "<td>\(appearance.frames)</td><td>\(String(format: "%.2f", appearance.peakScore))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        if source.appearances.count > maximumListedSegments {
            html += "<p class=\"note\">\(source.appearances.count - maximumListedSegments) more; narrow the range with --from/--to.</p>\n"
        }
        return html + "</div>\n"
    }

    /// `--label`: every segment of the label (or its top-5 appearances), each with its picture and times.
    private func appearances(of label: String, in source: SourceReport, drawing: TimelineDrawing) -> String {
        let heading = source.segmentsAreTopFiveAppearances
            ? "“\(label)” was never the top answer; where it was among the top 5"
            : "When “\(label)” was the top answer"
        var html = "<h3>\(escaped(heading))</h3>\n"
        guard !source.segments.isEmpty else { return html + "<p class=\"empty\">Not seen in this range.</p>\n" }
        html += "<table class=\"appearances\"><thead><tr><th>picture</th><th>from</th><th>to</th><th>clock</th>"
            + "<th>frames</th><th>score</th></tr></thead><tbody>\n"
        for segment in source.segments.prefix(maximumListedSegments) {
            let picture = segment.thumbnailFrameID.flatMap { id in source.thumbnails[id].map { image($0, frameID: id, alt: segment.label) } } ?? ""
            let clock = segment.startCapturedAt.map(TimeText.clock) ?? ""
            html += "<tr class=\"appearance\"><td>\(picture)</td><td>\(TimeText.offset(segment.startPts))</td>"
                + "<td>\(TimeText.offset(segment.endPts))</td><td>\(clock)</td><td>\(segment.frames)</td>"
                + "<td>\(String(format: "%.3f", segment.meanScore))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        if source.segments.count > maximumListedSegments {
            html += "<p class=\"note\">\(source.segments.count - maximumListedSegments) more; narrow the range with --from/--to.</p>\n"
        }
        return html
    }

    /// The segments' pictures in time order (the longest segments' when there are more than the loader kept).
    private func gallery(_ source: SourceReport, drawing: TimelineDrawing) -> String {
        let shown = source.segments.filter { $0.thumbnailFrameID.map { source.thumbnails[$0] != nil } == true }
        guard !shown.isEmpty else { return "<p class=\"note\">No pictures stored for these frames.</p>\n" }
        var html = "<h3>Pictures</h3><div class=\"gallery\">\n"
        for segment in shown {
            let frameID = segment.thumbnailFrameID!
            html += "<figure>\(image(source.thumbnails[frameID]!, frameID: frameID, alt: segment.label))"
                + "<figcaption><b>\(escaped(segment.label))</b> \(TimeText.offset(segment.startPts)) – "
                + "\(TimeText.offset(segment.endPts))<br>\(segment.frames) frames · score \(String(format: "%.2f", segment.meanScore))"
                + (segment.startCapturedAt.map { "<br>\(TimeText.clock($0))" } ?? "") + "</figcaption></figure>\n"
        }
        html += "</div>\n"
        if source.segmentsWithThumbnails > shown.count {
            html += "<p class=\"note\">Showing the pictures of the \(shown.count) longest of \(source.segmentsWithThumbnails) "
                + "segments with one; narrow the range with --from/--to or pick a --label.</p>\n"
        }
        return html
    }

    private func topLabels(_ source: SourceReport, palette: LabelPalette) -> String {
        let covered = source.labelTotals.reduce(0) { $0 + $1.seconds }
        var html = "<h3>Top labels</h3><table class=\"top-labels\"><thead><tr><th>label</th><th>total time</th>"
            + "<th>share</th><th>segments</th><th>frames</th></tr></thead><tbody>\n"
        for total in source.labelTotals.prefix(topLabelCount) {
            let share = covered > 0 ? 100 * total.seconds / covered : 0
            html += "<tr><td><span class=\"sw \(palette.cssClass(total.classIndex))\"></span>\(escaped(total.label))</td>"
                + "<td>\(TimeText.duration(total.seconds))</td><td>\(String(format: "%.1f %%", share))</td>"
                + "<td>\(total.segments)</td><td>\(total.frames)</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    private func image(_ thumbnail: StoredThumbnail, frameID: Int64, alt: String) -> String {
        "<img id=\"f\(frameID)\" class=\"thumb\" width=\"\(thumbnail.width)\" height=\"\(thumbnail.height)\" alt=\"\(escaped(alt))\" "
            + "src=\"data:image/jpeg;base64,\(thumbnail.jpeg.base64EncodedString())\">"
    }

    static let styleSheet = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}
        h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}h3{font-size:1em;margin:1em 0 .4em}
        .uri{word-break:break-all}.facts,.note,.scope,.empty{color:#555}
        .legend ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3em 1.2em}
        .sw{display:inline-block;width:.9em;height:.9em;margin-right:.35em;vertical-align:-.1em;border-radius:2px}
        .row{display:flex;align-items:flex-start;gap:.5em}.when{width:4em;flex:none;text-align:right;color:#555;font-size:12px}
        svg.tl{width:100%;height:auto;display:block}svg.tl text{font-size:10px;fill:#555}svg.tl line{stroke:#999}
        svg.tl .bg{fill:#f1f1f1}svg.tl a rect{cursor:pointer}svg.tl rect:hover{stroke:#000;stroke-width:.6}
        .gallery{display:flex;flex-wrap:wrap;gap:.8em}figure{margin:0;width:240px;font-size:12px}
        img.thumb{width:100%;height:auto;display:block;background:#ddd}
        table{border-collapse:collapse}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left}
        table.appearances img.thumb,table.seen img.thumb{width:160px}details.raw>summary{cursor:pointer;margin:.6em 0}
        \(LabelPalette.colors.enumerated().map { ".c\($0.offset){fill:\($0.element);background:\($0.element)}" }.joined())
        .co{fill:\(LabelPalette.otherColor);background:\(LabelPalette.otherColor)}
        form.example{margin:.3em 0;font-size:.9em}form.example input{width:7em}nav.heads a{margin-right:1em}
        ul.examples{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.6em}ul.examples li{width:170px}
        ul.examples img.thumb{width:160px}pre.report{background:#f6f6f6;padding:.8em;overflow-x:auto}
        """
}
