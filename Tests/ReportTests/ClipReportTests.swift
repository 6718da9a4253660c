import Foundation
import FramewiseTestSupport
import LabelStore
import Report
import Testing

/// `framewise report` on a real labelled clip: 4 s of coffee, then 4 s of a moped, one frame every 2 s labelled.
@Suite(.serialized) struct ClipReportTests {
    @Test func twoSegmentsAtTheRightTimesWithTheirPictures() throws {
        let labelled = try LabelledClip.shared.get()
        let report = try ReportLoader().load(ReportRequest(), from: ReadOnlyDatabase(path: labelled.database))
        let source = try #require(report.sources.first)
        #expect(report.sources.count == 1)
        #expect(source.frameCount == 4)
        #expect(source.segments.map(\.label) == ["espresso", "moped"])
        // Sampled frames are 2 s apart: espresso on 0–2 s, moped on 4–6 s; the first reaches the second.
        let times = source.segments.map { [$0.startPts, $0.endPts, $0.extentEnd] }
        #expect(times.count == 2)
        if times.count == 2 {
            #expect(zip(times[0], [0, 2.0, 4.0]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(times[0])")
            #expect(zip(times[1], [4.0, 6.0, 8.0]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(times[1])")
        }
        // The same segments as the label_segments view.
        let view = try rows(labelled.database, "SELECT label, start_pts, end_pts, frames FROM label_segments ORDER BY start_pts")
        #expect(view.map { $0["label"]?.text } == source.segments.map(\.label))
        #expect(view.map { $0["frames"]?.integer } == source.segments.map { Int64($0.frames) })
        #expect(source.labelTotals.prefix(2).map(\.label).sorted() == ["espresso", "moped"])
        #expect(source.labelTotals.prefix(2).allSatisfy { abs($0.seconds - 4) < 1e-6 })

        let directory = try TemporaryDirectory()
        let output = directory.path("report.html")
        let result = try runFramewise(["report", "--db", labelled.database, "-o", output])
        #expect(result.stdout.contains("2 segments, 2 pictures"))
        let html = try String(contentsOfFile: output, encoding: .utf8)
        // What was there leads: espresso, then the moped and its category (each with its first frame's picture),
        // before the raw top-1 timeline, whose gallery shows the two segments' pictures again.
        let seen = html.components(separatedBy: "<tr class=\"seen\">").dropFirst().map { String($0.prefix { $0 != "\n" }) }
        #expect(seen.count == 3)
        #expect(seen.map { $0.contains("<b>espresso</b> <small>(ImageNet class)</small>") } == [true, false, false])
        #expect(seen[0].contains("<td>center</td><td>0:00.0</td><td>0:02.0</td>"))
        #expect(seen[1].contains("<b>moped</b>") && seen[2].contains("<b>motor vehicle</b></td>"))
        #expect(html.range(of: "<tr class=\"seen\">")!.lowerBound < html.range(of: "<details class=\"raw\"")!.lowerBound)
        let pictures = inlinedJPEGs(in: html)
        #expect(pictures.count == 5)
        // 600×400 frames give 320×213 pictures; each decodes as JPEG at that size.
        for picture in pictures { #expect(try probe(picture, in: directory) == "mjpeg,320,213") }
        #expect(html.contains("<figcaption><b>espresso</b> 0:00.0 – 0:02.0"))
        #expect(html.contains("<figcaption><b>moped</b> 0:04.0 – 0:06.0"))
        #expect(html.components(separatedBy: "<title>espresso · score").count == 2) // the overview row only: 8 s is one row
        for forbidden in ["<script", "http://", "https://", "@import", "url("] {
            #expect(!html.lowercased().contains(forbidden), "the page must not contain \(forbidden)")
        }
    }

    @Test("the sink keeps the thumbnails --thumbnails asks for: segment starts, one every S seconds too, or none")
    func thumbnailPolicies() throws {
        let labelled = try LabelledClip.shared.get()
        let directory = try TemporaryDirectory()
        // Frames 0, 50, 100, 150 (0, 2, 4, 6 s): espresso, espresso, moped, moped.
        let expected: [(String, [Int64])] = [("segments", [0, 100]), ("every=2", [0, 50, 100, 150]), ("every=3", [0, 100]), ("off", [])]
        for (policy, frames) in expected {
            let database = directory.path("\(policy).sqlite")
            try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, "--every", "50",
                              "--thumbnails", policy, labelled.clip])
            let stored = try rows(database, """
                SELECT f.frame_index, t.width, t.height FROM thumbnails AS t JOIN frames AS f ON f.id = t.frame_id
                ORDER BY f.frame_index
                """)
            #expect(stored.compactMap { $0["frame_index"]?.integer } == frames, "--thumbnails \(policy)")
            for row in stored {
                #expect(row["width"]?.integer == 320 && row["height"]?.integer == 213)
            }
        }
        let refused = try runFramewise(["run", "--db", directory.path("x.sqlite"), "--thumbnails", "every=0", labelled.clip],
                                       mustSucceed: false)
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: --thumbnails: every=SECONDS: must be above 0 and at most 86400, found 0.0\n")
    }

    @Test func labelListsOnlyThatLabelsSegmentWithItsPicture() throws {
        let labelled = try LabelledClip.shared.get()
        let directory = try TemporaryDirectory()
        let output = directory.path("espresso.html")
        try runFramewise(["report", "--db", labelled.database, "--label", "espresso", "-o", output])
        let html = try String(contentsOfFile: output, encoding: .utf8)
        #expect(html.components(separatedBy: "<tr class=\"appearance\">").count == 2)
        #expect(html.contains("When “espresso” was the top answer"))
        #expect(html.contains("<td>0:00.0</td><td>0:02.0</td>"))
        #expect(!html.contains(">moped</li>") && !html.contains("<title>moped")) // (the file name has "moped" in it)
        #expect(inlinedJPEGs(in: html).count == 1)

        // A label that is never the top answer but among the top 5 lists those frames instead.
        let runnerUp = try #require(try rows(labelled.database, """
            SELECT label FROM predictions WHERE rank = 2 AND label NOT IN
                   (SELECT label FROM predictions WHERE rank = 1) GROUP BY label ORDER BY count(*) DESC LIMIT 1
            """).first?["label"]?.text)
        let report = try ReportLoader().load(ReportRequest(label: runnerUp), from: ReadOnlyDatabase(path: labelled.database))
        let source = try #require(report.sources.first)
        #expect(source.segmentsAreTopFiveAppearances)
        #expect(!source.segments.isEmpty && source.segments.allSatisfy { $0.label == runnerUp })
    }

    @Test func rangesAndSourcesNarrowTheReport() throws {
        let labelled = try LabelledClip.shared.get()
        let database = try ReadOnlyDatabase(path: labelled.database)
        let fromFour = try ReportLoader().load(ReportRequest(source: "coffee-moped.mp4", from: ReportTime("4")), from: database)
        #expect(fromFour.sources.first?.segments.map(\.label) == ["moped"])
        let firstSecond = try ReportLoader().load(ReportRequest(source: "1", to: ReportTime("0:01")), from: database)
        #expect(firstSecond.sources.first?.frameCount == 1)

        let directory = try TemporaryDirectory()
        for (arguments, message) in [
            (["--source", "nowhere.mp4"], "error: no source matches 'nowhere.mp4'"),
            (["--label", "unicorn"], "error: no class is labelled 'unicorn'"),
            (["--from", "5", "--to", "4"], "error: --from is after --to"),
            (["--from", "yesterday"], "'yesterday' is not a time"),
        ] {
            let result = try runFramewise(["report", "--db", labelled.database, "-o", directory.path("x.html")] + arguments,
                                          mustSucceed: false)
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path("x.html")))
        let missing = try runFramewise(["report", "--db", directory.path("none.sqlite"), "-o", directory.path("x.html")],
                                       mustSucceed: false)
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error: no database at"))
    }
}
