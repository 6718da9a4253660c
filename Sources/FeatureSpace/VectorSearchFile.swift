import Foundation
import Glibc

/// The stored feature vectors of one view, laid out for brute-force search and memory-mapped: each vector
/// quantised to int8 with its own scale (`v ≈ scale · q`, q in −127…127: a quarter of float32's bytes, half of the
/// database's float16), with its norm, its frame id, source id and capture time for the filters. Kept in step with
/// the database by `synchronised`: vectors added since are appended, those deleted since are struck out in place
/// (their frame id made −1), and the file is written anew only when struck-out rows would be more than a quarter
/// of it. A search maps the file without copying: N vectors are N KB read.
///
/// Layout, little-endian: a 64-byte header (`FWVEC002`, rows, census count, census largest id, width, rows struck
/// out, census id sum), then one record per row: frame id (Int64), source id (Int64), capture time (Float64, NaN for none), scale
/// (Float32), norm (Float32), the quantised values (Int8 × width).
package final class VectorSearchFile: Sendable {
    /// What the database holds of a view, to tell whether a file is current: how many vectors, the largest frame
    /// id and the sum of the frame ids (so one vector deleted and another added below the largest is seen).
    package struct Census: Equatable, Sendable {
        package let count: Int64
        package let largestFrameID: Int64
        package let frameIDSum: Int64
        package init(count: Int64, largestFrameID: Int64, frameIDSum: Int64) {
            self.count = count
            self.largestFrameID = largestFrameID
            self.frameIDSum = frameIDSum
        }
    }

    /// One vector as the database hands it over.
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

    /// What the database tells `synchronised` about a view.
    package struct Source {
        /// How many vectors the view holds and its largest frame id (cheap: asked before every search).
        package let census: () throws -> Census
        /// Every frame id the view holds, ascending.
        package let frameIDs: () throws -> [Int64]
        /// Hands over the rows of these frame ids (nil: every row of the view), in any order.
        package let rows: (_ frameIDs: [Int64]?, _ add: (Row) throws -> Void) throws -> Void
        package init(census: @escaping () throws -> Census, frameIDs: @escaping () throws -> [Int64],
                     rows: @escaping ([Int64]?, (Row) throws -> Void) throws -> Void) {
            self.census = census
            self.frameIDs = frameIDs
            self.rows = rows
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

    private static let magic = Array("FWVEC002".utf8)
    fileprivate static let headerBytes = 64
    /// Frame id, source id, capture time, scale, norm: the bytes of a record before its values.
    fileprivate static let recordPrefix = 32
    /// The frame id of a row whose vector is no longer in the database.
    fileprivate static let struckOut: Int64 = -1

    /// Rows in the file, struck-out ones included.
    package let rowCount: Int
    package let struckOutCount: Int
    package let width: Int
    package let census: Census
    fileprivate let data: Data
    fileprivate var recordBytes: Int { Self.recordPrefix + width }

    /// The file at `path` as it is, when it exists and is one of ours for vectors of `width`; nil otherwise.
    private init?(path: String, width: Int) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped),
              data.count >= Self.headerBytes, Array(data.prefix(8)) == Self.magic
        else { return nil }
        let header = data.withUnsafeBytes { raw in (0..<6).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * (1 + $0), as: Int64.self)) } }
        let rows = Int(header[0]), struck = Int(header[4])
        guard Int(header[3]) == width, rows >= 0, (0...rows).contains(struck),
              data.count >= Self.headerBytes + rows * (Self.recordPrefix + width)
        else { return nil }
        self.data = data
        rowCount = rows
        struckOutCount = struck
        self.width = width
        census = Census(count: header[1], largestFrameID: header[2], frameIDSum: header[5])
    }

    /// The search file at `path` for the view `source` describes, brought up to date first when the view's census
    /// has changed: appended to and struck out in place (under an exclusive lock on `path.lock`, so two processes
    /// do not both), or written anew (a temporary file renamed over the old one) when there is none or a quarter
    /// of its rows would be struck out.
    package static func synchronised(path: String, width: Int, with source: Source) throws -> VectorSearchFile {
        let census = try source.census()
        if let file = VectorSearchFile(path: path, width: width), file.census == census { return file }
        let lock = try FileLock(path: path + ".lock")
        defer { lock.release() }
        let file = VectorSearchFile(path: path, width: width)
        if let file, file.census == census { return file }
        if let file, try file.update(path: path, to: census, from: source) {
            return try opened(path, width: width)
        }
        return try build(path: path, census: census, width: width) { add in try source.rows(nil, add) }
    }

    /// Appends the rows `source` holds and this file has not, and strikes out the rows it no longer holds; false
    /// (nothing written) when that would leave more than a quarter of the rows struck out.
    private func update(path: String, to census: Census, from source: Source) throws -> Bool {
        var live: [(frameID: Int64, row: Int)] = []
        live.reserveCapacity(rowCount - struckOutCount)
        for row in 0..<rowCount {
            let id = frameID(ofRow: row)
            if id != Self.struckOut { live.append((id, row)) }
        }
        live.sort { $0.frameID < $1.frameID }
        let stored = try source.frameIDs()
        var added: [Int64] = [], gone: [Int] = []
        var next = live.startIndex
        for id in stored {
            while next < live.endIndex, live[next].frameID < id {
                gone.append(live[next].row)
                next += 1
            }
            if next < live.endIndex, live[next].frameID == id { next += 1 } else { added.append(id) }
        }
        gone += live[next...].map(\.row)
        let rows = rowCount + added.count, struck = struckOutCount + gone.count
        guard struck * 4 <= rows else { return false }
        let file = try WritableFile(path: path, creating: false)
        defer { file.close() }
        var records = RecordWriter(file: file, offset: Self.headerBytes + rowCount * recordBytes, width: width)
        try source.rows(added) { try records.append($0) }
        try records.flush()
        // Rows deleted between reading the ids and the rows: the appended records are not counted (the header
        // still says `rowCount`), and the file is written anew.
        guard records.written == added.count else { return false }
        let struckOutID = Self.littleEndianBytes(Self.struckOut)
        for row in gone { try file.write(struckOutID, at: Self.headerBytes + row * recordBytes) }
        try file.write(Self.header(rows: rows, census: census, width: width, struckOut: struck), at: 0)
        return true
    }

    /// Writes the file for `census` from the rows `forEachRow` hands over (each `width` values), atomically
    /// (a temporary file renamed over the old one), and opens it.
    private static func build(path: String, census: Census, width: Int,
                              _ forEachRow: ((Row) throws -> Void) throws -> Void) throws -> VectorSearchFile {
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        do {
            let file = try WritableFile(path: temporary, creating: true)
            defer { file.close() }
            var records = RecordWriter(file: file, offset: headerBytes, width: width)
            try forEachRow { try records.append($0) }
            try records.flush()
            try file.write(header(rows: records.written, census: census, width: width, struckOut: 0), at: 0)
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        return try opened(path, width: width)
    }

    /// The file just written at `path`.
    private static func opened(_ path: String, width: Int) throws -> VectorSearchFile {
        guard let file = VectorSearchFile(path: path, width: width) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return file
    }

    private static func header(rows: Int, census: Census, width: Int, struckOut: Int) -> Data {
        var header = Data(magic)
        for number in [Int64(rows), census.count, census.largestFrameID, Int64(width), Int64(struckOut), census.frameIDSum] {
            header.append(littleEndianBytes(number))
        }
        header.append(contentsOf: [UInt8](repeating: 0, count: headerBytes - header.count))
        return header
    }

    /// One row's record: its ids and time, then its values quantised, with their scale and the quantised norm.
    fileprivate static func record(of row: Row, width: Int) -> Data {
        precondition(row.values.count == width, "a vector of \(row.values.count) values, not \(width)")
        let (quantised, scale) = quantise(row.values)
        let squares = quantised.reduce(Float(0)) { sum, value in
            let restored = Float(value) * scale
            return sum + restored * restored
        }
        var record = Data(capacity: recordPrefix + width)
        record.append(littleEndianBytes(row.frameID))
        record.append(littleEndianBytes(row.sourceID))
        record.append(littleEndianBytes((row.capturedAt ?? .nan).bitPattern))
        record.append(littleEndianBytes(scale.bitPattern))
        record.append(littleEndianBytes(squares.squareRoot().bitPattern))
        quantised.withUnsafeBytes { record.append(contentsOf: $0) }
        return record
    }

    private static func littleEndianBytes(_ value: some FixedWidthInteger) -> Data {
        withUnsafeBytes(of: value.littleEndian) { Data($0) }
    }

    private func frameID(ofRow row: Int) -> Int64 {
        data.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: Self.headerBytes + row * recordBytes, as: Int64.self)) }
    }

    /// The `top` rows most similar to `query` (cosine similarity) among those `filter` keeps, best first (ties:
    /// the lower frame id).
    package func best(_ top: Int, of query: [Float], filter: Filter = Filter()) -> [(frameID: Int64, score: Float)] {
        precondition(query.count == width, "a query of \(query.count) values for vectors of \(width)")
        let queryNorm = query.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard rowCount > 0, top > 0, queryNorm > 0 else { return [] }
        // Every row's int8 values times the query's, quantised too (its own scale, within what
        // `MatrixProduct.int8Products` takes), in one int8 product: the CPU's int8 multiply-adds over both cores.
        let (quantisedQuery, queryScale) = Self.quantise(query, limit: 63)
        var dots = [Int32](repeating: 0, count: rowCount)
        let recordBytes = recordBytes
        var kept = TopScores(capacity: top)
        data.withUnsafeBytes { raw in
            let records = raw.baseAddress! + Self.headerBytes
            quantisedQuery.withUnsafeBufferPointer { vector in
                dots.withUnsafeMutableBufferPointer { dots in
                    MatrixProduct.int8Products(rows: (records + Self.recordPrefix).assumingMemoryBound(to: Int8.self),
                                               stride: recordBytes, m: rowCount, k: width, vector: vector.baseAddress!,
                                               into: dots.baseAddress!)
                }
            }
            for row in 0..<rowCount {
                let record = records + row * recordBytes
                let frameID = Int64(littleEndian: record.loadUnaligned(as: Int64.self))
                if frameID == Self.struckOut { continue }
                if let chosen = filter.sources,
                   !chosen.contains(Int64(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: Int64.self))) { continue }
                if filter.from != nil || filter.to != nil {
                    let time = Double(bitPattern: UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
                    if time.isNaN { continue }
                    if let from = filter.from, time < from { continue }
                    if let to = filter.to, time >= to { continue }
                }
                let scale = Float(bitPattern: UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: UInt32.self)))
                let norm = Float(bitPattern: UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 28, as: UInt32.self)))
                let dot = Float(dots[row]) * queryScale * scale
                kept.offer(norm > 0 ? dot / (norm * queryNorm) : 0, frameID)
            }
        }
        return kept.sorted
    }
}

extension VectorSearchFile {
    /// `values` as int8 with one scale: `v ≈ scale · q`, q in −limit…limit (a zero vector: scale 1).
    fileprivate static func quantise(_ values: some Collection<Float>, limit: Float = 127) -> (values: [Int8], scale: Float) {
        let largest = values.reduce(Float(0)) { max($0, abs($1)) }
        let scale = largest > 0 ? largest / limit : 1
        return (values.map { Int8(max(-limit, min(limit, ($0 / scale).rounded()))) }, scale)
    }
}

/// Records written one after another from an offset of a file, through a buffer of a few megabytes.
private struct RecordWriter {
    let file: WritableFile
    let width: Int
    private(set) var written = 0
    private var offset: Int
    private var buffer = Data()

    init(file: WritableFile, offset: Int, width: Int) {
        self.file = file
        self.offset = offset
        self.width = width
    }

    mutating func append(_ row: VectorSearchFile.Row) throws {
        buffer.append(VectorSearchFile.record(of: row, width: width))
        written += 1
        if buffer.count >= 4 << 20 { try flush() }
    }

    mutating func flush() throws {
        try file.write(buffer, at: offset)
        offset += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A file open for writing at given offsets (`pwrite`, retried when a signal interrupts it).
private struct WritableFile {
    private let descriptor: Int32
    private let path: String

    init(path: String, creating: Bool) throws {
        descriptor = open(path, O_WRONLY | O_CLOEXEC | (creating ? O_CREAT | O_TRUNC : 0), 0o644)
        self.path = path
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
    }

    func write(_ bytes: Data, at offset: Int) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let count = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
                done += count
            }
        }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}

/// An exclusive `flock` on a file (made if missing), held until `release`: one process at a time brings a search
/// file up to date.
private struct FileLock {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                _ = Glibc.close(descriptor)
                throw CocoaError(.fileLocking, userInfo: [NSFilePathErrorKey: path])
            }
        }
    }

    func release() {
        _ = Glibc.close(descriptor)
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
