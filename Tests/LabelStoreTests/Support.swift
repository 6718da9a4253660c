import Foundation
@testable import LabelStore

/// Collects a query result in memory.
final class RowCollector: ResultSink {
    var columns: [String] = []
    var rows: [[QueryValue]] = []
    func begin(columns: [String]) { self.columns = columns }
    func write(row: [QueryValue]) { rows.append(row) }
    func end() {}
}

extension ReadOnlyLabelDatabase {
    func rows(_ sql: String, _ arguments: [QueryArgument] = []) throws -> [[QueryValue]] {
        let collector = RowCollector()
        try run(sql, arguments: arguments, into: collector)
        return collector.rows
    }
}

/// A small class list for hand-built fixtures.
let fixtureClasses = [
    ClassLabel(index: 0, wnid: "n00000000", label: "cat", names: "cat, house cat"),
    ClassLabel(index: 1, wnid: "n00000001", label: "dog", names: "dog"),
    ClassLabel(index: 2, wnid: "n00000002", label: "car", names: "car, auto"),
]

/// A frame whose ranks are `classes` in order, with scores `top1`, then half of the previous each.
func frame(_ index: Int64, pts: Double? = nil, _ classes: [Int], top1: Float = 0.5) -> StoredFrame {
    StoredFrame(
        frameIndex: index, pts: pts ?? Double(index) / 10, capturedAt: nil,
        top: classes.enumerated().map { ClassScore(classIndex: $1, score: top1 / Float(1 << $0)) })
}

/// Opens a store at `path` with the fixture classes, one source and one run, and a writer for that run.
func openFixtureStore(_ path: String, uri: String = "/videos/a.mp4", policy: FrameWriter.Policy = .init())
    throws -> (LabelStore, SourceID, FrameWriter)
{
    let store = try LabelStore(path: path)
    try store.storeClasses(fixtureClasses)
    let source = try store.register(source: SourceDescriptor(uri: uri, kind: .file)).id
    let run = try store.beginRun(RunSettings(source: source, precision: "f32", sampling: "all", modelSHA256: "test"))
    return (store, source, try store.makeWriter(run: run, policy: policy))
}
