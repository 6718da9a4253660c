import Foundation
import FramewiseTestSupport
import Testing

/// `framewise db stats`, `db backup` and `prune` as a user runs them, on a database `framewise run` filled.
@Suite struct MaintenanceCommandTests {
    @Test func statsBackupAndPruneOnALabelledClip() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4"), database = directory.path("labels.sqlite")
        try makeClip(clip, ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-pix_fmt", "yuv420p"])
        try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, clip, "--every", "10"])

        let stats = try runFramewise(["db", "stats", "--db", database]).stdout
        #expect(stats.contains("frames     |   10 |"), "\(stats)")
        #expect(stats.contains("labels     |   50 |"))
        #expect(stats.contains("| \(clip) |     10 |"))
        #expect(stats.components(separatedBy: "row)").count + stats.components(separatedBy: "rows)").count - 2 == 3,
                "three results: tables, sources, days")

        let copy = directory.path("copy.sqlite")
        #expect(try runFramewise(["db", "backup", "--db", database, copy]).stdout.hasPrefix("backup: \(copy), "))
        let again = try runFramewise(["db", "backup", "--db", database, copy], mustSucceed: false)
        #expect(again.status == 1 && again.stderr == "error: \(copy) exists already: a backup never overwrites a file\n")
        #expect(try queryFramewise(copy, "SELECT count(*) AS n FROM predictions").first?["n"] as? Int == 50)

        let dryRun = try runFramewise(["prune", "--db", database, "--older-than", "1s", "--dry-run"])
        Thread.sleep(forTimeInterval: 1.1)
        #expect(dryRun.stdout == "prune: 10 frames older than 1s would be deleted (dry run)\n"
                || dryRun.stdout == "prune: 0 frames older than 1s would be deleted (dry run)\n")
        #expect(try runFramewise(["prune", "--db", database, "--older-than", "1d"]).stdout.hasPrefix("prune: 0 frames, 0 runs"))
        let pruned = try runFramewise(["prune", "--db", database, "--older-than", "1s"]).stdout
        #expect(pruned.hasPrefix("prune: 10 frames, 1 runs and 1 sources older than 1s deleted"), "\(pruned)")
        #expect(try queryFramewise(database, "SELECT count(*) AS n FROM labels").first?["n"] as? Int == 0)
    }
}
