import Foundation
import FramewiseTestSupport
import LabelStore
import Report
import Testing

/// A source whose file name is markup and a class whose label is markup: both must reach the page as text.
let injectedURI = "/videos/<script>alert(1)</script>.mp4"
let injectedLabel = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"

/// Adds a source named `injectedURI` to the store at `path`: 10 frames labelled `injectedLabel`, with a thumbnail.
func addInjectedSource(_ path: String, directory: TemporaryDirectory) throws {
    let store = try LabelStore(path: path)
    try store.storeClasses([
        ClassLabel(index: 2000, wnid: "n99999999", label: injectedLabel, names: injectedLabel),
        ClassLabel(index: 2001, wnid: "n99999998", label: "plain", names: "plain"),
    ])
    let source = try store.register(source: SourceDescriptor(uri: injectedURI, kind: .file)).id
    let run = try store.beginRun(RunSettings(source: source, precision: "f32", sampling: "all", modelSHA256: "x"))
    let writer = try store.makeWriter(run: run)
    for index in 0..<10 {
        try writer.append(StoredFrame(frameIndex: Int64(index), pts: Double(index) / 10, capturedAt: nil, top: [
            ClassScore(classIndex: 2000, score: 0.7), ClassScore(classIndex: 2001, score: 0.2),
        ]))
    }
    try writer.appendThumbnail(try testPatternThumbnails(count: 1, in: directory)[0], frameIndex: 0)
    try writer.close()
}

@Suite struct EscapingTests {
    @Test func markupInFileNamesAndLabelsRendersAsText() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("injected.sqlite")
        try addInjectedSource(database, directory: directory)
        let output = directory.path("report.html")
        try runFramewise(["report", "--db", database, "-o", output])
        let html = try String(contentsOfFile: output, encoding: .utf8)
        #expect(html.contains("/videos/&lt;script&gt;alert(1)&lt;/script&gt;.mp4"))
        #expect(html.contains("&lt;img src=x onerror=&quot;document.body.setAttribute(&#39;data-pwned&#39;,&#39;1&#39;)&quot;&gt;"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("alert(1)</script>"))

        // The same with --label and --source naming them.
        try runFramewise(["report", "--db", database, "--label", injectedLabel, "--source", injectedURI, "-o", output])
        let labelPage = try String(contentsOfFile: output, encoding: .utf8)
        #expect(!labelPage.lowercased().contains("<script") && !labelPage.contains("<img src=x"))
        #expect(labelPage.components(separatedBy: "<tr class=\"appearance\">").count == 2)
    }
}

/// A day of a camera at 2 frames/s (172,800 frames, a thumbnail per top-1 segment): the report stays within
/// 10 MB. The time `framewise report` takes is printed from its `--json` line (scripts/bench-report runs this
/// with the release binary), not asserted.
@Suite struct DayLongCameraTests {
    @Test func dayAtTwoFramesASecondFitsInTenMegabytes() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("camera.sqlite")
        let store = try LabelStore(path: database)
        let classes = try modelClasses()
        try store.storeClasses(classes)
        let camera = try synthesiseCamera(
            store: store, uri: "rtsp://camera.invalid/stream", hours: 24, framesPerSecond: 2, classes: classes,
            thumbnails: try testPatternThumbnails(count: 40, in: directory), startingAt: Date(timeIntervalSince1970: 1_795_910_400))
        #expect(camera.frames == 172_800)
        let databaseBytes = try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int ?? 0
        print("synthesised 24 h camera: \(camera.frames) frames, \(camera.segments) segments, \(camera.thumbnails) thumbnails "
            + "(\(camera.thumbnailBytes / max(camera.thumbnails, 1)) bytes each), database \(databaseBytes) bytes")

        let output = directory.path("day.html")
        let result = try runFramewise(["report", "--db", database, "-o", output, "--json"])
        print("framewise report, 24 h at 2 frames/s: \(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
        let timing = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let bytes = try #require(timing["bytes"] as? Int)
        #expect(bytes <= 10_000_000, "the report is \(bytes) bytes")
        #expect(try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int == bytes)
        #expect(timing["segments"] as? Int == camera.segments)
        #expect(timing["thumbnails"] as? Int == ReportLoader().maximumThumbnails)

        let html = try String(contentsOfFile: output, encoding: .utf8)
        // An overview row and 24 rows of an hour; every hour row starts at its clock time.
        #expect(html.contains("<summary>24 rows of 1 h 00 min</summary>"))
        #expect(html.components(separatedBy: "<svg class=\"tl\"").count == 1 + 25)
        #expect(html.contains("<span class=\"when\">13:00</span>"))
        #expect(html.contains("patio"))
    }
}
