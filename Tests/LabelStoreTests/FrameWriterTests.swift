import Dispatch
import Foundation
import FramewiseTestSupport
import Testing
@testable import LabelStore

@Suite("Writing frames")
struct FrameWriterTests {
    @Test("storing a frame twice is not an error and makes no duplicate")
    func idempotentRestore() throws {
        let directory = try TemporaryDirectory()
        let (_, _, writer) = try openFixtureStore(directory.path("db.sqlite"))
        try writer.append(frame(0, [0, 1, 2]))
        try writer.append(frame(0, [1, 2, 0]))  // same frame in the same batch
        try writer.flush()
        try writer.append(frame(0, [2]))  // and in a later batch
        try writer.append(frame(5, [2]))
        try writer.close()
        #expect(writer.committed == FrameWriter.Totals(stored: 2, alreadyStored: 2, batches: 2))
        let reader = try ReadOnlyDatabase(path: directory.path("db.sqlite"))
        #expect(try reader.rows("SELECT frame_index, rank, class_index FROM predictions ORDER BY frame_index, rank") == [
            [.integer(0), .integer(1), .integer(0)], [.integer(0), .integer(2), .integer(1)],
            [.integer(0), .integer(3), .integer(2)], [.integer(5), .integer(1), .integer(2)],
        ])
    }

    @Test("a new run of a source closes the runs a killed process left running")
    func runsLeftRunningAreMarkedInterrupted() throws {
        let directory = try TemporaryDirectory()
        let (store, source, writer) = try openFixtureStore(directory.path("db.sqlite"))
        try writer.append(frame(0, [0]))
        try writer.close()  // the run is never finished, as after SIGKILL
        let other = try store.register(source: SourceDescriptor(uri: "rtsp://camera/stream", kind: .rtsp)).id
        let otherRun = try store.beginRun(RunSettings(source: other, precision: "fp32", sampling: "all", modelSHA256: "test"))
        _ = try store.beginRun(RunSettings(source: source, precision: "fp32", sampling: "all", modelSHA256: "test"))
        let reader = try ReadOnlyDatabase(path: directory.path("db.sqlite"))
        #expect(try reader.rows("SELECT id, status, error IS NOT NULL FROM runs ORDER BY id") == [
            [.integer(1), .text("interrupted"), .integer(1)],
            [.integer(otherRun.rawValue), .text("running"), .integer(0)],
            [.integer(3), .text("running"), .integer(0)],
        ])
    }

    @Test("appearances are upserted by their key with the batch, and a new run closes those a killed one left open")
    func appearancesAcrossRuns() throws {
        let directory = try TemporaryDirectory()
        let (store, source, writer) = try openFixtureStore(directory.path("db.sqlite"))
        var dog = AppearanceRecord(view: "center", vocabulary: "category", classID: 7, label: "dog", startFrameIndex: 0,
                                   startPts: 0, startCapturedAt: Date(timeIntervalSince1970: 100))
        for index in 0..<3 {
            try writer.append(frame(Int64(index), [0]))
            dog.endFrameIndex = Int64(index)
            dog.endPts = Double(index) * 0.5
            dog.frames = index + 1
            dog.scoreSum += 0.8
            dog.peakScore = 0.8
            try writer.appendAppearance(dog)
            if index == 1 { try writer.flush() }  // one batch with the appearance so far, one with its last state
        }
        try writer.close()  // never closed by its run, as after SIGKILL
        let reader = try ReadOnlyDatabase(path: directory.path("db.sqlite"))
        let row = "SELECT label, start_frame_index, end_frame_index, end_pts, frames, round(mean_score, 3), open FROM appearances"
        #expect(try reader.rows(row) == [[.text("dog"), .integer(0), .integer(2), .real(1), .integer(3), .real(0.8), .integer(1)]])
        _ = try store.beginRun(RunSettings(source: source, precision: "fp32", sampling: "all", modelSHA256: "test"))
        #expect(try reader.rows("SELECT open FROM appearances") == [[.integer(0)]])
    }

    @Test("resume: the stored indices of a source are reported, restart deletes them")
    func resumeAndRestart() throws {
        let directory = try TemporaryDirectory()
        let (store, source, writer) = try openFixtureStore(directory.path("db.sqlite"))
        let other = try store.register(source: SourceDescriptor(uri: "rtsp://camera/stream", kind: .rtsp)).id
        let stored: [Int64] = [0, 5, 10, 15, 20, 23, 26, 40, 1_000]
        for index in stored.reversed() { try writer.append(frame(index, [0])) }
        try writer.close()

        let indices = try store.storedFrameIndices(of: source)
        #expect(indices.count == stored.count)
        #expect(indices.max == 1_000)
        #expect((0...1_005).filter { indices.contains(Int64($0)) } == stored)
        #expect(try store.storedFrameIndices(of: other).isEmpty)

        try store.deleteFrames(of: source)
        #expect(try store.storedFrameIndices(of: source).isEmpty)
        let reader = try ReadOnlyDatabase(path: directory.path("db.sqlite"))
        #expect(try reader.count("SELECT count(*) FROM labels") == 0)
        #expect(try reader.count("SELECT count(*) FROM runs") == 1)
    }

    @Test("a batch is committed after the delay without a flush call")
    func intervalFlush() throws {
        let directory = try TemporaryDirectory()
        let policy = FrameWriter.Policy(maxFrames: 1_000, maxDelay: .milliseconds(50))
        let (_, _, writer) = try openFixtureStore(directory.path("db.sqlite"), policy: policy)
        try writer.append(frame(0, [0]))
        let reader = try ReadOnlyDatabase(path: directory.path("db.sqlite"))
        let deadline = Date().addingTimeInterval(10)
        while try reader.count("SELECT count(*) FROM frames") == 0, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(try reader.count("SELECT count(*) FROM frames") == 1)
        #expect(writer.committed.batches == 1)
    }

    @Test("a frame that cannot be stored is refused alone")
    func invalidFrameRefused() throws {
        let directory = try TemporaryDirectory()
        let (_, _, writer) = try openFixtureStore(directory.path("db.sqlite"))
        try writer.append(frame(0, [0]))
        #expect(throws: LabelStoreError.self) { try writer.append(frame(1, [7])) }  // unknown class
        #expect(throws: LabelStoreError.self) { try writer.append(frame(2, [])) }
        #expect(throws: LabelStoreError.self) { try writer.append(frame(3, [0, 0])) }
        #expect(throws: LabelStoreError.self) {
            try writer.append(StoredFrame(frameIndex: 4, pts: 0, capturedAt: nil,
                                          top: [ClassScore(classIndex: 0, score: .nan)]))
        }
        try writer.append(frame(5, [1]))
        try writer.close()
        #expect(writer.committed.stored == 2)
    }

    @Test("a reader inside a read transaction and the writer committing do not disturb each other")
    func readerDuringWrites() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("db.sqlite")
        let (_, _, writer) = try openFixtureStore(path)
        for index in 0..<100 { try writer.append(frame(Int64(index), [0])) }
        try writer.flush()

        let readerInside = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        let writerErrors = ErrorBox()
        DispatchQueue.global().async {
            readerInside.wait()
            do {
                for batch in 1...3 {
                    for index in (batch * 100)..<(batch * 100 + 100) { try writer.append(frame(Int64(index), [1])) }
                    try writer.flush()
                }
            } catch {
                writerErrors.record(error)
            }
            writerDone.signal()
        }

        /// Pauses at the first row, inside the read transaction, until the writer has committed.
        final class PausingSink: ResultSink {
            let readerInside: DispatchSemaphore
            let writerDone: DispatchSemaphore
            var rows = 0
            var writerFinishedInTime = false
            init(readerInside: DispatchSemaphore, writerDone: DispatchSemaphore) {
                self.readerInside = readerInside
                self.writerDone = writerDone
            }
            func begin(columns: [String]) {}
            func write(row: [QueryValue]) {
                if rows == 0 {
                    readerInside.signal()
                    writerFinishedInTime = writerDone.wait(timeout: .now() + 30) == .success
                }
                rows += 1
            }
            func end() {}
        }
        let sink = PausingSink(readerInside: readerInside, writerDone: writerDone)
        let reader = try ReadOnlyDatabase(path: path)
        try reader.run("SELECT frame_index FROM frames ORDER BY frame_index", into: sink)

        #expect(sink.writerFinishedInTime)
        #expect(writerErrors.errors.isEmpty)
        #expect(sink.rows == 100)  // the reader's snapshot
        #expect(try reader.count("SELECT count(*) FROM frames") == 400)  // a new read sees the commits
    }
}

/// Errors recorded on another thread.
final class ErrorBox: @unchecked Sendable {
    // Guarded by `lock`.
    private var recorded: [any Error] = []
    private let lock = NSLock()
    func record(_ error: any Error) { lock.withLock { recorded.append(error) } }
    var errors: [any Error] { lock.withLock { recorded } }
}

@Suite("StoredFrameIndices")
struct StoredFrameIndicesTests {
    @Test("regular strides take one run each, membership is exact")
    func runs() {
        var indices = StoredFrameIndices()
        let values: [Int64] = [0, 5, 10, 15, 17, 19, 21, 100, 200, 201]
        for value in values { indices.appendAscending(value) }
        #expect(indices.count == values.count)
        #expect(indices.runs.count == 4)
        #expect((-5...250).filter { indices.contains(Int64($0)) } == values)
    }
}
