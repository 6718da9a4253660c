import Foundation

/// The stored feature vectors of one view, laid out for brute-force search and memory-mapped: each vector
/// quantised to int8 with its own scale (`v ≈ scale · q`, q in −127…127: a quarter of float32's bytes, half of the
/// database's float16), with its norm, its frame id, source id and capture time for the filters. Made from the
/// database when missing or stale (its `census` — how many vectors the view has and the largest frame id — no
/// longer matches), then read without copying: a search of N vectors reads N KB.
///
/// Layout, little-endian: a 64-byte header (`FWVEC001`, count, census count, census largest id, width), then
/// frame ids (Int64 × N), source ids (Int64 × N), capture times (Float64 × N, NaN for none), scales (Float32 × N),
/// norms (Float32 × N) and the quantised values (Int8 × N × width).
package final class VectorSearchFile: Sendable {
    /// What the database holds of a view, to tell whether a file is current.
    package struct Census: Equatable, Sendable {
        package let count: Int64
        package let largestFrameID: Int64
        package init(count: Int64, largestFrameID: Int64) {
            self.count = count
            self.largestFrameID = largestFrameID
        }
    }

    /// One vector as the builder hands it over.
    package struct Row {
        package let frameID: Int64
        package let sourceID: Int64
        package let capturedAt: Double?
        package let values: UnsafeBufferPointer<Float>
        package init(frameID: Int64, sourceID: Int64, capturedAt: Double?, values: UnsafeBufferPointer<Float>) {
            self.frameID = frameID
            self.sourceID = sourceID
            self.capturedAt = capturedAt
            self.values = values
        }
    }

    /// Which rows a search considers.
    package struct Filter: Sendable {
        /// Only these sources' frames (nil: all).
        package var sources: Set<Int64>?
        /// Only frames captured in `from..<to` (Unix seconds; either given leaves out frames without a time).
        package var from: Double?
        package var to: Double?
        package init(sources: Set<Int64>? = nil, from: Double? = nil, to: Double? = nil) {
            self.sources = sources
            self.from = from
            self.to = to
        }
    }

    private static let magic = Array("FWVEC001".utf8)
    fileprivate static let headerBytes = 64

    package let count: Int
    package let width: Int
    package let census: Census
    fileprivate let data: Data

    /// The file at `path` when it exists, is readable and matches `census` and `width`; nil otherwise.
    package init?(path: String, census: Census, width: Int) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped), data.count >= Self.headerBytes,
              Array(data.prefix(8)) == Self.magic
        else { return nil }
        func integer(_ offset: Int) -> Int64 { data.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Int64.self)) } }
        let count = Int(integer(8)), stored = Census(count: integer(16), largestFrameID: integer(24))
        guard stored == census, Int(integer(32)) == width, count >= 0,
              data.count == Self.headerBytes + count * (8 + 8 + 8 + 4 + 4 + width)
        else { return nil }
        self.data = data
        self.count = count
        self.width = width
        self.census = census
    }

    /// Writes the file for `census` from the rows `forEachRow` hands over (each `width` values), atomically
    /// (a temporary file renamed over the old one), and opens it.
    package static func build(path: String, census: Census, width: Int,
                              _ forEachRow: ((Row) -> Void) throws -> Void) throws -> VectorSearchFile {
        var ids: [Int64] = [], sources: [Int64] = [], times: [Double] = [], scales: [Float] = [], norms: [Float] = []
        var values: [Int8] = []
        try forEachRow { row in
            precondition(row.values.count == width, "a vector of \(row.values.count) values, not \(width)")
            let (quantised, scale) = quantise(row.values)
            values += quantised
            let squares = quantised.reduce(Float(0)) { sum, value in
                let restored = Float(value) * scale
                return sum + restored * restored
            }
            ids.append(row.frameID)
            sources.append(row.sourceID)
            times.append(row.capturedAt ?? .nan)
            scales.append(scale)
            norms.append(squares.squareRoot())
        }
        var file = Data(magic)
        for number in [Int64(ids.count), census.count, census.largestFrameID, Int64(width)] {
            withUnsafeBytes(of: number.littleEndian) { file.append(contentsOf: $0) }
        }
        file.append(contentsOf: [UInt8](repeating: 0, count: headerBytes - file.count))
        for id in ids { withUnsafeBytes(of: id.littleEndian) { file.append(contentsOf: $0) } }
        for source in sources { withUnsafeBytes(of: source.littleEndian) { file.append(contentsOf: $0) } }
        for time in times { withUnsafeBytes(of: time.bitPattern.littleEndian) { file.append(contentsOf: $0) } }
        for scale in scales { withUnsafeBytes(of: scale.bitPattern.littleEndian) { file.append(contentsOf: $0) } }
        for norm in norms { withUnsafeBytes(of: norm.bitPattern.littleEndian) { file.append(contentsOf: $0) } }
        values.withUnsafeBytes { file.append(contentsOf: $0) }
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        try file.write(to: URL(fileURLWithPath: temporary))
        if rename(temporary, path) != 0 {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        guard let opened = VectorSearchFile(path: path, census: census, width: width) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return opened
    }

    /// The `top` rows most similar to `query` (cosine similarity) among those `filter` keeps, best first (ties:
    /// the lower frame id). The rows are split between the cores.
    package func best(_ top: Int, of query: [Float], filter: Filter = Filter()) -> [(frameID: Int64, score: Float)] {
        precondition(query.count == width, "a query of \(query.count) values for vectors of \(width)")
        let queryNorm = query.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard count > 0, top > 0, queryNorm > 0 else { return [] }
        // The query quantised too (its own scale): an int8 × int8 dot product summed in Int32, which the compiler
        // turns into the CPU's multiply-add of byte pairs (vpmaddwd and friends).
        let quantisedQuery = Self.quantise(query)
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / 4096 + 1))
        let found = ConcurrentSlots<[(frameID: Int64, score: Float)]>(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let rows = (count * part / parts)..<(count * (part + 1) / parts)
            found[part] = scan(rows, top: top, query: quantisedQuery, queryNorm: queryNorm, filter: filter)
        }
        return (0..<parts).flatMap { found[$0] ?? [] }.sorted { ($0.score, -$0.frameID) > ($1.score, -$1.frameID) }.prefix(top).map { $0 }
    }
}

extension VectorSearchFile {
    /// The best `top` of `rows`, best first.
    /// `values` as int8 with one scale: `v ≈ scale · q`, q in −127…127 (a zero vector: scale 1).
    fileprivate static func quantise(_ values: some Collection<Float>) -> (values: [Int8], scale: Float) {
        let largest = values.reduce(Float(0)) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / 127 : 1
        return (values.map { Int8(max(-127, min(127, ($0 / scale).rounded()))) }, scale)
    }

    private func scan(_ rows: Range<Int>, top: Int, query: (values: [Int8], scale: Float), queryNorm: Float,
                      filter: Filter) -> [(frameID: Int64, score: Float)] {
        var kept = TopScores(capacity: top)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            let ids = (base + Self.headerBytes).assumingMemoryBound(to: Int64.self)
            let sources = ids + count
            let times = (base + Self.headerBytes + 16 * count).assumingMemoryBound(to: Double.self)
            let scales = (base + Self.headerBytes + 24 * count).assumingMemoryBound(to: Float.self)
            let norms = scales + count
            let values = (base + Self.headerBytes + 32 * count).assumingMemoryBound(to: Int8.self)
            let queryScale = query.scale
            query.values.withUnsafeBufferPointer { query in
                for row in rows {
                    if let chosen = filter.sources, !chosen.contains(Int64(littleEndian: sources[row])) { continue }
                    if filter.from != nil || filter.to != nil {
                        let time = times[row]
                        if time.isNaN { continue }
                        if let from = filter.from, time < from { continue }
                        if let to = filter.to, time >= to { continue }
                    }
                    let vector = values + row * width
                    var sum: Int32 = 0
                    for index in 0..<width { sum &+= Int32(query[index]) &* Int32(vector[index]) }
                    let dot = Float(sum) * queryScale
                    let norm = norms[row]
                    kept.offer(norm > 0 ? dot * scales[row] / (norm * queryNorm) : 0, Int64(littleEndian: ids[row]))
                }
            }
        }
        return kept.sorted
    }
}

/// The best `capacity` (score, frame id) pairs seen, kept unsorted; the worst is replaced by a better one.
private struct TopScores {
    let capacity: Int
    private var entries: [(frameID: Int64, score: Float)] = []
    private var worst = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func offer(_ score: Float, _ frameID: Int64) {
        if entries.count < capacity {
            entries.append((frameID, score))
            if entries.count == capacity { findWorst() }
        } else if (score, -frameID) > (entries[worst].score, -entries[worst].frameID) {
            entries[worst] = (frameID, score)
            findWorst()
        }
    }

    private mutating func findWorst() {
        worst = entries.indices.min { (entries[$0].score, -entries[$0].frameID) < (entries[$1].score, -entries[$1].frameID) }!
    }

    var sorted: [(frameID: Int64, score: Float)] {
        entries.sorted { ($0.score, -$0.frameID) > ($1.score, -$1.frameID) }
    }
}
