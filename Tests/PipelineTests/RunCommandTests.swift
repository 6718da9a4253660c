import FramewiseTestSupport
import Foundation
import Testing

/// `framewise run` end to end: real clips made with ffmpeg, the real model from ../shared, a real SQLite file,
/// real signals. Each test asks the database through `framewise query`, as a user would.
@Suite(.serialized) struct RunCommandTests {
    private func query(_ database: String, _ sql: String, parameters: [String] = []) throws -> [[String: Any]] {
        try queryFramewise(database, sql, parameters: parameters)
    }

    @discardableResult
    private func run(_ arguments: [String], database: String, mustSucceed: Bool = true) throws -> CommandResult {
        try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, "--workers", "2"] + arguments,
                         mustSucceed: mustSucceed)
    }

    @Test func segmentsShowEspressoThenMopedAtTheRightTimes() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("coffee-moped.mp4")
        try makeCoffeeThenMoped(clip)
        let database = directory.path("labels.sqlite")
        let result = try run([clip, "--every", "5"], database: database)
        #expect(result.stdout.contains("completed"))
        #expect(result.stdout.contains("espresso"))

        let segments = try query(database, "SELECT label, start_pts, end_pts, frames FROM label_segments ORDER BY start_pts")
        #expect(segments.map { $0["label"] as? String } == ["espresso", "moped"])
        let times = segments.map { [($0["start_pts"] as? Double) ?? -1, ($0["end_pts"] as? Double) ?? -1] }
        #expect(times.count == 2)
        if times.count == 2 {
            // Sampled frames are 0.2 s apart: espresso from 0 to 3.8 s, moped from 4.0 to 7.8 s.
            #expect(abs(times[0][0] - 0.0) < 1e-6 && abs(times[0][1] - 3.8) < 1e-6)
            #expect(abs(times[1][0] - 4.0) < 1e-6 && abs(times[1][1] - 7.8) < 1e-6)
        }
        #expect(segments.map { $0["frames"] as? Int } == [20, 20])

        let runs = try query(database, "SELECT status, frames_decoded, frames_sampled, frames_labeled, frames_dropped, sampling FROM runs")
        #expect(runs.count == 1)
        #expect(runs.first?["status"] as? String == "completed")
        #expect(runs.first?["frames_decoded"] as? Int == 200)
        #expect(runs.first?["frames_sampled"] as? Int == 40)
        #expect(runs.first?["frames_labeled"] as? Int == 40)
        #expect(runs.first?["frames_dropped"] as? Int == 0)
        let labels = try query(database, "SELECT count(*) AS n FROM labels")
        #expect(labels.first?["n"] as? Int == 200)
    }

    @Test(arguments: [
        (["--fps", "2"], 16, [0, 13, 25, 38, 50]),
        (["--keyframes"], 4, [0, 50, 100, 150]),
        (["--every", "40"], 5, [0, 40, 80, 120, 160]),
        (["--every", "10", "--start", "2", "--end", "5"], 8, [50, 60, 70, 80, 90]),
    ])
    func samplingStoresExactlyTheSampledFrames(arguments: [String], count: Int, firstIndices: [Int]) throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeCoffeeThenMoped(clip)
        let database = directory.path("labels.sqlite")
        try run([clip] + arguments, database: database)
        let frames = try query(database, "SELECT frame_index FROM frames ORDER BY frame_index")
        #expect(frames.count == count)
        #expect(Array(frames.prefix(firstIndices.count).compactMap { $0["frame_index"] as? Int }) == firstIndices)
        let runs = try query(database, "SELECT frames_sampled, frames_labeled, frames_dropped FROM runs")
        #expect(runs.first?["frames_labeled"] as? Int == count)
        #expect(runs.first?["frames_sampled"] as? Int == count)
        #expect(runs.first?["frames_dropped"] as? Int == 0)
    }

    @Test func microBatchesGiveTheSameAnswersAsSingleFrames() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 1)
        let single = directory.path("single.sqlite"), batched = directory.path("batched.sqlite")
        try run([clip, "--every", "5"], database: single)
        // 10 frames in batches of 3: the last batch is short and padded.
        try run([clip, "--every", "5", "--batch", "3"], database: batched)
        let sql = "SELECT frame_index, rank, class_index, score FROM predictions ORDER BY frame_index, rank"
        let expected = try query(single, sql), actual = try query(batched, sql)
        #expect(expected.count == 50)
        #expect(actual.count == expected.count)
        for (a, b) in zip(actual, expected) {
            #expect(a["frame_index"] as? Int == b["frame_index"] as? Int)
            #expect(a["class_index"] as? Int == b["class_index"] as? Int)
            #expect(abs((a["score"] as? Double ?? -1) - (b["score"] as? Double ?? 1)) < 1e-5)
        }
    }

    @Test func severalInputsShareOneRunAndKeepTheirOwnFrames() throws {
        let directory = try TemporaryDirectory()
        let first = directory.path("first.mp4"), second = directory.path("second.mp4")
        try makeCoffeeThenMoped(first, secondsEach: 1)
        try makeClip(second, ["-loop", "1", "-framerate", "25", "-t", "2", "-i", TestData.photo("motorcycle_left.png"),
                              "-vf", "scale=600:-2,crop=600:400", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        let database = directory.path("labels.sqlite")
        try run([first, second, "--every", "5"], database: database)
        let perSource = try query(database, """
            SELECT s.uri, r.status, r.frames_labeled, count(f.id) AS frames
              FROM sources s JOIN runs r ON r.source_id = s.id LEFT JOIN frames f ON f.run_id = r.id
             GROUP BY s.id ORDER BY s.id
            """)
        #expect(perSource.map { $0["uri"] as? String } == [first, second])
        #expect(perSource.map { $0["status"] as? String } == ["completed", "completed"])
        #expect(perSource.map { $0["frames"] as? Int } == [10, 10])
        #expect(perSource.map { $0["frames_labeled"] as? Int } == [10, 10])
        let secondLabels = try query(database, "SELECT DISTINCT label FROM label_segments WHERE source = ?", parameters: [second])
        #expect(secondLabels.map { $0["label"] as? String } == ["moped"])
    }

    @Test func aSecondRunSkipsWhatIsStoredAndRestartRedoesIt() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 1)
        let database = directory.path("labels.sqlite")
        try run([clip, "--every", "5"], database: database)
        // The run folded SQLite's write-ahead log into the file: the file alone holds it (to copy, to send).
        #expect(!FileManager.default.fileExists(atPath: database + "-wal"))
        let again = try run([clip, "--every", "5"], database: database)
        #expect(again.stdout.contains("10 already stored"))
        try run([clip, "--every", "5", "--restart"], database: database)
        let runs = try query(database, "SELECT frames_labeled FROM runs ORDER BY id")
        #expect(runs.compactMap { $0["frames_labeled"] as? Int } == [10, 0, 10])
        #expect(try query(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int == 10)
    }

    @Test func eachRunRecordsItsDecodingAndAResumeNeverMixesTwo() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 1)
        let database = directory.path("labels.sqlite")
        try run([clip, "--every", "5", "--end", "1", "--decoding", "skip-loop-filter"], database: database)
        #expect(try query(database, "SELECT decoding FROM runs").first?["decoding"] as? String == "skip-loop-filter")

        let mixed = try run([clip, "--every", "5", "--decoding", "full"], database: database, mustSucceed: false)
        #expect(mixed.status == 1)
        let errors = mixed.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("stored frames were decoded skip-loop-filter, this run would decode full") == true)

        let resumed = try run([clip, "--every", "5", "--decoding", "skip-loop-filter"], database: database)
        #expect(resumed.stdout.contains("5 already stored"))
        try run([clip, "--every", "5", "--decoding", "full", "--restart"], database: database)
        let runs = try query(database, "SELECT decoding, frames_labeled FROM runs ORDER BY id")
        #expect(runs.map { $0["decoding"] as? String } == ["skip-loop-filter", "skip-loop-filter", "full"])
        #expect(runs.map { $0["frames_labeled"] as? Int } == [5, 5, 10])

        for (arguments, message) in [(["--decoding", "fast"], "--decoding must be full, skip-loop-filter"),
                                     (["--every", "5", "--decoding", "skip-nonref"], "needs fps or keyframes sampling")] {
            let refused = try run([clip] + arguments, database: database, mustSucceed: false)
            #expect(refused.status == 1)
            #expect(refused.stderr.split(separator: "\n").count == 1)
            #expect(refused.stderr.contains(message), "\(refused.stderr)")
        }
    }

    @Test func sigintStopsCleanlyAndTheNextRunCompletesWithoutDuplicates() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("long.mp4")
        try makeClip(clip, ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=20", "-c:v", "libx264",
                            "-preset", "veryfast", "-pix_fmt", "yuv420p"])
        let database = directory.path("labels.sqlite")
        let child = try ChildProcess(try framewiseExecutable(), [
            "run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, "--workers", "2", clip,
        ])
        // Wait until frames are being committed, then interrupt.
        let committing = child.poll(every: 0.3, for: 60) {
            ((try? query(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int) ?? 0) >= 30
        }
        #expect(committing)
        let interruptedAt = Date()
        child.signal(SIGINT)
        let result = child.wait()
        #expect(Date().timeIntervalSince(interruptedAt) < 10)
        #expect(result.status == 130)
        #expect(result.stdout.contains("interrupted"))

        #expect(try query(database, "PRAGMA integrity_check").first?["integrity_check"] as? String == "ok")
        let first = try query(database, "SELECT status, frames_labeled, frames_sampled, frames_dropped, frames_skipped FROM runs")
        #expect(first.first?["status"] as? String == "interrupted")
        #expect(first.first.map(sampledIsAccountedFor) == true)
        let storedAfterStop = try query(database, "SELECT count(*) AS n FROM frames").first?["n"] as? Int ?? -1
        #expect(first.first?["frames_labeled"] as? Int == storedAfterStop)
        #expect(storedAfterStop < 500)
        let incomplete = try query(database, "SELECT count(*) AS n FROM frames f WHERE (SELECT count(*) FROM labels l WHERE l.frame_id = f.id) != 5")
        #expect(incomplete.first?["n"] as? Int == 0)

        try run([clip], database: database)
        let total = try query(database, "SELECT count(*) AS n, count(DISTINCT frame_index) AS distinct_frames, max(frame_index) AS last FROM frames")
        #expect(total.first?["n"] as? Int == 500)
        #expect(total.first?["distinct_frames"] as? Int == 500)
        #expect(total.first?["last"] as? Int == 499)
        let second = try query(database, "SELECT status, frames_labeled FROM runs ORDER BY id DESC LIMIT 1")
        #expect(second.first?["status"] as? String == "completed")
        #expect(second.first?["frames_labeled"] as? Int == 500 - storedAfterStop)
    }

    @Test func badInputsFailWithOneLineEach() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("labels.sqlite")
        let text = directory.path("notes.txt")
        try "not a video".write(toFile: text, atomically: true, encoding: .utf8)
        let result = try runFramewise(
            ["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, directory.path("missing.mp4"), text],
            mustSucceed: false)
        #expect(result.status != 0)
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 2)
        #expect(errors.first?.contains("missing.mp4") == true)
        #expect(errors.last?.contains("notes.txt") == true)
    }

    @Test func aBadPipelineFileNamesTheLineAndKey() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("bad.yaml")
        try "source:\n  uri: clip.mp4\nworkerz: 2\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runFramewise(["run", file], mustSucceed: false)
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.yaml:3: workerz: unknown key"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}

/// The counter identity every run keeps: each sampled frame is labelled, dropped or skipped, exactly once.
func sampledIsAccountedFor(_ run: [String: Any]) -> Bool {
    let sampled = run["frames_sampled"] as? Int, labeled = run["frames_labeled"] as? Int
    let dropped = run["frames_dropped"] as? Int, skipped = run["frames_skipped"] as? Int
    guard let sampled, let labeled, let dropped, let skipped else { return false }
    return sampled == labeled + dropped + skipped
}
