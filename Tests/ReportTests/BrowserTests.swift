import Foundation
import FramewiseTestSupport
import Testing

/// The report in a real browser: headless Chromium loads the page from a file, the test reads the DOM it built
/// and keeps a screenshot (the path is printed; the directory is left for people to look at).
@Suite(.serialized, .enabled(if: HeadlessChromium.executable != nil, "chromium is not installed (scripts/install-deps installs it): browser test skipped"))
struct BrowserTests {
    @Test func chromiumRendersTimelineLegendAndPicturesAndRunsNoInjectedScript() throws {
        let labelled = try LabelledClip.shared.get()
        let directory = try TemporaryDirectory()
        let database = directory.path("labels.sqlite")
        try FileManager.default.copyItem(atPath: labelled.database, toPath: database)
        try addInjectedSource(database, directory: directory)

        let artefacts = FileManager.default.temporaryDirectory.appendingPathComponent("framewise-report-screenshots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let page = artefacts.appendingPathComponent("report.html").path
        try runFramewise(["report", "--db", database, "-o", page])
        let labelPage = artefacts.appendingPathComponent("espresso.html").path
        try runFramewise(["report", "--db", database, "--label", "espresso", "-o", labelPage])

        let dom = try HeadlessChromium.run(["--dump-dom", URL(fileURLWithPath: page).absoluteString], profileIn: artefacts).stdout
        // The timeline (an overview row per source), the legend, the two pictures of the clip and the injected
        // source's picture, all built by the browser from the page.
        #expect(dom.components(separatedBy: "<svg class=\"tl\"").count - 1 == 2)
        #expect(dom.contains("<section class=\"legend\" id=\"legend\">"))
        #expect(dom.contains(">espresso</li>") && dom.contains(">moped</li>"))
        // Pictures: the clip's three appearances (espresso, moped, motor vehicle), then in the raw timeline's
        // gallery its two segments' and the injected source's.
        #expect(dom.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1 == 6)
        #expect(dom.components(separatedBy: "<tr class=\"seen\">").count - 1 == 3)
        #expect(dom.contains("<title>espresso · score"))
        // The injected markup is text in the DOM: no script element, no image with a handler, no attribute set.
        #expect(!dom.lowercased().contains("<script"))
        #expect(!dom.contains("data-pwned=\"1\""))
        #expect(dom.contains("/videos/&lt;script&gt;alert(1)&lt;/script&gt;.mp4"))
        #expect(dom.contains("&lt;img src=x onerror=\"document.body.setAttribute('data-pwned','1')\"&gt;"))

        let labelDom = try HeadlessChromium.run(["--dump-dom", URL(fileURLWithPath: labelPage).absoluteString], profileIn: artefacts).stdout
        #expect(labelDom.components(separatedBy: "<tr class=\"appearance\">").count - 1 == 1)

        for (name, html) in [("report", page), ("espresso", labelPage)] {
            let screenshot = artefacts.appendingPathComponent("\(name).png")
            try HeadlessChromium.run(["--screenshot=\(screenshot.path)", "--window-size=1280,1600", URL(fileURLWithPath: html).absoluteString],
                                    profileIn: artefacts)
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)
        }
        print("report screenshots and pages kept in \(artefacts.path)")
    }
}
