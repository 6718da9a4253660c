import Foundation
import Synchronization
import FramewiseTestSupport
import Testing
@testable import LabelStore
#if PostgreSQL
import PostgresNIO
#endif

/// Writes the same frames into any label database: a file source with label changes and a gap, a frame stored
/// twice, and a live source with two sessions (wall-clock times) — enough for every view and every format.
func fillComparisonFixture(_ store: LabelStore) throws {
    try store.storeClasses(fixtureClasses)
    let file = try store.register(source: SourceDescriptor(uri: "/videos/a, \"odd\".mp4", kind: .file, fingerprint: "f1")).id
    let fileRun = try store.beginRun(RunSettings(source: file, precision: "fp32", sampling: "every 5", modelSHA256: "m"))
    let writer = try store.makeWriter(run: fileRun, policy: FrameWriter.Policy(maxFrames: 3), onBatch: nil)
    for (index, classes) in [(0, [0, 1]), (5, [0, 2]), (10, [1, 0, 2]), (20, [1]), (25, [0]), (30, [2, 1]), (35, [2])] {
        try writer.append(frame(Int64(index), pts: Double(index) / 30, classes, top1: 0.7 - Float(index) / 100))
    }
    try writer.append(frame(5, [1]))
    try writer.close()
    try store.finishRun(fileRun, status: .completed, counts: RunCounts(decoded: 40, sampled: 8, labeled: 7, skipped: 1))

    let camera = try store.register(source: SourceDescriptor(uri: "rtsp://***@camera/stream", kind: .rtsp)).id
    for session in 0..<2 {
        let base = try store.nextFrameIndex(of: camera)
        let run = try store.beginRun(RunSettings(source: camera, precision: "int8", sampling: "fps 2", modelSHA256: "m",
                                                 live: true))
        let writer = try store.makeWriter(run: run)
        for offset in 0..<3 {
            let captured = Date(timeIntervalSince1970: 1_790_000_000.25 + Double(session * 3600 + offset) / 2)
            try writer.append(StoredFrame(frameIndex: base + Int64(offset), pts: Double(offset) / 2, capturedAt: captured,
                                          top: [ClassScore(classIndex: 0, score: 0.9), ClassScore(classIndex: 2, score: 0.05)]))
        }
        try writer.close()
        try store.finishRun(run, status: .interrupted, counts: RunCounts(decoded: 3, sampled: 3, labeled: 3))
    }
}

#if PostgreSQL
/// The label store on a real PostgreSQL server: schema, writer, read-only queries, and the same answers as SQLite.
@Suite("PostgreSQL store", .serialized)
struct PostgresStoreTests {
    @Test("a fresh database gets every migration, table and view; an old one is upgraded in place")
    func migrations() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let fresh = try PostgresLocation(url: server.makeDatabase())
        _ = try LabelStore(postgres: fresh)
        let reader = try PostgresReadOnlyDatabase(location: fresh)
        #expect(try reader.rows("SELECT identifier FROM framewise_migrations ORDER BY identifier")
            == PostgresSchema.migrations.map { [.text($0.identifier)] })
        #expect(PostgresSchema.migrations.map(\.identifier) == Schema.migrations.map(\.identifier))
        let objects = try reader.rows("""
            SELECT table_type, table_name FROM information_schema.tables
             WHERE table_schema = 'public' AND table_name <> 'framewise_migrations' ORDER BY table_name
            """)
        #expect(objects == [
            [.text("BASE TABLE"), .text("appearances")], [.text("BASE TABLE"), .text("categories")],
            [.text("VIEW"), .text("category_predictions")], [.text("BASE TABLE"), .text("category_scores")],
            [.text("BASE TABLE"), .text("classes")], [.text("BASE TABLE"), .text("frame_features")],
            [.text("BASE TABLE"), .text("frames")], [.text("BASE TABLE"), .text("head_classes")],
            [.text("BASE TABLE"), .text("head_examples")], [.text("VIEW"), .text("head_predictions")],
            [.text("BASE TABLE"), .text("head_scores")], [.text("BASE TABLE"), .text("head_versions")],
            [.text("BASE TABLE"), .text("heads")], [.text("BASE TABLE"), .text("jobs")], [.text("VIEW"), .text("label_segments")], [.text("BASE TABLE"), .text("labels")],
            [.text("VIEW"), .text("predictions")], [.text("BASE TABLE"), .text("runs")],
            [.text("BASE TABLE"), .text("sources")], [.text("BASE TABLE"), .text("thumbnails")],
            [.text("BASE TABLE"), .text("view_labels")], [.text("VIEW"), .text("view_predictions")],
        ])

        // A database of the first schema, with what that Framewise wrote, gains the rest and keeps its rows.
        let old = try PostgresLocation(url: server.makeDatabase())
        do {
            let store = try LabelStore(postgres: old, migratingUpTo: PostgresSchema.migrations[0].identifier)
            try store.storeClasses(fixtureClasses)
            try (store.connection as! PostgresStoreConnection).session.query("INSERT INTO sources (id, uri, kind, created_at) VALUES (7, '/videos/old.mp4', 'file', 0)")
            try (store.connection as! PostgresStoreConnection).session.query("""
                INSERT INTO runs (id, source_id, started_at, status, precision, sampling, model_sha256, frames_decoded)
                VALUES (3, 7, 0, 'completed', 'f32', 'all', 'x', 2)
                """)
            let writer = try store.makeWriter(run: RunID(rawValue: 3))
            try writer.append(frame(0, [0, 1]))
            try writer.append(frame(1, [0, 2]))
            try writer.close()
        }
        let upgraded = try LabelStore(postgres: old)
        let after = try PostgresReadOnlyDatabase(location: old)
        #expect(try after.count("SELECT count(*) FROM framewise_migrations") == PostgresSchema.migrations.count)
        #expect(try after.rows("SELECT source, label, start_pts, end_pts, frames FROM label_segments") == [
            [.text("/videos/old.mp4"), .text("cat"), .real(0), .real(0.1), .integer(2)],
        ])
        #expect(try after.rows("SELECT id, fingerprint FROM sources") == [[.integer(7), .text("")]])
        #expect(try after.rows("SELECT frames_sampled, frames_skipped, live, views FROM runs")
            == [[.integer(2), .integer(0), .integer(0), .text("center")]])
        #expect(try after.count("SELECT count(*) FROM view_predictions WHERE view = 'center'") == 4)
        // The identity sequence went on past the copied ids: a new source gets a new id.
        let next = try upgraded.register(source: SourceDescriptor(uri: "/videos/new.mp4", kind: .file, fingerprint: "n"))
        #expect(next.id.rawValue > 7)
    }

    @Test("a database of a newer Framewise, or of something else, is refused")
    func refusals() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let newer = try PostgresLocation(url: server.makeDatabase())
        _ = try LabelStore(postgres: newer)
        try server.psql(database: newer.database, "INSERT INTO framewise_migrations (identifier) VALUES ('9999_future')")
        #expect(throws: LabelStoreError.newerSchema(unknownMigrations: ["9999_future"])) {
            try LabelStore(postgres: newer)
        }
        let foreign = try PostgresLocation(url: server.makeDatabase())
        try server.psql(database: foreign.database, "CREATE TABLE invoices (id integer)")
        #expect(throws: LabelStoreError.notAFramewiseDatabase) { try LabelStore(postgres: foreign) }
    }

    @Test("the writer commits in batches, each frame once with its labels, and storing again changes nothing")
    func writerBatchedAndIdempotent() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let (location, store, source) = try storeWithOneSource(on: server)
        let frames = (0..<2_500).map { frame(Int64($0) * 2, [$0 % 3, ($0 + 1) % 3, ($0 + 2) % 3]) }

        let first = try store.makeWriter(run: store.beginRun(
            RunSettings(source: source, precision: "f32", sampling: "all", modelSHA256: "t")),
            policy: FrameWriter.Policy(maxFrames: 1_000, maxDelay: .seconds(60)))
        for frame in frames { try first.append(frame) }
        #expect(first.committed.batches == 2 && first.committed.stored == 2_000)
        try first.close()
        #expect(first.committed == FrameWriter.Totals(stored: 2_500, alreadyStored: 0, batches: 3))

        let again = try store.makeWriter(run: store.beginRun(
            RunSettings(source: source, precision: "f32", sampling: "all", modelSHA256: "t")))
        for frame in frames.prefix(10) + [frame(1, [2]), frame(1, [1])] { try again.append(frame) }
        try again.close()
        #expect(again.committed.stored == 1 && again.committed.alreadyStored == 11)

        let reader = try PostgresReadOnlyDatabase(location: location)
        #expect(try reader.count("SELECT count(*) FROM frames") == 2_501)
        #expect(try reader.count("SELECT count(*) FROM labels") == 2_500 * 3 + 1)
        #expect(try reader.rows("SELECT class_index FROM labels JOIN frames ON frames.id = frame_id WHERE frame_index = 1")
            == [[.integer(2)]])
        #expect(try store.storedFrameIndices(of: source).count == 2_501)
        #expect(try store.nextFrameIndex(of: source) == 4_999)
        #expect(try reader.rows("SELECT status FROM runs ORDER BY id") == [[.text("interrupted")], [.text("running")]])
    }

    @Test("deleting frames deletes their labels: --restart, a run or a source deleted with its frames (no foreign key on labels)")
    func deletingFramesDeletesTheirLabels() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let (location, store, source) = try storeWithOneSource(on: server)
        let other = try store.register(source: SourceDescriptor(uri: "/videos/other.mp4", kind: .file, fingerprint: "o")).id
        for (owner, count) in [(source, 30), (other, 20)] {
            let writer = try store.makeWriter(run: store.beginRun(
                RunSettings(source: owner, precision: "f32", sampling: "all", modelSHA256: "t")))
            for index in 0..<count { try writer.append(frame(Int64(index), [0, 1, 2])) }
            try writer.close()
        }
        let reader = try PostgresReadOnlyDatabase(location: location)
        #expect(try reader.count("SELECT count(*) FROM labels") == 50 * 3)
        try store.deleteFrames(of: source)
        #expect(try reader.count("SELECT count(*) FROM labels") == 20 * 3)
        try server.psql(database: location.database, "DELETE FROM sources WHERE id = \(other.rawValue)")
        #expect(try reader.count("SELECT count(*) FROM frames") == 0)
        #expect(try reader.count("SELECT count(*) FROM labels") == 0)
    }

    @Test("a batch the server refuses is reported lost (never half stored); after a restart the store reconnects and goes on")
    func reconnectsAfterRestart() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let (location, store, source) = try storeWithOneSource(on: server)
        let lost = Mutex<[Int]>([])
        let writer = try store.makeWriter(
            run: store.beginRun(RunSettings(source: source, precision: "f32", sampling: "all", modelSHA256: "t")),
            policy: FrameWriter.Policy(maxFrames: 100, maxDelay: .seconds(60))) { outcome in
                if case .failed(let frames, _) = outcome { lost.withLock { $0.append(frames) } }
            }
        for index in 0..<150 { try writer.append(frame(Int64(index), [0, 1])) }
        server.stop()
        #expect(throws: LabelStoreError.self) { try writer.flush() }
        #expect(lost.withLock { $0 } == [50])
        try server.start()
        for index in 150..<200 { try writer.append(frame(Int64(index), [0, 1])) }
        try writer.close()
        #expect(writer.committed.stored == 150 && writer.committed.alreadyStored == 0)
        #expect(try store.storedFrameIndices(of: source).count == 150)
        #expect(try server.psql(database: location.database, "SELECT count(*) FROM labels") == "300\n")
    }

    @Test("query and segments print the same on PostgreSQL as on SQLite for the same frames")
    func sameOutputAsSQLite() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let sqlitePath = directory.path("same.sqlite")
        let postgresURL = try server.makeDatabase()
        try fillComparisonFixture(LabelStore(path: sqlitePath))
        try fillComparisonFixture(LabelStore(postgres: PostgresLocation(url: postgresURL)))

        let queries = [
            "SELECT * FROM predictions ORDER BY source_id, frame_index, rank",
            "SELECT * FROM label_segments ORDER BY source_id, first_frame_index",
            "SELECT * FROM frames ORDER BY id",
            "SELECT * FROM labels ORDER BY frame_id, rank",
            "SELECT * FROM classes ORDER BY class_index",
            "SELECT id, uri, kind, fingerprint FROM sources ORDER BY id",
            """
            SELECT id, source_id, status, live, precision, sampling, frames_decoded, frames_sampled, frames_labeled,
                   frames_dropped, frames_skipped, error, finished_at IS NOT NULL AS finished FROM runs ORDER BY id
            """,
            "SELECT label, count(*) AS frames, avg(score) AS mean, sum(frame_index) AS total FROM predictions WHERE rank = ? GROUP BY label ORDER BY label",
            "SELECT * FROM frames WHERE frame_index > 1000",
        ]
        for format in ResultFormat.allCases {
            for sql in queries {
                let arguments = sql.contains("?") ? ["--param", "1"] : []
                let onSQLite = try runFramewise(["query", "--db", sqlitePath, "--format", format.rawValue] + arguments + [sql])
                let onPostgres = try runFramewise(["query", "--db", postgresURL, "--format", format.rawValue] + arguments + [sql])
                #expect(onPostgres.stdout == onSQLite.stdout, "\(format): \(sql)")
            }
            for label in ["cat", "dog", "car"] {
                for extra in [[], ["--source", "a, \"odd\".mp4"], ["--min-score", "0.6"]] {
                    let arguments = ["segments", label, "--raw", "--format", format.rawValue] + extra
                    let onSQLite = try runFramewise(arguments + ["--db", sqlitePath])
                    let onPostgres = try runFramewise(arguments + ["--db", postgresURL])
                    #expect(onPostgres.stdout == onSQLite.stdout, "\(arguments)")
                    #expect(format == .jsonl || !onSQLite.stdout.isEmpty)
                }
            }
        }
    }

    @Test("writes are refused by the server in query and change nothing", arguments: [
        "INSERT INTO classes VALUES (9, 'n9', 'x', 'x')",
        "DELETE FROM frames",
        "UPDATE labels SET score = 0",
        "DROP TABLE labels",
        "CREATE TABLE extra (a integer)",
        "SELECT nextval(pg_get_serial_sequence('frames', 'id'))",
        "WITH gone AS (DELETE FROM labels RETURNING *) SELECT count(*) FROM gone",
    ])
    func writesRefused(sql: String) throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let url = try server.makeDatabase()
        try fillComparisonFixture(LabelStore(postgres: PostgresLocation(url: url)))
        let reader = try PostgresReadOnlyDatabase(location: PostgresLocation(url: url))
        #expect(throws: LabelStoreError.writeRefused) { try reader.run(sql, into: RowCollector()) }
        let result = try runFramewise(["query", "--db", url, sql], mustSucceed: false)
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(LabelStoreError.writeRefused)\n")
        // Two statements at once are refused whole.
        #expect(throws: (any Error).self) { try reader.run("SELECT 1; \(sql)", into: RowCollector()) }
        #expect(try server.psql(database: PostgresLocation(url: url).database,
                                "SELECT count(*) || ' ' || (SELECT count(*) FROM labels) FROM frames") == "13 24\n")
        #expect(try server.psql(database: PostgresLocation(url: url).database,
                                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'extra'") == "0\n")
    }

    @Test("the password comes from the URL, PGPASSWORD or ~/.pgpass and never appears in what is printed")
    func passwords() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let url = try server.makeDatabase()
        let name = try PostgresLocation(url: url).database
        let withoutPassword = "postgres://\(PostgresServer.user)@127.0.0.1:\(server.port)/\(name)"
        let directory = try TemporaryDirectory()
        let passFile = directory.path("pgpass")
        try Data("# comment\n127.0.0.1:\(server.port):*:\(PostgresServer.user):\(server.password)\n".utf8)
            .write(to: URL(fileURLWithPath: passFile))
        let noPassword = ["PGPASSWORD": "", "PGPASSFILE": directory.path("none")]

        let sql = "SELECT count(*) AS migrations FROM framewise_migrations"
        _ = try LabelStore(postgres: PostgresLocation(url: url))
        let migrations = "\(PostgresSchema.migrations.count)"
        #expect(try runFramewise(["query", "--db", url, sql]).stdout.contains(migrations))
        #expect(try runFramewise(["query", "--db", withoutPassword, sql],
                                 environment: ["PGPASSWORD": server.password]).stdout.contains(migrations))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passFile)
        #expect(try runFramewise(["query", "--db", withoutPassword, sql],
                                 environment: ["PGPASSWORD": "", "PGPASSFILE": passFile]).stdout.contains(migrations))
        // A password file others may read is ignored, as libpq does.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passFile)
        let ignored = try runFramewise(["query", "--db", withoutPassword, sql],
                                       environment: ["PGPASSWORD": "", "PGPASSFILE": passFile], mustSucceed: false)
        #expect(ignored.status == 1 && !ignored.stderr.contains(server.password))

        let secret = "s3cr3t-" + UUID().uuidString.prefix(6)
        let failures: [(arguments: [String], environment: [String: String])] = [
            (["query", "--db", server.url(database: name, password: secret), sql], noPassword),
            (["query", "--db", withoutPassword, sql], ["PGPASSWORD": secret]),
            (["query", "--db", server.url(database: name, password: secret) + "?sslmode=sometimes", sql], noPassword),
            (["query", "--db", server.url(database: name, password: secret) + "?password=x", sql], noPassword),
            (["query", "--db", "postgres://\(PostgresServer.user):\(secret)@127.0.0.1:\(try unusedPort())/x", sql], noPassword),
            (["query", "--db", server.url(database: "missing_db", password: server.password), sql], noPassword),
            (["segments", "cat", "--db", server.url(database: name, password: secret)], noPassword),
            (["bench", "sink", "--frames", "10", "--db", server.url(database: name, password: secret)], noPassword),
            (["report", "-o", directory.path("r.html"), "--db", server.url(database: name, password: secret)], noPassword),
            (["run", "/nonexistent.mp4", "--db", server.url(database: name, password: secret)], noPassword),
        ]
        for (arguments, environment) in failures {
            let result = try runFramewise(arguments, environment: environment, mustSucceed: false)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.hasPrefix("error: "), "\(arguments): \(result.stderr)")
            for output in [result.stdout, result.stderr] {
                #expect(!output.contains(secret) && !output.contains(server.password), "\(arguments): \(output)")
            }
        }
    }
}
#endif

@Suite("PostgreSQL locations and SQL text")
struct PostgresLocationTests {
    @Test("a URL gives host, port, user, database and sslmode; its description has no password")
    func parsing() throws {
        let location = try PostgresLocation(url: "postgres://ann:p%40ss@db.example:6543/labels?sslmode=require",
                                            environment: [:])
        #expect(location.host == "db.example" && location.port == 6543 && location.user == "ann")
        #expect(location.database == "labels" && location.sslMode == .require && location.password == "p@ss")
        #expect(location.description == "postgres://ann@db.example:6543/labels?sslmode=require")
        let defaults = try PostgresLocation(url: "postgresql://bob@[::1]", environment: ["PGPASSWORD": "x"])
        #expect(defaults.host == "::1" && defaults.port == 5432 && defaults.database == "bob" && defaults.password == "x")
        #expect(defaults.sslMode == .prefer)
        #expect(throws: LabelStoreError.invalidLocation(location: "postgres://ann:***@h/db?sslmode=often",
                                                        reason: "sslmode is one of disable, allow, prefer, require, verify-ca, verify-full")) {
            try PostgresLocation(url: "postgres://ann:hidden@h/db?sslmode=often", environment: [:])
        }
        #expect(try LabelDatabaseLocation("postgres://a@h/d") == .postgres(PostgresLocation(url: "postgres://a@h/d")))
        #expect(try LabelDatabaseLocation("labels.sqlite") == .sqlite(path: "labels.sqlite"))
    }

    @Test("a password file matches host, port, database and user, with * and escapes")
    func passwordFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("pgpass")
        try Data("other:5432:*:ann:wrong\nh:*:db:ann:a\\:b\\\\c\n*:*:*:*:fallback\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let file = try #require(PasswordFile(path: path))
        #expect(file.password(host: "h", port: 5432, database: "db", user: "ann") == "a:b\\c")
        #expect(file.password(host: "x", port: 1, database: "y", user: "z") == "fallback")
        let location = try PostgresLocation(url: "postgres://ann@h/db", environment: ["PGPASSFILE": path])
        #expect(location.password == "a:b\\c")
    }

    @Test("statements split at semicolons in code only; ? placeholders are numbered as SQLite numbers them")
    func sqlText() {
        let sql = "SELECT ';' AS a, $$x;y$$ -- c;\n; /* d; /* e; */ */ SELECT \"q;\"; ;"
        #expect(SQLText(sql).statements == ["SELECT ';' AS a, $$x;y$$ -- c;\n", " /* d; /* e; */ */ SELECT \"q;\""])
        #expect(SQLText("SELECT ?, '?', ?3, ?, $1 -- ?\n").withNumberedPlaceholders == "SELECT $1, '?', $3, $4, $1 -- ?\n")
        #expect(SQLText("SELECT E'\\'?', ?").withNumberedPlaceholders == "SELECT E'\\'?', $1")
    }
}

#if PostgreSQL
/// A fresh database of `server` with the fixture's classes and one file source, `/videos/a.mp4`.
private func storeWithOneSource(on server: PostgresServer) throws -> (PostgresLocation, LabelStore, SourceID) {
    let location = try PostgresLocation(url: server.makeDatabase())
    let store = try LabelStore(postgres: location)
    try store.storeClasses(fixtureClasses)
    return (location, store, try store.register(source: SourceDescriptor(uri: "/videos/a.mp4", kind: .file)).id)
}
#endif
