import Foundation
import FramewiseTestSupport
import GRDB
@testable import LabelStore
import Synchronization
import Testing

/// Retention, backups and stats on databases filled through the real writer with frames of past days: two
/// cameras and a recording, on SQLite (the file shrinks) and on a real PostgreSQL server.
@Suite(.serialized) struct MaintenanceTests {
    static let day = 86_400.0
    static let days = 60
    static let framesPerDay = 200

    /// A real 320×180 JPEG, as thumbnails are.
    static func thumbnail(in directory: TemporaryDirectory) throws -> StoredThumbnail {
        let path = directory.path("thumbnail.jpg")
        try runCommand(URL(fileURLWithPath: "/usr/bin/ffmpeg"), [
            "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180", "-frames:v", "1", path,
        ])
        return StoredThumbnail(width: 320, height: 180, jpeg: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Two cameras, one frame every `day / framesPerDay` over `days` days up to now (a thumbnail every 10th frame;
    /// the first camera with three appearances: one in its first days, one across the middle, one in its last
    /// day), and a recording whose run ended 40 days ago (with an appearance); returns the capture times of the
    /// cameras' frames.
    static func fill(_ store: LabelStore, thumbnail: StoredThumbnail, now: Double) throws -> [Double] {
        try store.storeClasses(fixtureClasses)
        var captured: [Double] = []
        for camera in ["rtsp://127.0.0.1/a", "rtsp://127.0.0.1/b"] {
            let source = try store.register(source: SourceDescriptor(uri: camera, kind: .rtsp)).id
            let run = try store.beginRun(RunSettings(source: source, precision: "fp32", sampling: "fps 2", modelSHA256: "test", live: true))
            let writer = try store.makeWriter(run: run)
            let count = days * framesPerDay
            for index in 0..<count {
                let at = now - Double(count - index) * day / Double(framesPerDay)
                try writer.append(StoredFrame(frameIndex: Int64(index), pts: Double(index) / 2, capturedAt: Date(timeIntervalSince1970: at),
                                              top: [0, 1, 2].map { ClassScore(classIndex: $0, score: 0.5 / Float($0 + 1)) }))
                if index % 10 == 0 { try writer.appendThumbnail(thumbnail, frameIndex: Int64(index)) }
                captured.append(at)
            }
            if camera.hasSuffix("/a") {
                for span in appearanceSpans(frames: count) {
                    try writer.appendAppearance(appearance(span, capturedAt: { captured[$0] }))
                }
            }
            try writer.close()
            try store.finishRun(run, status: .interrupted, counts: RunCounts(sampled: count, labeled: count))
        }
        let recording = try store.register(source: SourceDescriptor(uri: "/videos/old.mp4", kind: .file, fingerprint: "1:x")).id
        let run = try store.beginRun(RunSettings(source: recording, precision: "fp32", sampling: "every 5", modelSHA256: "test"))
        let writer = try store.makeWriter(run: run)
        for index in 0..<100 { try writer.append(frame(Int64(index), [2, 0, 1])) }
        try writer.appendAppearance(appearance(10...20, capturedAt: { _ in nil }))
        try writer.close()
        try store.finishRun(run, status: .completed, counts: RunCounts(sampled: 100, labeled: 100))
        try store.connection.transaction { sql in
            try sql.execute("UPDATE runs SET finished_at = ? WHERE id = ?", [.real(now - 40 * day), .integer(run.rawValue)])
            try sql.execute("UPDATE sources SET created_at = ? WHERE id = ?", [.real(now - 41 * day), .integer(recording.rawValue)])
        }
        return captured
    }

    /// The first camera's appearances, by frame index: early, across the middle (where 30 days of 60 cut), late.
    static func appearanceSpans(frames count: Int) -> [ClosedRange<Int>] {
        [100...200, (count / 2 - 50)...(count / 2 + 50), (count - 100)...(count - 10)]
    }

    /// An appearance of `dog` over the frames `span`, its picture at its first frame.
    static func appearance(_ span: ClosedRange<Int>, capturedAt: (Int) -> Double?) -> AppearanceRecord {
        var record = AppearanceRecord(
            view: "center", vocabulary: "category", classID: 1, label: "dog", startFrameIndex: Int64(span.lowerBound),
            startPts: Double(span.lowerBound) / 2, startCapturedAt: capturedAt(span.lowerBound).map(Date.init(timeIntervalSince1970:)))
        record.endFrameIndex = Int64(span.upperBound)
        record.endPts = Double(span.upperBound) / 2
        record.endCapturedAt = capturedAt(span.upperBound).map(Date.init(timeIntervalSince1970:))
        record.frames = span.count
        record.peakScore = 0.9
        record.scoreSum = 0.8 * Double(span.count)
        record.thumbnailFrameIndex = Int64(span.lowerBound)
        record.isOpen = false
        return record
    }

    /// A new SQLite file at `path` filled by `fill`.
    static func filledSQLite(_ path: String, in directory: TemporaryDirectory, now: Double) throws -> (LabelStore, [Double]) {
        let store = try LabelStore(path: path)
        return (store, try fill(store, thumbnail: try thumbnail(in: directory), now: now))
    }

    static func count(_ store: LabelStore, _ sql: String) throws -> Int {
        Int(try store.connection.transaction { try $0.integer(sql, []) } ?? -1)
    }

    /// Prunes 30 days and checks that exactly the older frames went, with their labels and thumbnails.
    static func checkRetention(_ store: LabelStore, captured: [Double], now: Double) throws {
        let cut = now - 30 * day
        let kept = captured.filter { $0 >= cut }.count
        let dryRun = try store.prune(PruneRequest(cut: cut), dryRun: true)
        #expect(dryRun.frames == captured.count - kept + 100)
        #expect(try count(store, "SELECT count(*) FROM frames") == captured.count + 100, "a dry run deletes nothing")

        var chunks = 0
        let summary = try store.prune(PruneRequest(cut: cut, chunkSize: 1000)) { _ in chunks += 1 }
        #expect(summary.frames == dryRun.frames)
        #expect(chunks == (dryRun.frames + 999) / 1000)
        #expect(summary.runs == 1 && summary.sources == 1, "the recording's run and source had no frame left")
        #expect(try count(store, "SELECT count(*) FROM frames") == kept)
        #expect(try count(store, "SELECT count(*) FROM frames WHERE captured_at < \(cut)") == 0)
        #expect(try count(store, "SELECT count(*) FROM labels") == kept * 3)
        #expect(try count(store, "SELECT count(*) FROM thumbnails WHERE frame_id NOT IN (SELECT id FROM frames)") == 0)
        #expect(try count(store, "SELECT count(*) FROM thumbnails") > 0)
        #expect(try count(store, "SELECT count(*) FROM runs WHERE live = 1") == 2, "the cameras' runs keep frames")
        // Appearances: the early one and the recording's went, the middle one now starts at the first frame kept
        // (its picture went with its first frame), the late one is as it was.
        let middle = appearanceSpans(frames: days * framesPerDay)[1]
        let firstKept = captured.prefix(days * framesPerDay).firstIndex { $0 >= cut } ?? -1
        let left = try store.connection.transaction { sql in
            try sql.rows("""
                SELECT start_frame_index, end_frame_index, thumbnail_frame_index, start_captured_at >= ? FROM appearances
                 ORDER BY start_frame_index
                """, [.real(cut)])
        }
        #expect(left == [
            [.integer(Int64(firstKept)), .integer(Int64(middle.upperBound)), .null, .integer(1)],
            [.integer(Int64(days * framesPerDay - 100)), .integer(Int64(days * framesPerDay - 10)),
             .integer(Int64(days * framesPerDay - 100)), .integer(1)],
        ], "\(left)")
        #expect(firstKept > middle.lowerBound && firstKept < middle.upperBound)
        // Again: nothing older is left.
        #expect(try store.prune(PruneRequest(cut: cut)).frames == 0)
    }

    @Test("SQLite: 30 days of 60 go with their labels and thumbnails, the file shrinks by at least 40%")
    func retentionOnSQLite() throws {
        let (directory, now) = (try TemporaryDirectory(), Date().timeIntervalSince1970)
        let path = directory.path("cameras.sqlite")
        let (store, captured) = try Self.filledSQLite(path, in: directory, now: now)
        _ = try store.releaseFreePages(atMost: nil)
        let before = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        try Self.checkRetention(store, captured: captured, now: now)
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(Double(after) <= 0.6 * Double(before), "\(before) -> \(after) bytes")
        try store.close()
    }

    @Test("PostgreSQL: the same retention by chunked deletes",
          .enabled(if: PostgresServer.isUsable, "PostgreSQL is not installed (scripts/install-deps installs it), or this build has not the PostgreSQL trait"))
    func retentionOnPostgreSQL() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let now = Date().timeIntervalSince1970
        let store = try LabelStore(postgres: PostgresLocation(url: server.makeDatabase()))
        let captured = try Self.fill(store, thumbnail: try Self.thumbnail(in: directory), now: now)
        try Self.checkRetention(store, captured: captured, now: now)
        try store.close()
    }

    @Test("a prune chunk's statements on appearances find them by index, scanning no table (the one deleting ended ones read them all)")
    func chunkStatementsReadByIndex() throws {
        let directory = try TemporaryDirectory()
        let store = try LabelStore(path: directory.path("plans.sqlite"))
        defer { try? store.close() }
        let (cameraPlans, filePlan) = try store.connection.transaction { sql in
            let plan = { (statement: String, arguments: [QueryArgument]) in
                try sql.rows("EXPLAIN QUERY PLAN \(statement)", arguments).compactMap { $0.last?.text }
            }
            return (try LabelStore.pruneCompanions.map { try plan($0, [.real(900), .real(1000)]) },
                    try plan(LabelStore.filePruneCompanion, [.real(1000), .integer(1), .integer(5)]))
        }
        for plan in cameraPlans {
            #expect(plan.contains { $0.hasPrefix("SEARCH appearances USING INDEX appearances_by_capture") }, "\(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(plan)")
        }
        #expect(filePlan.contains { $0.hasPrefix("SEARCH runs USING INTEGER PRIMARY KEY") }, "\(filePlan)")
        #expect(filePlan.contains { $0.hasPrefix("SEARCH appearances USING INDEX") }, "\(filePlan)")
        #expect(!filePlan.contains { $0.hasPrefix("SCAN") }, "\(filePlan)")
    }

    @Test("a recording's appearance goes with the chunk that deleted its last frame, not only with the prune's last chunk")
    func recordingAppearanceGoesWithItsChunk() throws {
        let (directory, now) = (try TemporaryDirectory(), Date().timeIntervalSince1970)
        let (store, captured) = try Self.filledSQLite(directory.path("recording.sqlite"), in: directory, now: now)
        defer { try? store.close() }
        let cut = now - 30 * Self.day
        let cameraFrames = captured.filter { $0 < cut }.count
        let recordingAppearances = "SELECT count(*) FROM appearances WHERE start_captured_at IS NULL"
        #expect(try Self.count(store, recordingAppearances) == 1)
        var goneAfter: Int?
        // Chunks of 30: the cameras' older frames first, then the recording's frames 0–29 (its appearance ends at
        // frame 20), 30–59, 60–89 and the last chunk's 10.
        _ = try store.prune(PruneRequest(cut: cut, chunkSize: 30)) { deleted in
            if goneAfter == nil, (try? Self.count(store, recordingAppearances)) == 0 { goneAfter = deleted }
        }
        #expect(cameraFrames % 30 == 0)
        #expect(goneAfter == cameraFrames + 30)
    }

    /// A camera's running session with 100 frames, one a second, the last a second before `now`.
    static func runningCamera(path: String, now: Double) throws -> (LabelStore, FrameWriter, captured: [Double]) {
        let store = try LabelStore(path: path)
        try store.storeClasses(fixtureClasses)
        let source = try store.register(source: SourceDescriptor(uri: "rtsp://127.0.0.1/a", kind: .rtsp)).id
        let run = try store.beginRun(RunSettings(source: source, precision: "fp32", sampling: "fps 1", modelSHA256: "test", live: true))
        let writer = try store.makeWriter(run: run)
        let captured = (0..<100).map { now - 100 + Double($0) }
        for index in 0..<100 {
            try writer.append(StoredFrame(frameIndex: Int64(index), pts: Double(index), capturedAt: Date(timeIntervalSince1970: captured[index]),
                                          top: [ClassScore(classIndex: 1, score: 0.9)]))
        }
        return (store, writer, captured)
    }

    @Test("an open appearance of a running camera that spans the cut keeps its start until it closes: the sink's upserts update its one row")
    func openAppearanceSpanningTheCut() throws {
        let (directory, now) = (try TemporaryDirectory(), Date().timeIntervalSince1970)
        let (store, writer, captured) = try Self.runningCamera(path: directory.path("open.sqlite"), now: now)
        defer { try? store.close() }
        var open = Self.appearance(0...99, capturedAt: { captured[$0] })
        open.isOpen = true
        try writer.appendAppearance(open)
        try writer.flush()
        func rows() throws -> [[QueryValue]] {
            try store.connection.read { try $0.rows("SELECT count(*), min(start_frame_index) FROM appearances", []) }
        }

        #expect(try store.prune(PruneRequest(cut: now - 50)).frames == 50)
        #expect(try rows() == [[.integer(1), .integer(0)]], "open, its run running: its start stays")
        open.endFrameIndex = 99
        open.frames = 100
        try writer.appendAppearance(open)
        try writer.flush()
        #expect(try rows() == [[.integer(1), .integer(0)]], "the sink's upsert updated the same row")
        _ = try store.prune(PruneRequest(cut: now - 40))
        open.isOpen = false
        try writer.appendAppearance(open)
        try writer.flush()
        _ = try store.prune(PruneRequest(cut: now - 40))
        #expect(try rows() == [[.integer(1), .integer(60)]], "closed: it starts at the first frame left")
        try writer.close()
    }

    @Test("a pair left by an older build (an appearance moved by a prune, then inserted again) is repaired: pruning goes on")
    func overlappingPairIsRepaired() throws {
        let (directory, now) = (try TemporaryDirectory(), Date().timeIntervalSince1970)
        let (store, writer, captured) = try Self.runningCamera(path: directory.path("pair.sqlite"), now: now)
        defer { try? store.close() }
        for span in [30...99, 0...99] {  // the moved row first (the older id), then the one inserted again
            var closed = Self.appearance(span, capturedAt: { captured[$0] })
            closed.isOpen = false
            try writer.appendAppearance(closed)
            try writer.flush()
        }
        try writer.close()
        #expect(try store.prune(PruneRequest(cut: now - 40)).frames == 60)
        let left = try store.connection.read { try $0.rows("SELECT count(*), min(start_frame_index), max(frames) FROM appearances", []) }
        #expect(left == [[.integer(1), .integer(60), .integer(100)]], "the newer row stays, moved to the first frame left")
    }

    @Test("a backup taken while a camera writes is a checked database holding every frame committed before it began")
    func backupWhileWriting() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("live.sqlite")
        let store = try LabelStore(path: path)
        try store.storeClasses(fixtureClasses)
        let source = try store.register(source: SourceDescriptor(uri: "rtsp://127.0.0.1/a", kind: .rtsp)).id
        let run = try store.beginRun(RunSettings(source: source, precision: "fp32", sampling: "fps 2", modelSHA256: "test", live: true))
        let writer = try store.makeWriter(run: run, policy: FrameWriter.Policy(maxFrames: 50, maxDelay: .milliseconds(50)))
        let stop = Atomic<Bool>(false)
        let writing = Thread {
            var index: Int64 = 0
            while !stop.load(ordering: .relaxed) {
                try? writer.append(frame(index, [0, 1]))
                index += 1
                if index % 50 == 0 { Thread.sleep(forTimeInterval: 0.01) }
            }
        }
        writing.start()
        Thread.sleep(forTimeInterval: 1)
        let location = LabelDatabaseLocation.sqlite(path: path)
        let committedBefore = try location.openReadOnly().count("SELECT count(*) FROM frames", arguments: [])
        let copy = directory.path("backup.sqlite")
        let summary = try location.backUp(to: copy)
        stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.2)
        try writer.close()
        #expect(committedBefore > 0 && summary.frames >= committedBefore)
        #expect(try LabelDatabaseLocation.sqlite(path: copy).openReadOnly().count("SELECT count(*) FROM frames", arguments: []) == summary.frames)
        #expect(throws: LabelStoreError.self) { try location.backUp(to: copy) }   // never overwrites
        #expect(throws: LabelStoreError.self) {
            try LabelDatabaseLocation.postgres(PostgresLocation(url: "postgres://u@127.0.0.1/db")).backUp(to: directory.path("pg"))
        }
        try store.close()
    }

    @Test("db vacuum: a database made before step 0008 is converted once, then shrinks after pruning; refused while open elsewhere")
    func vacuumConversion() throws {
        let (directory, now) = (try TemporaryDirectory(), Date().timeIntervalSince1970)
        let path = directory.path("old.sqlite")
        // As Framewise made files before step 0008: auto_vacuum NONE.
        let old = try DatabaseQueue(path: path)
        try old.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA user_version = 0")
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
        try old.close()
        let (store, captured) = try Self.filledSQLite(path, in: directory, now: now)
        let location = LabelDatabaseLocation.sqlite(path: path)
        #expect(throws: LabelStoreError.self, "a writer has it open") { try location.convertToIncrementalVacuum { _ in } }
        try store.close()
        let size = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }

        var plans: [VacuumPlan] = []
        let converted = try location.convertToIncrementalVacuum { plans.append($0) }
        #expect(plans.count == 1 && plans[0].liveBytes > 0 && plans[0].neededBytes > plans[0].liveBytes)
        #expect(converted != nil)
        #expect(try location.convertToIncrementalVacuum { _ in Issue.record("no plan when there is nothing to do") } == nil)
        #expect(!FileManager.default.fileExists(atPath: path + ".vacuum"))

        let reopened = try LabelStore(path: path)
        #expect(try Self.count(reopened, "SELECT count(*) FROM frames") == captured.count + 100)
        #expect(try reopened.connection.read { try $0.integer("PRAGMA auto_vacuum", []) } == 2)
        let before = size()
        _ = try reopened.prune(PruneRequest(cut: now - 30 * Self.day))
        #expect(Double(size()) <= 0.6 * Double(before), "\(before) -> \(size()) bytes")
        try reopened.close()
    }

    @Test("stats: rows and bytes per table, frames per source and per day")
    func stats() throws {
        let (directory, now) = (try TemporaryDirectory(), Date().timeIntervalSince1970)
        let path = directory.path("cameras.sqlite")
        let (store, captured) = try Self.filledSQLite(path, in: directory, now: now)
        try store.close()
        let reader = try LabelDatabaseLocation.sqlite(path: path).openReadOnly()
        let collector = StatsCollector()
        try reader.printStats(into: collector)
        #expect(collector.results.map(\.columns) == [
            ["table", "rows", "bytes"],
            ["source_id", "source", "frames", "oldest", "newest", "thumbnails", "thumbnail_bytes"],
            ["day", "frames"],
        ])
        let tables = Dictionary(uniqueKeysWithValues: collector.results[0].rows.map { row in
            (row[0], (row[1], row[2]))
        })
        #expect(tables[.text("frames")]?.0 == .integer(Int64(captured.count + 100)))
        #expect(tables[.text("labels")]?.0 == .integer(Int64(captured.count * 3 + 300)))
        if case .integer(let bytes)? = tables[.text("thumbnails")]?.1 { #expect(bytes > 0) } else { Issue.record("no thumbnail bytes") }
        #expect(collector.results[1].rows.count == 3)
        let perDay = collector.results[2].rows.compactMap { row -> Int64? in if case .integer(let n) = row[1] { n } else { nil } }
        #expect(perDay.reduce(0, +) == Int64(captured.count + 100))
        #expect(perDay.count >= Self.days)
    }
}

/// Keeps each result of a multi-result printout.
private final class StatsCollector: ResultSink {
    var results: [(columns: [String], rows: [[QueryValue]])] = []
    func begin(columns: [String]) { results.append((columns, [])) }
    func write(row: [QueryValue]) { results[results.count - 1].rows.append(row) }
    func end() {}
}
