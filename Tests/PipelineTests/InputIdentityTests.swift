import FramewiseTestSupport
import Foundation
import Testing

/// What a run does with odd mixes of inputs: a bad input beside good ones, the same file under several names,
/// new content at a known path, files over HTTP, numbers out of range. Real clips, the real model, real files.
@Suite(.serialized) struct InputIdentityTests {
    @discardableResult
    private func run(_ arguments: [String], database: String, mustSucceed: Bool = true,
                     environment: [String: String] = [:]) throws -> CommandResult
    {
        try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, "--workers", "2"]
                         + arguments, environment: environment, mustSucceed: mustSucceed)
    }

    /// A still photo as a 2 s clip (50 frames).
    private func makePhotoClip(_ path: String, _ photo: String) throws {
        try makeClip(path, ["-loop", "1", "-framerate", "25", "-t", "2", "-i", TestData.photo(photo),
                            "-vf", "scale=320:-2", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"])
    }

    private func answers(_ database: String, source: String) throws -> [String] {
        try queryFramewise(database, """
            SELECT frame_index, rank, class_index, round(score, 5) AS score FROM predictions WHERE source = ?
             ORDER BY frame_index, rank
            """, parameters: [source]).map { "\($0["frame_index"] ?? "") \($0["rank"] ?? "") \($0["class_index"] ?? "") \($0["score"] ?? "")" }
    }

    @Test(arguments: [0, 1])
    func aBadInputBesideGoodOnesFailsAloneWithOneLine(badPosition: Int) throws {
        let directory = try TemporaryDirectory()
        let coffee = directory.path("coffee.mp4"), moped = directory.path("moped.mp4")
        try makePhotoClip(coffee, "coffee.png")
        try makePhotoClip(moped, "motorcycle_left.png")
        let missing = directory.path("missing.mp4")
        var inputs = [coffee, moped]
        inputs.insert(missing, at: badPosition)

        let database = directory.path("mixed.sqlite")
        let result = try run(inputs + ["--every", "10"], database: database, mustSucceed: false)
        #expect(result.status == 1)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("missing.mp4") == true)
        let runs = try queryFramewise(database, "SELECT status, frames_sampled, frames_labeled, frames_dropped, frames_skipped FROM runs")
        #expect(runs.map { $0["status"] as? String } == ["completed", "completed"])
        #expect(runs.allSatisfy(sampledIsAccountedFor))

        // Each good input holds exactly what it gets when run alone.
        for clip in [coffee, moped] {
            let alone = directory.path("alone-\(URL(fileURLWithPath: clip).lastPathComponent).sqlite")
            try run([clip, "--every", "10"], database: alone)
            let expected = try answers(alone, source: clip)
            #expect(expected.count == 25)
            #expect(try answers(database, source: clip) == expected)
        }
    }

    /// A database error while the inputs are being registered finishes the runs already begun: none is left
    /// `running`, and the error is one line.
    @Test func aDatabaseErrorWhileStartingLeavesNoRunRunning() throws {
        let directory = try TemporaryDirectory()
        let first = directory.path("first.mp4"), second = directory.path("second.mp4")
        try makePhotoClip(first, "coffee.png")
        try makePhotoClip(second, "motorcycle_left.png")
        let database = directory.path("labels.sqlite")
        try run([first, "--every", "25"], database: database)
        _ = try runCommand(URL(fileURLWithPath: "/usr/bin/sqlite3"), [database, """
            CREATE TRIGGER refuse_second BEFORE INSERT ON sources WHEN NEW.uri LIKE '%second.mp4'
            BEGIN SELECT RAISE(ABORT, 'sources refused by the test'); END;
            """])
        let result = try run([first, second, "--every", "25"], database: database, mustSucceed: false)
        #expect(result.status == 1)
        #expect(result.stderr == "error: sources refused by the test\n")
        let runs = try queryFramewise(database, "SELECT status, error FROM runs ORDER BY id")
        #expect(runs.map { $0["status"] as? String } == ["completed", "failed"])
        #expect((runs.last?["error"] as? String)?.hasPrefix("not started: ") == true)
    }

    @Test func theSameFileUnderAnySpellingResumesAndTheSameInputTwiceIsRefused() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makePhotoClip(clip, "coffee.png")
        try FileManager.default.createSymbolicLink(atPath: directory.path("link.mp4"), withDestinationPath: clip)
        let database = directory.path("labels.sqlite")
        try run(["clip.mp4", "--every", "10"].map { $0 == "clip.mp4" ? clip : $0 }, database: database)
        for spelling in ["./clip.mp4", "../\(directory.url.lastPathComponent)/clip.mp4", "link.mp4"] {
            let result = try runFramewise(["run", "--model", TestData.modelDirectory.path, "--db", database, spelling, "--every", "10"],
                                          in: directory.url)
            #expect(result.stdout.contains("0 labelled, 0 dropped, 5 already stored (skipped)"))
        }
        #expect(try queryFramewise(database, "SELECT uri FROM sources").map { $0["uri"] as? String } == [clip])
        #expect(try queryFramewise(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int == 5)

        let twice = try run([clip, clip], database: database, mustSucceed: false)
        #expect(twice.status == 1)
        #expect(twice.stderr == "error: \(clip) is given twice\n")
        let twoSpellings = try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database,
                                             clip, "link.mp4"], in: directory.url, mustSucceed: false)
        #expect(twoSpellings.status == 1)
        #expect(twoSpellings.stderr.contains("error: link.mp4: the same source as \(clip)"))
    }

    @Test func newContentAtAKnownPathIsANewSourceAndTheOldFramesStay() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makePhotoClip(clip, "coffee.png")
        let database = directory.path("labels.sqlite")
        try run([clip, "--every", "10"], database: database)
        try makePhotoClip(clip, "motorcycle_left.png")
        let again = try run([clip, "--every", "10"], database: database)
        #expect(again.stdout.contains("5 labelled"))

        let sources = try queryFramewise(database, "SELECT id, uri, fingerprint FROM sources ORDER BY id")
        #expect(sources.map { $0["uri"] as? String } == [clip, clip])
        #expect(Set(sources.compactMap { $0["fingerprint"] as? String }).count == 2)
        let topLabels = try queryFramewise(database, "SELECT source_id, label FROM label_segments ORDER BY source_id")
        #expect(topLabels.map { $0["label"] as? String } == ["espresso", "moped"])
    }

    /// Files served over HTTP by a server without range support are files: every frame, nothing dropped,
    /// completed at their end, and a second run resumes.
    @Test(arguments: [("clip.ts", [String]()), ("clip.mp4", ["-movflags", "+faststart"])])
    func filesOverHTTPCompleteWithEveryFrame(name: String, muxerOptions: [String]) throws {
        let directory = try TemporaryDirectory()
        try makeClip(directory.path(name), ["-loop", "1", "-framerate", "25", "-t", "2", "-i", TestData.photo("coffee.png"),
                                            "-vf", "scale=320:-2", "-c:v", "libx264", "-preset", "veryfast",
                                            "-pix_fmt", "yuv420p"] + muxerOptions)
        let server = try LoopbackHTTPServer(serving: directory.url.path)
        defer { server.stop() }
        let database = directory.path("labels.sqlite")
        let url = server.url(name).absoluteString
        let result = try run([url, "--every", "5", "--queue", "1"], database: database)
        #expect(result.stdout.contains("\(url): completed"))
        let runs = try queryFramewise(database, """
            SELECT status, live, frames_decoded, frames_sampled, frames_labeled, frames_dropped, frames_skipped FROM runs
            """)
        #expect(runs.first?["live"] as? Int == 0)
        #expect(runs.first?["frames_decoded"] as? Int == 50)
        #expect(runs.first?["frames_labeled"] as? Int == 10)
        #expect(runs.first?["frames_dropped"] as? Int == 0)
        let stored = try queryFramewise(database, "SELECT count(*) AS n, count(captured_at) AS timed FROM frames").first
        #expect(stored?["n"] as? Int == 10)
        #expect(stored?["timed"] as? Int == 0)
        let again = try run([url, "--every", "5"], database: database)
        #expect(again.stdout.contains("10 already stored"))
    }

    @Test(arguments: [
        (["--fps", "1e30"], "--fps must be above 0 and at most 1000, found 1e+30"),
        (["--fps", "0"], "--fps must be above 0"),
        (["--start", "1e300"], "--start must be at least 0 and at most 315360000, found 1e+300"),
        (["--end=-1"], "--end must be at least 0"),
        (["--start", "5", "--end", "2"], "--end must be after --start"),
        (["--stall-timeout", "0"], "--stall-timeout must be above 0"),
        (["--batch-deadline=-1"], "--batch-deadline must be at least 0"),
        (["--workers", "0"], "--workers must be between 1 and 256, found 0"),
        (["--batch", "100000"], "--batch must be between 1 and 256"),
        (["--queue", "0"], "--queue must be between 1 and 10000"),
        (["--every", "0"], "--every must be between 1 and 1000000"),
    ])
    func numbersOutOfRangeAreOneLine(arguments: [String], message: String) throws {
        let directory = try TemporaryDirectory()
        let result = try run([directory.path("any.mp4")] + arguments, database: directory.path("x.sqlite"), mustSucceed: false)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(message)"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func numbersOutOfRangeInAPipelineFileNameTheLine() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("fast.yaml")
        try "source: {uri: clip.mp4}\nsampling:\n  fps: 1e30\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runFramewise(["run", file], mustSucceed: false)
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(file):3: sampling.fps: must be above 0 and at most 1000, found 1e+30\n")
    }
}
