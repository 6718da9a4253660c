import ArgumentParser
import Foundation
import LabelStore
import Report

/// `framewise report -o report.html`: what was seen when, as one self-contained HTML page (timelines,
/// pictures, top labels), from the database alone.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a label timeline with thumbnails as one self-contained HTML file.",
        discussion: """
            Times for --from/--to: seconds from the start of the video (90, 1:30, 1:02:03.5) or a UTC clock time \
            for live sources (2026-11-29T10:00:00Z, "2026-11-29 10:00").
            """
    )

    @OptionGroup var database: DatabaseLocation

    @Option(help: "Only this source: its URI, its id, or the last part of its path.")
    var source: String?

    @Option(help: "Only the segments of this label (or, if it never was the top answer, its top-5 appearances).")
    var label: String?

    @Option(help: "Only the appearances of this category (see `framewise categories`), e.g. dog.")
    var category: String?

    @Option(help: "Start of the range: seconds from the start (or H:MM:SS), or a UTC clock time.", transform: Self.time)
    var from: ReportTime?

    @Option(help: "End of the range, like --from.", transform: Self.time)
    var to: ReportTime?

    @Option(name: .shortAndLong, help: "The HTML file to write.")
    var output: String

    @Flag(help: "Print the page's size and the time taken to read and render it as JSON.")
    var json = false

    func run() async throws {
        try await exitingOnError {
            let started = Date()
            let request = ReportRequest(source: source, label: label, category: category, from: from, to: to)
            let report = try ReportLoader().load(request, from: database.location().openReadOnly())
            let loaded = Date()
            let page = ReportRenderer().html(report)
            let rendered = Date()
            try Data(page.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            let segments = report.sources.reduce(0) { $0 + $1.segments.count }
            let thumbnails = report.sources.reduce(0) { $0 + $1.thumbnails.count }
            if json {
                print("""
                    {"bytes":\(page.utf8.count),"sources":\(report.sources.count),"segments":\(segments),\
                    "thumbnails":\(thumbnails),"load_seconds":\(loaded.timeIntervalSince(started)),\
                    "render_seconds":\(rendered.timeIntervalSince(loaded)),"total_seconds":\(Date().timeIntervalSince(started))}
                    """)
            } else {
                print("wrote \(output): \(report.sources.count) source(s), \(segments) segments, \(thumbnails) pictures, "
                    + "\(page.utf8.count / 1024) KiB")
            }
        }
    }

    private static func time(_ text: String) throws -> ReportTime {
        guard let time = ReportTime(text) else {
            throw ValidationError("'\(text)' is not a time: use seconds (90, 1:30, 1:02:03.5) or a UTC clock time (2026-11-29T10:00:00Z)")
        }
        return time
    }
}
