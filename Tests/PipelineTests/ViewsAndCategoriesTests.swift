import Foundation
import FramewiseTestSupport
import GoogLeNet
import Pipeline
import Testing
import VideoDecoding
import WordNet

/// What the network sees (views, regions) and the words its answers are gathered into (WordNet categories),
/// end to end on real decoded video with the real model, WordNet and SQLite files.
@Suite(.serialized) struct ViewsAndCategoriesTests {
    @discardableResult
    private func run(_ arguments: [String], database: String, mustSucceed: Bool = true) throws -> CommandResult {
        try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, "--workers", "2"] + arguments,
                         mustSucceed: mustSucceed)
    }

    /// A 2.35:1 clip (800×340, 2 s at 10 frames/s) of a grey wall with the coffee photo, 250×167, at its left edge:
    /// outside the centre crop (x 251–549), inside the first of the three tiles (x 0–340).
    private func makeWideClipWithCoffeeAtTheLeft(_ path: String) throws {
        try makeClip(path, [
            "-f", "lavfi", "-i", "color=c=0x808080:s=800x340:r=10:d=2",
            "-loop", "1", "-framerate", "10", "-t", "2", "-i", TestData.photo("coffee.png"),
            "-filter_complex", "[1]scale=250:167,setsar=1[c];[0][c]overlay=0:86:shortest=1",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ])
    }

    @Test("an object at the left edge of a wide frame: tiles find it, the centre crop does not")
    func tilesSeeTheEdges() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("wide.mp4")
        try makeWideClipWithCoffeeAtTheLeft(clip)
        let database = directory.path("labels.sqlite")
        try run([clip, "--every", "5", "--view", "center", "--view", "tiles"], database: database)
        let top = try queryFramewise(database, """
            SELECT view, label, count(*) AS frames FROM view_predictions WHERE rank = 1 GROUP BY view, label ORDER BY view
            """)
        let tiles = top.filter { $0["view"] as? String == "tiles" }
        let center = top.filter { $0["view"] as? String == "center" }
        #expect(tiles.map { $0["label"] as? String } == ["espresso"], "\(top)")
        #expect(!center.contains { $0["label"] as? String == "espresso" }, "\(top)")
        #expect(center.reduce(0) { $0 + (($1["frames"] as? Int) ?? 0) } == 4)
        // `predictions` shows the first view only: every frame once.
        #expect(try queryFramewise(database, "SELECT count(*) AS n FROM predictions WHERE rank = 1").first?["n"] as? Int == 4)
        #expect(try queryFramewise(database, "SELECT views FROM runs").first?["views"] as? String == "center,tiles")
    }

    @Test("a region's answers are those of the same crop, cut out beforehand")
    func regionsAreTheirCrops() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("wide.mp4"), cropped = directory.path("cropped.mp4")
        try makeWideClipWithCoffeeAtTheLeft(clip)
        try makeClip(cropped, ["-i", clip, "-vf", "crop=250:168:0:86", "-c:v", "libx264", "-preset", "veryfast", "-qp", "0",
                               "-pix_fmt", "yuv444p"])
        let wide = directory.path("wide.sqlite"), crop = directory.path("crop.sqlite")
        try run([clip, "--every", "5", "--region", "cup=0,0.2529,0.3125,0.4941"], database: wide)
        try run([cropped, "--every", "5", "--view", "full", "--no-categories"], database: crop)
        let sql = "SELECT frame_index, label, score FROM view_predictions WHERE rank = 1 AND view = ? ORDER BY frame_index"
        let region = try queryFramewise(wide, sql, parameters: ["cup"])
        let reference = try queryFramewise(crop, sql, parameters: ["full"])
        #expect(region.count == 4 && reference.count == 4)
        #expect(region.map { $0["label"] as? String } == Array(repeating: "espresso", count: 4))
        for (ours, theirs) in zip(region, reference) {
            #expect(ours["label"] as? String == theirs["label"] as? String)
            let difference = abs(((ours["score"] as? Double) ?? 0) - ((theirs["score"] as? Double) ?? 1))
            #expect(difference < 0.05, "region \(ours) vs crop \(theirs)")
        }
        // The centre crop (the first view) is still what `predictions` holds.
        #expect(try queryFramewise(wide, "SELECT views FROM runs").first?["views"] as? String == "center,cup")
    }

    @Test("a stored category score is the sum of its leaves' softmax probabilities (the best crop's, for tiles)")
    func categoryScoresAreSumsOfLeaves() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("coffee-moped.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 1, framesPerSecond: 10)
        let database = directory.path("labels.sqlite")
        try run([clip, "--every", "5", "--view", "center", "--view", "tiles", "--category", "motor vehicle",
                 "--category", "n07929519", "--category", "wheeled vehicle"], database: database)
        let stored = try queryFramewise(database, """
            SELECT f.frame_index, cs.view, k.wnid, cs.score FROM category_scores AS cs
              JOIN frames AS f ON f.id = cs.frame_id JOIN categories AS k ON k.id = cs.category_id
            """)
        var storedScores: [String: Double] = [:]
        for row in stored {
            storedScores["\(row["frame_index"] as? Int ?? -1)/\(row["view"] as? String ?? "")/\(row["wnid"] as? String ?? "")"]
                = row["score"] as? Double
        }

        // The same frames, decoded and classified here; each category summed over its leaves from WordNet.
        let model = try ModelDirectory(path: TestData.modelDirectory.path).load()
        let hierarchy = try CategoryHierarchy(classWnids: model.labels.classes.map(\.wnid), wordnet: WordNetFiles())
        let categories = try ["motor vehicle", "n07929519", "wheeled vehicle"].map { try hierarchy.resolve($0) }
        let engine = try GoogLeNetEngine(weights: PreparedWeights(model.weights))
        var options = DecoderOptions()
        options.sampling = .everyNth(5)
        options.views = [.center, .tiles]
        let reader = try FrameReader(input: try InputLocation(clip), options: options, spec: .googLeNet)
        var checked = 0, aboveFloor = 0
        while let frame = try reader.next() {
            for view in frame.views {
                let probabilities = try engine.classify(batch: view.crops)
                for category in categories {
                    let expected = probabilities.map { crop in category.leaves.reduce(Float(0)) { $0 + crop[$1] } }.max() ?? 0
                    let key = "\(frame.frameIndex)/\(view.name)/\(category.wnid)"
                    if expected >= 0.01 {
                        aboveFloor += 1
                        let score = try #require(storedScores[key], "no stored score for \(key)")
                        #expect(abs(score - Double(expected)) < 1e-5, "\(key): stored \(score), leaves sum to \(expected)")
                    } else {
                        #expect(storedScores[key] == nil, "\(key) stored below the floor")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 4 * 2 * 3 && aboveFloor >= 8)
        #expect(stored.count == aboveFloor)
    }

    @Test("appearances: one per object, at the right times; a resumed file adds the rest and repeats none")
    func appearancesAndResume() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("coffee-moped.mp4")
        try makeCoffeeThenMoped(clip)
        let database = directory.path("labels.sqlite")
        // The first run stops in the middle of the coffee; the second resumes the same file to its end.
        try run([clip, "--every", "5", "--end", "2"], database: database)
        try run([clip, "--every", "5"], database: database)
        try run([clip, "--every", "5"], database: database)
        let sql = """
            SELECT vocabulary, label, round(start_pts, 3) AS start_pts, round(end_pts, 3) AS end_pts, frames, open, run_id
              FROM appearances ORDER BY start_pts, vocabulary DESC, label
            """
        let found = try queryFramewise(database, sql)
        let summary = found.map { row in
            "\(row["label"] as? String ?? "?") \(row["start_pts"] as? Double ?? -1)–\(row["end_pts"] as? Double ?? -1) run \(row["run_id"] as? Int ?? 0)"
        }
        // Espresso 0–1.8 s in the first run, 2.0–3.8 s resumed (a run's appearances end with it), moped 4.0–7.8 s
        // and its category; the third run stores nothing new.
        #expect(summary == ["espresso 0.0–1.8 run 1", "espresso 2.0–3.8 run 2", "moped 4.0–7.8 run 2",
                            "motor vehicle 4.0–7.8 run 2"], "\(summary)")
        #expect(found.allSatisfy { $0["open"] as? Int == 0 })
        #expect(try queryFramewise(database, "SELECT count(*) AS n FROM runs").first?["n"] as? Int == 3)
        // Every appearance has its first frame's picture.
        let pictures = try queryFramewise(database, """
            SELECT count(*) AS n FROM appearances AS a
              JOIN frames AS f ON f.source_id = a.source_id AND f.frame_index = a.start_frame_index
              JOIN thumbnails AS t ON t.frame_id = f.id
            """)
        #expect(pictures.first?["n"] as? Int == 4)
        let segments = try runFramewise(["segments", "--category", "motor vehicle", "--db", database, "--format", "csv"])
        #expect(segments.stdout.contains(",center,motor vehicle,0:00:04.000,0:00:07.800,4.0,7.8,"), "\(segments.stdout)")
    }

    @Test("WordNet's categories: every class is covered, names resolve or say why not")
    func wordNetHierarchy() throws {
        let model = try ModelDirectory(path: TestData.modelDirectory.path).load()
        let hierarchy = try CategoryHierarchy(classWnids: model.labels.classes.map(\.wnid), wordnet: WordNetFiles())
        #expect(hierarchy.categories.count == 1860)  // the 1000 classes and their 860 ancestors
        #expect(try hierarchy.resolve("dog").leaves.count == 118)
        #expect(try hierarchy.resolve("automobile").name == "car")
        #expect(try hierarchy.resolve("police van").leaves.count == 1)
        for name in CategoryHierarchy.everydayNames { #expect(throws: Never.self) { try hierarchy.resolve(name) } }
        #expect(Set(try CategoryHierarchy.everydayNames.map { try hierarchy.resolve($0).wnid }).count
            == CategoryHierarchy.everydayNames.count)
        #expect {
            try hierarchy.resolve("car")
        } throws: { error in
            "\(error)".contains("ambiguous") && "\(error)".contains("n02958343") && "\(error)".contains("n02959942")
        }
        #expect { try hierarchy.resolve("unicorn") } throws: { "\($0)".contains("unknown category 'unicorn'") }
    }

    @Test("bad views, regions and categories are one line each, before anything is labelled")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("wide.mp4")
        try makeWideClipWithCoffeeAtTheLeft(clip)
        let database = directory.path("labels.sqlite")
        let cases: [([String], String)] = [
            (["--view", "left"], "--view must be center, full or tiles"),
            (["--region", "gate=0.5,0.5,0.6,0.2"], "must stay inside it"),
            (["--region", "center=0,0,1,1"], "built-in view"),
            (["--view", "tiles", "--view", "tiles"], "a view is given twice"),
            (["--category", "car"], "ambiguous category 'car'"),
        ]
        for (arguments, message) in cases {
            let result = try run([clip] + arguments, database: database, mustSucceed: false)
            #expect(result.status != 0)
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Fatal error"))
        }
        let segments = try runFramewise(["segments", "--category", "dog", "--db", database], mustSucceed: false)
        #expect(segments.status != 0 && segments.stderr.contains("no category 'dog'"), "\(segments.stderr)")
    }
}
