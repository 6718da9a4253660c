import FramewiseTestSupport
import Foundation
import Testing
@testable import FeatureSpace

/// The search file `similar` scans, against a view held in memory that changes between searches as a database's
/// does: vectors added (also below the largest frame id), vectors deleted, and a file that is not ours.
@Suite struct VectorSearchFileTests {
    /// A view's stored vectors: frame id → (source id, values).
    final class StoredView {
        var vectors: [Int64: (source: Int64, values: [Float])] = [:]
        var statements = 0

        var source: VectorSearchFile.Source {
            VectorSearchFile.Source(
                census: { [self] in
                    VectorSearchFile.Census(count: Int64(vectors.count), largestFrameID: vectors.keys.max() ?? 0,
                                            frameIDSum: vectors.keys.reduce(0, +))
                },
                frameIDs: { [self] in vectors.keys.sorted() },
                rows: { [self] ids, add in
                    statements += 1
                    for id in ids ?? vectors.keys.sorted() {
                        guard let stored = vectors[id] else { continue }
                        try stored.values.withUnsafeBufferPointer {
                            try add(VectorSearchFile.Row(frameID: id, sourceID: stored.source, capturedAt: Double(id), values: $0))
                        }
                    }
                })
        }
    }

    static let width = 64

    static func randomVector(_ generator: inout SplitMix64) -> [Float] {
        (0..<width).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// `count` random vectors with ids from `first`, over two sources.
    static func view(_ ids: ClosedRange<Int64>, seed: UInt64 = 1) -> StoredView {
        var generator = SplitMix64(seed: seed)
        let view = StoredView()
        for id in ids { view.vectors[id] = (id % 2, randomVector(&generator)) }
        return view
    }

    static func inode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    }

    @Test("each stored vector finds itself first, and the ten best agree with exact cosine ranking")
    func ranking() throws {
        let directory = try TemporaryDirectory()
        let view = Self.view(1...500)
        let file = try VectorSearchFile.synchronised(path: directory.path("v"), width: Self.width, with: view.source)
        #expect(file.rowCount == 500 && file.struckOutCount == 0)
        var found = 0
        for id: Int64 in stride(from: 1, through: 500, by: 25) {
            let query = view.vectors[id]!.values
            let best = file.best(10, of: query)
            #expect(best.first?.frameID == id)
            let exact = view.vectors.map { ($0.key, CosineRanking.similarity(query, $0.value.values)) }
                .sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }.prefix(10).map(\.0)
            found += Set(best.map(\.frameID)).intersection(exact).count
        }
        #expect(found >= 20 * 10 * 9 / 10, "recall@10 of int8: \(found) of 200")
        let odd = file.best(5, of: view.vectors[3]!.values, filter: .init(sources: [1]))
        #expect(odd.count == 5 && odd.allSatisfy { $0.frameID % 2 == 1 })
        let early = file.best(500, of: view.vectors[3]!.values, filter: .init(from: 10, to: 20))
        #expect(Set(early.map(\.frameID)) == Set(10..<20))
    }

    @Test("vectors added since are appended, deleted ones struck out in place; past a quarter struck out it is written anew")
    func keptInStep() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("v")
        let view = Self.view(1...100)
        _ = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        let original = try Self.inode(path)

        var generator = SplitMix64(seed: 99)
        for id: Int64 in 101...120 { view.vectors[id] = (0, Self.randomVector(&generator)) }
        var file = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        #expect(file.rowCount == 120 && file.struckOutCount == 0 && file.census.count == 120)
        #expect(try Self.inode(path) == original, "appended in place")
        #expect(file.best(1, of: view.vectors[110]!.values).first?.frameID == 110)

        let deleted = Array(Int64(5)...14)
        let query = view.vectors[7]!.values
        for id in deleted { view.vectors[id] = nil }
        file = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        #expect(file.rowCount == 120 && file.struckOutCount == 10)
        #expect(try Self.inode(path) == original)
        let found = file.best(200, of: query).map(\.frameID)
        #expect(found.count == 110 && Set(found).isDisjoint(with: deleted))

        // One vector back below the largest id and another gone: the same count and largest id, another sum.
        view.vectors[7] = (1, Self.randomVector(&generator))
        view.vectors[50] = nil
        file = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        #expect(file.rowCount == 121 && file.struckOutCount == 11)
        #expect(file.best(1, of: view.vectors[7]!.values).first?.frameID == 7)
        #expect(!file.best(200, of: query).map(\.frameID).contains(50))

        let statements = view.statements
        #expect(try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source).rowCount == 121)
        #expect(view.statements == statements, "a current file reads no vectors")

        for id: Int64 in 60...79 { view.vectors[id] = nil }
        file = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        #expect(file.rowCount == 90 && file.struckOutCount == 0)
        #expect(try Self.inode(path) != original, "written anew")
        #expect(Set(file.best(200, of: query).map(\.frameID)) == Set(view.vectors.keys))
    }

    @Test("a file that is not a search file of this width, or is cut short, is written anew")
    func foreignFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("v")
        let view = Self.view(1...40)
        try Data("not a search file".utf8).write(to: URL(fileURLWithPath: path))
        var file = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        #expect(file.rowCount == 40)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 64 + 10 * UInt64(32 + Self.width))
        try handle.close()
        file = try VectorSearchFile.synchronised(path: path, width: Self.width, with: view.source)
        #expect(file.rowCount == 40 && file.best(1, of: view.vectors[33]!.values).first?.frameID == 33)
        #expect(try VectorSearchFile.synchronised(path: path, width: 32, with: Self.view(1...3, seed: 5).source.resized(to: 32)).rowCount == 3)
    }
}

extension VectorSearchFile.Source {
    /// The same rows cut to their first `width` values.
    func resized(to width: Int) -> VectorSearchFile.Source {
        VectorSearchFile.Source(census: census, frameIDs: frameIDs) { ids, add in
            try rows(ids) { row in
                try add(VectorSearchFile.Row(frameID: row.frameID, sourceID: row.sourceID, capturedAt: row.capturedAt,
                                             values: UnsafeBufferPointer(rebasing: row.values.prefix(width))))
            }
        }
    }
}
