import Foundation
import FramewiseTestSupport
import Glibc
import GoogLeNet
@testable import LabelStore
import Testing

/// The daemon keeping its database: retention of its own pipelines' frames (cameras by capture time, files by
/// their run's end, never a run in progress, never another daemon's sources) on SQLite and PostgreSQL, the size
/// and free-disk guards deleting the oldest first, a large file extending systemd's start timeout, and a damaged
/// file refused at start. The frames are written before the daemon starts, through the real writer, with past
/// capture times; the cameras are unreachable (retention does not need them to run).
@Suite(.serialized) struct RetentionTests {
    /// The model's classes, as the daemon stores them (a database with other classes is refused).
    static func modelClasses() throws -> [ClassLabel] {
        try ClassLabels(contentsOfFile: TestData.modelDirectory.appendingPathComponent("synset_words.txt").path).classes
            .enumerated().map { ClassLabel(index: $0, wnid: $1.wnid, label: $1.label, names: $1.names.joined(separator: ", ")) }
    }

    /// Writes one frame per time in `captured` (nil: a file's frame) for a run of `uri`, five labels each; the run
    /// is left `running` or finished at `finishedAt`.
    static func write(_ store: LabelStore, uri: String, kind: SourceKind, captured: [Double?], finishedAt: Double?) throws {
        let source = try store.register(source: SourceDescriptor(uri: uri, kind: kind, fingerprint: kind == .file ? "1:x" : nil)).id
        let run = try store.beginRun(RunSettings(source: source, precision: "fp32", sampling: "fps 2", modelSHA256: "test", live: kind != .file))
        let first = try store.nextFrameIndex(of: source)
        let writer = try store.makeWriter(run: run)
        for (offset, at) in captured.enumerated() {
            try writer.append(StoredFrame(frameIndex: first + Int64(offset), pts: Double(offset) / 2,
                                          capturedAt: at.map(Date.init(timeIntervalSince1970:)),
                                          top: (0..<5).map { ClassScore(classIndex: $0 * 7, score: 0.5 / Float($0 + 1)) }))
        }
        try writer.close()
        guard let finishedAt else { return }
        try store.finishRun(run, status: .completed, counts: RunCounts(sampled: captured.count, labeled: captured.count))
        try store.connection.transaction { sql in
            try sql.execute("UPDATE runs SET finished_at = ? WHERE id = ?", [.real(finishedAt), .integer(run.rawValue)])
            try sql.execute("UPDATE sources SET created_at = ? WHERE id = ?", [.real(finishedAt - 60), .integer(source.rawValue)])
        }
    }

    static func count(_ store: LabelStore, _ sql: String, _ arguments: [QueryArgument] = []) throws -> Int {
        Int(try store.connection.read { try $0.integer(sql, arguments) } ?? -1)
    }

    /// `times` evenly from `from` to `to` seconds before `now`.
    static func times(_ count: Int, from: Double, to: Double, now: Double) -> [Double?] {
        (0..<count).map { now - from + (from - to) * Double($0) / Double(count - 1) }
    }

    /// A camera of the daemon with frames of the last hour (`retention: 10m`, the daemon's default), a file of the
    /// daemon (`retention: 1m` in its pipeline file) with a run that ended an hour ago and one still running, and
    /// a camera of another daemon with old frames: exactly the camera's frames older than 10 minutes and the
    /// ended run's frames go, with their labels and the ended run.
    static func checkRetention(database: String, serve: ServeHarness) throws {
        let now = Date().timeIntervalSince1970
        let port = try unusedPort()
        let camera = "rtsp://127.0.0.1:\(port)/cam", foreign = "rtsp://127.0.0.1:\(port)/other"
        let file = serve.directory.path("gone.mp4")
        let store = try LabelDatabaseLocation(database).openForWriting()
        try store.storeClasses(modelClasses())
        let old = times(600, from: 3600, to: 11 * 60, now: now), recent = times(60, from: 5 * 60, to: 1, now: now)
        try write(store, uri: camera, kind: .rtsp, captured: old + recent, finishedAt: nil)
        try write(store, uri: foreign, kind: .rtsp, captured: times(100, from: 7200, to: 3600, now: now), finishedAt: nil)
        try write(store, uri: file, kind: .file, captured: Array(repeating: nil, count: 50), finishedAt: now - 3600)
        try write(store, uri: file, kind: .file, captured: Array(repeating: nil, count: 40), finishedAt: nil)
        try store.close()

        try serve.writePipeline("cam.yaml", "source:\n  uri: \(camera)\n  reconnect: {initial_delay: 5, max_delay: 5}\n")
        try serve.writePipeline("file.yaml", "source:\n  uri: \(file)\nretention: 1m\n")
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")

        let reader = try LabelDatabaseLocation(database).openForWriting()
        defer { try? reader.close() }
        let total = "SELECT count(*) FROM frames"
        // Frames go chunk by chunk, then the runs left without frames, then the round is logged: wait for all three.
        let pruned = try serve.eventually(90) {
            try count(reader, total) == 60 + 100 + 40 && count(reader, "SELECT count(*) FROM runs") == 3
                && serve.log.contains("retention: deleted frames older than 1m")
                && serve.log.contains("retention: deleted frames older than 10m")
        }
        let left = try count(reader, total)
        #expect(pruned, "frames left: \(left); log:\n\(serve.log)")
        let cameraFrames = "SELECT count(*) FROM frames AS f JOIN sources AS s ON s.id = f.source_id WHERE s.uri = ?"
        #expect(try count(reader, cameraFrames, [.text(camera)]) == 60, "every frame of the last 10 minutes is kept")
        #expect(try count(reader, cameraFrames + " AND f.captured_at < ?", [.text(camera), .real(now - 5 * 60 - 1)]) == 0)
        #expect(try count(reader, cameraFrames, [.text(foreign)]) == 100, "another daemon's camera is not touched")
        #expect(try count(reader, cameraFrames, [.text(file)]) == 40, "the run in progress keeps its frames")
        #expect(try count(reader, "SELECT count(*) FROM labels") == (60 + 100 + 40) * 5)
        #expect(try count(reader, "SELECT count(*) FROM runs") == 3, "the ended run went with its frames")
        #expect(serve.log.contains("retention: deleted frames older than 10m"), "log:\n\(serve.log)")
        #expect(serve.log.contains("retention: deleted frames older than 1m"))

        let metrics = try serve.get("/metrics").body
        #expect(metricValue(metrics, "framewise_frames_pruned_total") == 650)
        let oldest = metricValue(metrics, "framewise_oldest_frame_timestamp_seconds") ?? 0
        #expect(abs(oldest - (now - 7200)) < 1, "the other daemon's camera holds the oldest frame")
        #expect((metricValue(metrics, "framewise_database_bytes") ?? 0) > 0)
        let readiness = try serve.get("/readyz").body
        #expect(readiness.contains("\"database_bytes\""), "\(readiness)")
        if !database.contains("://") { #expect(readiness.contains("quick_check ok in"), "\(readiness)") }
        #expect(try serve.get("/").body.contains("650 frames pruned since start"))
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 30) == 0, "log:\n\(serve.log)")
    }

    @Test("SQLite: the daemon deletes exactly its pipelines' frames older than their retention")
    func retentionOnSQLite() throws {
        let serve = try ServeHarness(extraConfiguration: "retention: 10m")
        try Self.checkRetention(database: serve.database, serve: serve)
    }

    @Test("PostgreSQL: the same retention, only this daemon's sources",
          .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed (scripts/install-deps installs it), or this build has not the PostgreSQL trait"))
    func retentionOnPostgreSQL() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let database = try server.makeDatabase()
        let serve = try ServeHarness(extraConfiguration: "retention: 10m", databasePath: database)
        try Self.checkRetention(database: database, serve: serve)
    }

    /// A camera of the daemon with `count` frames over the last 10 days in `database` and its pipeline file;
    /// returns their capture times, oldest first.
    static func writeCamera(frames count: Int, to database: String, serve: ServeHarness) throws -> [Double] {
        let camera = "rtsp://127.0.0.1:\(try unusedPort())/cam"
        let captured = times(count, from: 10 * 86_400, to: 1, now: Date().timeIntervalSince1970).compactMap { $0 }
        let store = try LabelStore(path: database)
        try store.storeClasses(modelClasses())
        try write(store, uri: camera, kind: .rtsp, captured: captured, finishedAt: nil)
        try store.close()
        try serve.writePipeline("cam.yaml", "source:\n  uri: \(camera)\n  reconnect: {initial_delay: 5, max_delay: 5}\n")
        return captured
    }

    /// Starts the daemon and waits for a crossed guard's round (`logged`): 1% of the 10 days `captured` span went,
    /// exactly the oldest frames, counted in `/metrics`; then stops it.
    static func checkGuardRound(serve: ServeHarness, database: String, captured: [Double], logged: String) throws {
        try serve.start()
        #expect(serve.waitForDatagram(containing: "READY=1", timeout: 120) != nil, "log:\n\(serve.log)")
        #expect(serve.eventually(60) { serve.log.contains(logged) }, "log:\n\(serve.log)")
        let reader = try LabelStore(path: database)
        let left = try count(reader, "SELECT count(*) FROM frames")
        let oldestLeft = try reader.oldestFrameTime() ?? 0
        try reader.close()
        let deleted = captured.count - left
        #expect(abs(Double(deleted) - Double(captured.count) / 100) <= Double(captured.count) / 2000, "\(deleted) deleted")
        #expect(abs(oldestLeft - captured[deleted]) < 0.001, "the frames left are exactly the newest")
        #expect(metricValue(try serve.get("/metrics").body, "framewise_frames_pruned_total") == Double(deleted))
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 30) == 0, "log:\n\(serve.log)")
    }

    @Test("max_database_size crossed: the oldest frames go first, one bounded step per round, logged")
    func sizeGuard() throws {
        let serve = try ServeHarness(extraConfiguration: "max_database_size: 1MB")
        let captured = try Self.writeCamera(frames: 20_000, to: serve.database, serve: serve)
        try Self.checkGuardRound(serve: serve, database: serve.database, captured: captured,
                                 logged: "over max_database_size 1MB: deleted the oldest frames")
    }

    @Test("min_free_disk crossed on a full file system: the oldest frames go first, logged and counted",
          .enabled(if: SmallDisk.isPermitted, "mounting a tmpfs is not permitted here (it needs root or CAP_SYS_ADMIN)"))
    func freeDiskGuard() throws {
        let directory = try TemporaryDirectory(prefix: "framewise-full-disk")
        let disk = try SmallDisk(at: directory.path("disk"), megabytes: 16)
        defer { disk.unmount() }
        let database = disk.path + "/framewise.sqlite"
        let serve = try ServeHarness(extraConfiguration: "min_free_disk: 6MB", databasePath: database)
        let captured = try Self.writeCamera(frames: 10_000, to: database, serve: serve)
        try disk.fill(leaving: 4 << 20)
        try Self.checkGuardRound(serve: serve, database: database, captured: captured,
                                 logged: "under min_free_disk 6MB: deleted the oldest frames")
    }

    @Test("a database file over 256 MB: EXTEND_TIMEOUT_USEC (30 s + 3 × size at 50 MB/s) before the check, then READY")
    func largeDatabaseExtendsTheStartTimeout() throws {
        let serve = try ServeHarness()
        let store = try LabelStore(path: serve.database)
        try store.storeClasses(Self.modelClasses())
        try store.close()
        // Past the pages its header counts, SQLite reads nothing: a sparse 300 MB file that is a valid database.
        let size = 300 << 20
        #expect(truncate(serve.database, off_t(size)) == 0)
        try serve.start()
        let extend = "EXTEND_TIMEOUT_USEC=\(UInt64((30 + 3 * Double(size) / 50e6) * 1e6))"
        let extended = serve.waitForDatagram(containing: extend, timeout: 60)
        let ready = serve.waitForDatagram(containing: "READY=1", timeout: 120)
        #expect(extended != nil, "datagrams: \(serve.datagrams); log:\n\(serve.log)")
        #expect(ready != nil && extended ?? .max < ready ?? .min, "the timeout is extended before READY")
        #expect(try serve.get("/readyz").body.contains("quick_check ok in"))
        serve.signal(SIGTERM)
        #expect(serve.exitStatus(within: 30) == 0, "log:\n\(serve.log)")
    }

    @Test("a damaged database at start: one line saying what to do, exit 1, the file untouched, never READY")
    func damagedDatabase() throws {
        let serve = try ServeHarness()
        let store = try LabelStore(path: serve.database)
        try store.storeClasses(Self.modelClasses())
        try Self.write(store, uri: "rtsp://127.0.0.1:9/cam", kind: .rtsp,
                       captured: Self.times(5000, from: 86_400, to: 1, now: Date().timeIntervalSince1970), finishedAt: nil)
        try store.close()
        // A whole page in the middle of the file overwritten.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: serve.database))
        let pages = try handle.seekToEnd() / 4096
        try handle.seek(toOffset: pages / 2 * 4096)
        handle.write(Data(repeating: 0x5A, count: 4096))
        try handle.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: serve.database))

        try serve.start()
        #expect(serve.exitStatus(within: 60) == 1)
        let lines = serve.log.split(separator: "\n")
        #expect(lines.count == 1, "log:\n\(serve.log)")
        #expect(lines.first?.hasPrefix("error: the database \(serve.database) is damaged (") == true, "\(lines)")
        #expect(lines.first?.contains("restore it from a backup") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: serve.database)) == before, "the file is untouched")
        let log = (try? FileManager.default.attributesOfItem(atPath: serve.database + "-wal")[.size] as? Int) ?? 0
        #expect(log == 0, "a reader's empty write-ahead log at most")
        #expect(!serve.datagrams.contains { $0.contains("READY=1") })
    }
}
