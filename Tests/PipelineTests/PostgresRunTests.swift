import Foundation
import FramewiseTestSupport
import Testing

/// `framewise run --db postgres://…`: the same pipeline into a real PostgreSQL server stores what it stores in
/// SQLite, reports the same page, resumes the same way, and never prints the password.
@Suite(.serialized, .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed (scripts/install-deps installs it), or this build has not the PostgreSQL trait"))
struct PostgresRunTests {
    @Test("run on PostgreSQL stores the same frames, labels and report as on SQLite, and a second run resumes (0 new frames), never with another decoding")
    func sameAnswersAsSQLite() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let clip = directory.path("coffee-moped.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 2, framesPerSecond: 10)
        let postgres = try server.makeDatabase()
        let sqlite = directory.path("labels.sqlite")
        var outputs: [String] = []
        for database in [sqlite, postgres] {
            let run = try runFramewise(["run", "--model", TestData.modelDirectory.path, "--db", database, "--every", "5", clip])
            outputs.append(run.stdout + run.stderr)
        }
        #expect(!outputs[1].contains(server.password))
        #expect(outputs[1].contains("8 frames labelled"), "\(outputs[1])")

        let sql = "SELECT frame_index, pts, rank, label, score FROM predictions ORDER BY frame_index, rank"
        let fromSQLite = try runFramewise(["query", "--db", sqlite, "--format", "csv", sql]).stdout
        let fromPostgres = try runFramewise(["query", "--db", postgres, "--format", "csv", sql]).stdout
        #expect(fromSQLite.filter { $0 == "\r\n" }.count == 1 + 8 * 5, "a header and 8 frames × 5 labels (CSV lines end in CRLF)")
        #expect(fromPostgres == fromSQLite)
        let segments = ["segments", "espresso", "--format", "csv"]
        #expect(try runFramewise(segments + ["--db", postgres]).stdout == runFramewise(segments + ["--db", sqlite]).stdout)

        // The report reads either: the same page, but for the frame ids in its anchors (each database numbers its rows).
        var pages: [String] = []
        for database in [sqlite, postgres] {
            let page = directory.path("report-\(pages.count).html")
            try runFramewise(["report", "--db", database, "--label", "espresso", "-o", page])
            pages.append(try String(contentsOfFile: page, encoding: .utf8)
                .replacingOccurrences(of: #"(#|id=")f[0-9]+"#, with: "$1f", options: .regularExpression))
        }
        #expect(pages[0].components(separatedBy: "<tr class=\"appearance\">").count == 2)
        #expect(pages[1] == pages[0])

        let again = try runFramewise(["run", "--model", TestData.modelDirectory.path, "--db", postgres, "--every", "5", clip])
        #expect(again.stdout.contains("0 labelled") && again.stdout.contains("8 already stored"), "\(again.stdout)")
        let mixed = try runFramewise(["run", "--model", TestData.modelDirectory.path, "--db", postgres, "--every", "5",
                                      "--decoding", "skip-loop-filter", clip], mustSucceed: false)
        #expect(mixed.status == 1 && mixed.stderr.contains("stored frames were decoded full, this run would decode skip-loop-filter"))
        let runs = try runFramewise(["query", "--db", postgres, "--format", "csv",
                                     "SELECT status, frames_labeled, frames_skipped, decoding FROM runs ORDER BY id"]).stdout
        #expect(runs == "status,frames_labeled,frames_skipped,decoding\r\ncompleted,8,0,full\r\ncompleted,0,8,full\r\n")
    }
}
