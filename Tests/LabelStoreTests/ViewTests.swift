import Foundation
import FramewiseTestSupport
import Testing
@testable import LabelStore

/// The views on a hand-built fixture whose answers are worked out by hand.
///
/// Source a.mp4 (frames 15 and 40 not stored): 0 cat .75 | 5 cat .5 | 10 dog .75 | 20 dog .25 | 25 cat .5 |
/// 30 cat .5 tied with dog .5 at rank 2 | 35 cat .5 | 45 car 1.0.
/// Source b.mp4 (written out of order): 0 dog 1.0 | 1 dog .5 | 2 cat .25.
@Suite("Views")
struct ViewTests {
    static func makeFixture(in directory: TemporaryDirectory) throws -> ReadOnlyDatabase {
        let path = directory.path("fixture.sqlite")
        let (store, _, writerA) = try openFixtureStore(path, uri: "/videos/a.mp4")
        try writerA.append(frame(0, [0, 1], top1: 0.75))
        try writerA.append(frame(5, [0, 2], top1: 0.5))
        try writerA.append(frame(10, [1, 0], top1: 0.75))
        try writerA.append(frame(20, [1], top1: 0.25))
        try writerA.append(frame(25, [0], top1: 0.5))
        try writerA.append(StoredFrame(frameIndex: 30, pts: 3, capturedAt: nil, top: [
            ClassScore(classIndex: 0, score: 0.5), ClassScore(classIndex: 1, score: 0.5),
        ]))
        try writerA.append(frame(35, [0], top1: 0.5))
        try writerA.append(frame(45, [2], top1: 1))
        try writerA.close()

        let sourceB = try store.register(source: SourceDescriptor(uri: "/videos/b.mp4", kind: .file)).id
        let runB = try store.beginRun(RunSettings(source: sourceB, precision: "f32", sampling: "all", modelSHA256: "t"))
        let writerB = try store.makeWriter(run: runB)
        try writerB.append(frame(2, [0], top1: 0.25))
        try writerB.append(frame(0, [1], top1: 1))
        try writerB.append(frame(1, [1, 0], top1: 0.5))
        try writerB.close()
        return try ReadOnlyDatabase(path: path)
    }

    @Test("label_segments: maximal runs of stored frames, per source, across gaps, ties by rank")
    func segments() throws {
        let directory = try TemporaryDirectory()
        let reader = try Self.makeFixture(in: directory)
        let sql = """
            SELECT source, label, start_pts, end_pts, frames, mean_score, first_frame_index, last_frame_index
              FROM label_segments ORDER BY source, start_pts
            """
        let a = QueryValue.text("/videos/a.mp4")
        let b = QueryValue.text("/videos/b.mp4")
        #expect(try reader.rows(sql) == [
            [a, .text("cat"), .real(0.0), .real(0.5), .integer(2), .real(0.625), .integer(0), .integer(5)],
            [a, .text("dog"), .real(1.0), .real(2.0), .integer(2), .real(0.5), .integer(10), .integer(20)],
            [a, .text("cat"), .real(2.5), .real(3.5), .integer(3), .real(0.5), .integer(25), .integer(35)],
            [a, .text("car"), .real(4.5), .real(4.5), .integer(1), .real(1.0), .integer(45), .integer(45)],
            [b, .text("dog"), .real(0.0), .real(0.1), .integer(2), .real(0.75), .integer(0), .integer(1)],
            [b, .text("cat"), .real(0.2), .real(0.2), .integer(1), .real(0.25), .integer(2), .integer(2)],
        ])
        // The filtered form (pushed down to the indexes) gives the same segments.
        #expect(try reader.rows("SELECT source, start_pts, frames FROM label_segments WHERE label = ? ORDER BY source, start_pts",
                                [.text("cat")]) == [
            [a, .real(0.0), .integer(2)], [a, .real(2.5), .integer(3)], [b, .real(0.2), .integer(1)],
        ])
    }

    @Test("predictions: one row per frame and rank, with labels")
    func predictions() throws {
        let directory = try TemporaryDirectory()
        let reader = try Self.makeFixture(in: directory)
        #expect(try reader.count("SELECT count(*) FROM predictions") == 16)
        #expect(try reader.rows("SELECT source, frame_index, pts, captured_at, rank, class_index, label, score FROM predictions WHERE frame_index = 30") == [
            [.text("/videos/a.mp4"), .integer(30), .real(3), .null, .integer(1), .integer(0), .text("cat"), .real(0.5)],
            [.text("/videos/a.mp4"), .integer(30), .real(3), .null, .integer(2), .integer(1), .text("dog"), .real(0.5)],
        ])
    }
}
