import Foundation
import FramewiseTestSupport
import Testing
@testable import LabelStore

/// A tiny but complete JPEG header for the store's checks (the report tests store real encoded pictures).
private func jpeg(_ fill: UInt8, bytes: Int = 64) -> Data { Data([0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: fill, count: bytes)) }

@Suite("Thumbnails in the store")
struct ThumbnailStoreTests {
    @Test("a thumbnail commits with its frame's batch, and reads back by frame id")
    func storedWithTheBatch() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.sqlite")
        let (_, _, writer) = try openFixtureStore(path)
        try writer.append(frame(0, [0, 1]))
        try writer.appendThumbnail(StoredThumbnail(width: 320, height: 180, jpeg: jpeg(1)), frameIndex: 0)
        try writer.append(frame(1, [1, 0]))
        try writer.close()
        #expect(writer.committed.batches == 1)
        #expect(writer.committed.thumbnails == 1)

        let reader = try ReadOnlyDatabase(path: path)
        let frameID = try #require(try reader.rows("SELECT id FROM frames WHERE frame_index = 0").first?.first)
        guard case .integer(let id) = frameID else { Issue.record("no frame id"); return }
        #expect(try reader.thumbnails(ofFrames: [id, id + 1]) == [id: StoredThumbnail(width: 320, height: 180, jpeg: jpeg(1))])
        var seen: [(Int64, Bool)] = []
        try reader.forEachTimelineFrame(of: SourceID(rawValue: 1)) { seen.append(($0.frameIndex, $0.hasThumbnail)) }
        #expect(seen.map(\.0) == [0, 1] && seen.map(\.1) == [true, false])
    }

    @Test("a thumbnail for a frame stored earlier, for a missing frame, or a second one for a frame")
    func laterMissingAndSecondThumbnails() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.sqlite")
        let (_, _, writer) = try openFixtureStore(path)
        try writer.append(frame(0, [0]))
        try writer.flush()
        try writer.appendThumbnail(StoredThumbnail(width: 8, height: 6, jpeg: jpeg(2)), frameIndex: 0)
        try writer.appendThumbnail(StoredThumbnail(width: 8, height: 6, jpeg: jpeg(3)), frameIndex: 0)
        try writer.appendThumbnail(StoredThumbnail(width: 8, height: 6, jpeg: jpeg(4)), frameIndex: 7)
        try writer.close()
        #expect(writer.committed.thumbnails == 1)
        #expect(writer.committed.thumbnailsSkipped == 2)
        let reader = try ReadOnlyDatabase(path: path)
        #expect(try reader.rows("SELECT jpeg FROM thumbnails") == [[.blob(jpeg(2))]])
    }

    @Test("thumbnails alone commit on the writer's deadline")
    func deadlineCommitsThumbnails() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.sqlite")
        let (_, _, writer) = try openFixtureStore(path, policy: FrameWriter.Policy(maxFrames: 1000, maxDelay: .milliseconds(50)))
        try writer.append(frame(0, [0]))
        try writer.flush()
        try writer.appendThumbnail(StoredThumbnail(width: 8, height: 6, jpeg: jpeg(5)), frameIndex: 0)
        let reader = try ReadOnlyDatabase(path: path)
        let deadline = Date().addingTimeInterval(5)
        while try reader.count("SELECT count(*) FROM thumbnails") == 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(try reader.count("SELECT count(*) FROM thumbnails") == 1)
        try writer.close()
    }

    @Test("deleting a source's frames (--restart) deletes their thumbnails")
    func deletedWithTheFrame() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.sqlite")
        let (store, source, writer) = try openFixtureStore(path)
        for index in 0..<3 {
            try writer.append(frame(Int64(index), [0]))
            try writer.appendThumbnail(StoredThumbnail(width: 8, height: 6, jpeg: jpeg(UInt8(index))), frameIndex: Int64(index))
        }
        try writer.close()
        let reader = try ReadOnlyDatabase(path: path)
        #expect(try reader.count("SELECT count(*) FROM thumbnails") == 3)
        try store.deleteFrames(of: source)
        #expect(try reader.count("SELECT count(*) FROM thumbnails") == 0)
    }

    @Test("what is not a picture is refused with one line, and the batch goes on")
    func invalidThumbnailsRefused() throws {
        let directory = try TemporaryDirectory()
        let (_, _, writer) = try openFixtureStore(directory.path("t.sqlite"))
        try writer.append(frame(0, [0]))
        #expect(throws: LabelStoreError.invalidThumbnail(frameIndex: 0, reason: "its size is 0×10")) {
            try writer.appendThumbnail(StoredThumbnail(width: 0, height: 10, jpeg: jpeg(1)), frameIndex: 0)
        }
        #expect(throws: LabelStoreError.invalidThumbnail(frameIndex: 0, reason: "it is not a JPEG picture")) {
            try writer.appendThumbnail(StoredThumbnail(width: 10, height: 10, jpeg: Data("<html>".utf8)), frameIndex: 0)
        }
        try writer.close()
        #expect(writer.committed.stored == 1 && writer.committed.thumbnails == 0)
    }
}
