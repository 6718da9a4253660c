import Foundation
import FramewiseTestSupport
import Testing

/// `framewise enqueue`, `work` and `jobs` end to end: real clips, the real model, real worker processes killed
/// with real signals, a real PostgreSQL server stopped under them, and SQLite on one machine.
@Suite(.serialized)
struct WorkQueueTests {
    /// Clips of ffmpeg's test pattern, `seconds[i]` long at 25 fps (so each has other content), in `directory`.
    private static func makeClips(_ seconds: [Int], in directory: TemporaryDirectory) throws -> [String] {
        try seconds.enumerated().map { index, length in
            let path = directory.path("recording-\(index).mp4")
            try makeClip(path, ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=\(length)",
                                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"])
            return path
        }
    }

    private static func startWorker(_ database: String, lease: Int = 3, untilEmpty: Bool) throws -> ChildProcess {
        try ChildProcess(try framewiseExecutable(), [
            "work", "--db", database, "--model", TestData.modelDirectory.path, "--workers", "1", "--lease", "\(lease)",
            "--poll", "0.5",
        ] + (untilEmpty ? ["--until-empty"] : []))
    }

    /// Per file: frames stored and distinct frame indices, in enqueue order.
    private static func storedFrames(_ database: String, of clips: [String]) throws -> [[Int]] {
        try clips.map { clip in
            let rows = try queryFramewise(database, """
                SELECT count(*) AS n, count(DISTINCT f.frame_index) AS distinct_indices
                FROM frames AS f JOIN sources AS s ON s.id = f.source_id WHERE s.uri = ?
                """, parameters: [clip])
            return [rows.first?["n"] as? Int ?? -1, rows.first?["distinct_indices"] as? Int ?? -1]
        }
    }

    private static func jobStates(_ database: String) throws -> [String] {
        try queryFramewise(database, "SELECT state FROM jobs ORDER BY id").compactMap { $0["state"] as? String }
    }

    @Test("four files, two workers, one SIGKILLed mid-file, a third later: every frame stored once, every job completed",
          .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed (scripts/install-deps installs it), or this build has not the PostgreSQL trait"))
    func aKilledWorkersJobIsTakenOverAndEveryFrameIsStoredOnce() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let database = try server.makeDatabase()
        let directory = try TemporaryDirectory()
        let seconds = [12, 13, 14, 15]
        let clips = try Self.makeClips(seconds, in: directory)
        let enqueued = try runFramewise(["enqueue", "--db", database, "--every", "5"] + clips)
        #expect(enqueued.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("job ") }.count == 4)

        let doomed = try Self.startWorker(database, untilEmpty: false)
        let survivor = try Self.startWorker(database, untilEmpty: true)
        // Kill the first worker once it has stored a few frames of its job, well before its end.
        let pid = doomed.process.processIdentifier
        let midFile = doomed.poll(every: 0.2, for: 120) {
            let rows = try? queryFramewise(database, """
                SELECT count(*) AS n FROM frames WHERE source_id = (
                    SELECT source_id FROM jobs WHERE worker LIKE ? AND state = 'running')
                """, parameters: ["%:\(pid)"])
            return (rows?.first?["n"] as? Int ?? 0) >= 10
        }
        #expect(midFile, "the first worker never got into a file")
        doomed.signal(SIGKILL)
        _ = doomed.wait()
        let killedJob = try #require(try queryFramewise(database, "SELECT id FROM jobs WHERE worker LIKE ? AND state = 'running'",
                                                        parameters: ["%:\(pid)"]).first?["id"] as? Int)
        let late = try Self.startWorker(database, untilEmpty: true)

        let results = [survivor.wait(), late.wait()]
        for result in results {
            #expect(result.status == 0, "\(result.stderr.suffix(2000))")
            #expect(!(result.stdout + result.stderr).contains(server.password))
        }
        #expect(try Self.jobStates(database) == ["completed", "completed", "completed", "completed"])
        // Every sampled frame (every 5th of 25 fps) of every file, each once.
        let expected = seconds.map { $0 * 25 / 5 }
        #expect(try Self.storedFrames(database, of: clips) == expected.map { [$0, $0] })
        // The killed worker's job was taken over after its lease and resumed: a second claim, the dead run marked
        // interrupted, the frames it had stored skipped.
        let taken = try #require(try queryFramewise(database, """
            SELECT j.attempts, j.worker, r.frames_skipped FROM jobs AS j JOIN runs AS r ON r.id = j.run_id WHERE j.id = ?
            """, parameters: ["\(killedJob)"]).first)
        #expect(taken["attempts"] as? Int == 2)
        #expect((taken["worker"] as? String)?.hasSuffix(":\(pid)") == false)
        #expect((taken["frames_skipped"] as? Int ?? 0) >= 10)
        let deadRuns = try queryFramewise(database, """
            SELECT r.status FROM runs AS r JOIN jobs AS j ON j.source_id = r.source_id WHERE j.id = ? ORDER BY r.id
            """, parameters: ["\(killedJob)"]).compactMap { $0["status"] as? String }
        #expect(deadRuns == ["interrupted", "completed"])
        let listing = try runFramewise(["jobs", "--db", database, "--format", "csv"]).stdout
        #expect(listing.hasPrefix("id,state,input,sampling,decoding,priority,worker,attempts,labelled,already_stored,lease_left,error\r\n"))
        #expect(!listing.contains(server.password))
    }

    @Test("a worker whose database server restarts mid-file goes back to it and stores every frame once",
          .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed (scripts/install-deps installs it), or this build has not the PostgreSQL trait"))
    func aServerRestartLosesNoFrame() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let database = try server.makeDatabase()
        let directory = try TemporaryDirectory()
        let clips = try Self.makeClips([30], in: directory)
        try runFramewise(["enqueue", "--db", database, "--every", "5"] + clips)
        let worker = try Self.startWorker(database, lease: 10, untilEmpty: true)
        let labelling = worker.poll(every: 0.2, for: 120) {
            ((try? queryFramewise(database, "SELECT count(*) AS n FROM frames"))?.first?["n"] as? Int ?? 0) >= 20
        }
        #expect(labelling)
        server.stop()
        Thread.sleep(forTimeInterval: 3)
        try server.start()
        let result = worker.wait()
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        #expect(!(result.stdout + result.stderr).contains(server.password))
        #expect(try Self.jobStates(database) == ["completed"])
        #expect(try Self.storedFrames(database, of: clips) == [[150, 150]])
        // The outage cost the first claim frames (refused batches): the job went back to the queue and the second
        // claim stored exactly those, skipping the rest.
        let runs = try queryFramewise(database, "SELECT frames_labeled, frames_dropped, frames_skipped FROM runs ORDER BY id")
        #expect(runs.count == 2 && (runs.first?["frames_dropped"] as? Int ?? 0) > 0)
        #expect(runs.last?["frames_labeled"] as? Int == runs.first?["frames_dropped"] as? Int)
        #expect(try queryFramewise(database, "SELECT attempts FROM jobs").first?["attempts"] as? Int == 2)
    }

    @Test func onSQLiteTheQueueWorksOnOneMachine() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("labels.sqlite")
        let clips = try Self.makeClips([2, 3], in: directory)
        // A relative path is stored absolute; the same open job twice is added once.
        let first = try runFramewise(["enqueue", "--db", database, "--every", "10", "recording-0.mp4"], in: directory.url)
        #expect(first.stdout == "job 1: \(clips[0]) (every 10)\n")
        let again = try runFramewise(["enqueue", "--db", database, "--every", "10", clips[0], clips[1]])
        #expect(again.stdout == "job 1 is already queued or running: \(clips[0]) (every 10)\njob 2: \(clips[1]) (every 10)\n")
        // Refused, one line each, nothing added.
        for (input, message) in [
            (directory.path("missing.mp4"), "\(directory.path("missing.mp4")): no such file"),
            ("rtsp://viewer:secret@camera/live", "rtsp://***@camera/live: the queue is for files"),
            ("https://archive.example/a.mp4?token=abc", "https://archive.example/a.mp4?token=***: a queued URL is stored for every worker"),
        ] {
            let refused = try runFramewise(["enqueue", "--db", database, input], mustSucceed: false)
            #expect(refused.status == 1 && refused.stderr.hasPrefix("error: \(message)"), "\(refused.stderr)")
            #expect(!refused.stderr.contains("secret") && !refused.stderr.contains("abc"))
        }
        let work = try runFramewise(["work", "--db", database, "--model", TestData.modelDirectory.path, "--until-empty"])
        #expect(work.stdout == "work: 2 completed, 0 failed, 0 not finished\n")
        #expect(try Self.storedFrames(database, of: clips) == [[5, 5], [8, 8]])
        let jobs = try runFramewise(["jobs", "--db", database, "--format", "csv"]).stdout.components(separatedBy: "\r\n")
        #expect(jobs.count == 4 && jobs[1].hasPrefix("1,completed,\(clips[0]),every 10,full,0,") && jobs[1].hasSuffix(",1,5,0,,"))
        // A completed file enqueued again is a new job whose run finds every frame stored.
        try runFramewise(["enqueue", "--db", database, "--every", "10", clips[0]])
        try runFramewise(["work", "--db", database, "--model", TestData.modelDirectory.path, "--until-empty"])
        let rerun = try queryFramewise(database, "SELECT r.frames_labeled, r.frames_skipped FROM jobs AS j JOIN runs AS r ON r.id = j.run_id WHERE j.id = 3")
        #expect(rerun.first?["frames_labeled"] as? Int == 0 && rerun.first?["frames_skipped"] as? Int == 5)
    }

    /// A job carries its decoding: the worker decodes so, `runs.decoding` and `jobs` say it; an enqueue whose decoding
    /// disagrees with the file's stored frames is one line, and nothing is queued; new content at the path is not
    /// held to the old content's decoding.
    private static func checkJobDecoding(_ database: String, in directory: TemporaryDirectory) throws {
        let clip = try Self.makeClips([2], in: directory)[0]
        let enqueued = try runFramewise(["enqueue", "--db", database, "--every", "10", "--decoding", "skip-loop-filter", clip])
        #expect(enqueued.stdout == "job 1: \(clip) (every 10, skip-loop-filter)\n")
        let work = try runFramewise(["work", "--db", database, "--model", TestData.modelDirectory.path, "--until-empty"])
        #expect(work.stdout == "work: 1 completed, 0 failed, 0 not finished\n", "\(work.stderr)")
        let runs = try queryFramewise(database, "SELECT decoding, frames_labeled FROM runs")
        #expect(runs.map { $0["decoding"] as? String } == ["skip-loop-filter"])
        #expect(runs.first?["frames_labeled"] as? Int == 5)
        let jobs = try runFramewise(["jobs", "--db", database, "--format", "csv"]).stdout.components(separatedBy: "\r\n")
        #expect(jobs.count == 3 && jobs[1].hasPrefix("1,completed,\(clip),every 10,skip-loop-filter,0,"), "\(jobs)")

        let refused = try runFramewise(["enqueue", "--db", database, "--every", "5", clip], mustSucceed: false)
        #expect(refused.status == 1)
        #expect(refused.stderr == """
            error: \(clip): its stored frames were decoded skip-loop-filter, the job would decode full: give the same \
            decoding (--decoding)

            """, "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try Self.jobStates(database) == ["completed"])
        // New content at the same path is a new source with no stored frames: any decoding is queued.
        #expect(try Self.makeClips([3], in: directory) == [clip])
        let newContent = try runFramewise(["enqueue", "--db", database, "--every", "5", clip])
        #expect(newContent.stdout == "job 2: \(clip) (every 5)\n", "\(newContent.stderr)")
    }

    @Test func onSQLiteAJobDecodesAsEnqueued() throws {
        let directory = try TemporaryDirectory()
        try Self.checkJobDecoding(directory.path("labels.sqlite"), in: directory)
    }

    @Test("on PostgreSQL a job decodes as enqueued, and a disagreeing enqueue is refused",
          .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed (scripts/install-deps installs it), or this build has not the PostgreSQL trait"))
    func onPostgreSQLAJobDecodesAsEnqueued() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try Self.checkJobDecoding(try server.makeDatabase(), in: try TemporaryDirectory())
    }

    /// Failures keep their kind: an input that can never be labelled (not a video, a file that vanished from the
    /// queue) fails at its first claim; a server that refuses connections may come back, so its job is tried three
    /// times; a file whose whole directory is gone points at this machine's storage (a stale mount), so it is
    /// given back to the queue with that reason — three claims here, no other worker taking it.
    @Test func failuresKeepTheirKindInTheQueue() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("labels.sqlite")
        let broken = directory.path("broken.mp4")
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: broken))
        let clips = try Self.makeClips([2, 2], in: directory)
        let vanished = clips[1]
        let mount = directory.path("mount")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: false)
        let unmounted = mount + "/recording.mp4"
        try FileManager.default.copyItem(atPath: clips[0], toPath: unmounted)
        let unreachable = "http://127.0.0.1:\(try unusedPort())/recording.mp4"
        try runFramewise(["enqueue", "--db", database, broken, vanished, unreachable, unmounted, clips[0], "--every", "10"])
        try FileManager.default.removeItem(atPath: vanished)
        try FileManager.default.removeItem(atPath: mount)

        let work = try runFramewise(["work", "--db", database, "--model", TestData.modelDirectory.path, "--until-empty",
                                     "--poll", "0.2"])
        #expect(work.stdout == "work: 1 completed, 4 failed, 4 not finished\n", "\(work.stderr)")
        let jobs = try queryFramewise(database, "SELECT state, attempts, error FROM jobs ORDER BY id")
        #expect(jobs.map { $0["state"] as? String } == ["failed", "failed", "failed", "failed", "completed"])
        #expect(jobs.map { $0["attempts"] as? Int } == [1, 1, 3, 3, 1])
        let errors = jobs.map { $0["error"] as? String ?? "" }
        #expect(errors[0].contains("not a video") && !errors[0].contains("attempts"), "\(errors[0])")
        #expect(errors[1].contains("not found") && !errors[1].contains("attempts"), "\(errors[1])")
        #expect(errors[2].contains("connection refused") && errors[2].hasSuffix("(after 3 attempts)"), "\(errors[2])")
        #expect(errors[3].contains("its directory is missing on") && errors[3].hasSuffix("(after 3 attempts)"), "\(errors[3])")
    }
}
