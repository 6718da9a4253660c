import Foundation
import FramewiseTestSupport
import Testing
@testable import LabelStore

@Suite("Crash safety")
struct CrashTests {
    @Test("SIGKILL mid-write: integrity_check passes, every frame has its 5 labels, the next run resumes")
    func killedWriter() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("killed.sqlite")

        let child = try ChildProcess(try framewiseExecutable(), ["bench", "sink", "--frames", "100000000", "--db", db])
        defer { if child.process.isRunning { child.signal(SIGKILL) } }

        // Let several batches commit, then kill it wherever it is.
        var committed = 0
        let busy = child.poll(every: 0.05, for: 120) {
            committed = (try? ReadOnlyDatabase(path: db).count("SELECT count(*) FROM frames")) ?? 0
            return committed >= 5_000
        }
        try #require(busy && child.process.isRunning, "the writer did not commit 5000 frames while running")
        child.signal(SIGKILL)
        let killed = child.wait()
        #expect(child.process.terminationReason == .uncaughtSignal && killed.status == SIGKILL)

        let store = try LabelStore(path: db)  // the next run opens it first
        let reader = try ReadOnlyDatabase(path: db)
        #expect(try reader.rows("PRAGMA integrity_check") == [[.text("ok")]])
        #expect(try reader.count("PRAGMA foreign_key_check") == 0)
        #expect(try reader.count("SELECT count(*) FROM frames WHERE (SELECT count(*) FROM labels WHERE frame_id = frames.id) <> 5") == 0)
        let stored = try reader.count("SELECT count(*) FROM frames")
        #expect(stored >= committed)
        // Batches commit in order, so what survived is a prefix of the synthetic frames (every 5th index).
        let source = try #require(try reader.rows("SELECT id FROM sources").first?.first)
        guard case .integer(let sourceID) = source else { Issue.record("no source"); return }
        let indices = try store.storedFrameIndices(of: SourceID(rawValue: sourceID))
        #expect(indices.count == stored && indices.max == Int64(stored - 1) * 5)

        let resumed = try runFramewise(["bench", "sink", "--frames", "\(stored + 2_000)", "--db", db, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect(report["frames_stored"] as? Int == 2_000)
        #expect(report["frames_skipped"] as? Int == stored)
        #expect(try reader.count("SELECT count(*) FROM frames") == stored + 2_000)
        #expect(try reader.count("SELECT count(*) FROM labels") == (stored + 2_000) * 5)
        // The killed run is closed as interrupted when the next run of the source begins.
        #expect(try reader.rows("SELECT status FROM runs ORDER BY id") == [[.text("interrupted")], [.text("completed")]])
    }
}
