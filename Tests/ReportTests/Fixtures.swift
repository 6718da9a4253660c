import Foundation
import FramewiseTestSupport
import LabelStore
import Report
import Testing
@testable import VideoDecoding

/// JPEG thumbnails of the frames `indices` of a video file, made as the sink will: each decoded frame scaled
/// by `ThumbnailScaler`, encoded by `ThumbnailEncoder` (the real FFmpeg path, no made-up bytes).
func encodedThumbnails(of path: String, frames indices: Set<Int64>) throws -> [Int64: StoredThumbnail] {
    let session = try MediaSession(input: InputLocation(path), options: DecoderOptions(),
                                   deadline: InterruptDeadline(cancellation: ReaderCancellation()))
    let encoder = ThumbnailEncoder()
    var thumbnails: [Int64: StoredThumbnail] = [:]
    while thumbnails.count < indices.count, let decoded = try session.nextFrame() {
        guard indices.contains(decoded.position) else { continue }
        let (picture, jpeg) = try encoder.jpeg(of: decoded.frame)
        thumbnails[decoded.position] = StoredThumbnail(width: picture.width, height: picture.height, jpeg: jpeg)
    }
    return thumbnails
}

/// Rows of a read-only query as dictionaries (column name → value).
func rows(_ database: String, _ sql: String) throws -> [[String: QueryValue]] {
    final class Collector: ResultSink {
        var columns: [String] = []
        var rows: [[String: QueryValue]] = []
        func begin(columns: [String]) { self.columns = columns }
        func write(row: [QueryValue]) { rows.append(Dictionary(uniqueKeysWithValues: zip(columns, row))) }
        func end() {}
    }
    let collector = Collector()
    try ReadOnlyDatabase(path: database).run(sql, into: collector)
    return collector.rows
}

extension QueryValue {
    var integer: Int64? { if case .integer(let value) = self { value } else { nil } }
    var real: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

/// The ImageNet classes of the model in ../shared (synset_words.txt), as the store keeps them.
func modelClasses() throws -> [ClassLabel] {
    let text = try String(contentsOf: TestData.modelDirectory.appendingPathComponent("synset_words.txt"), encoding: .utf8)
    return text.split(separator: "\n").enumerated().map { index, line in
        let wnid = String(line.prefix { $0 != " " })
        let names = String(line.dropFirst(wnid.count + 1))
        return ClassLabel(index: index, wnid: wnid, label: String(names.prefix { $0 != "," }), names: names)
    }
}

/// The pictures inlined in a page: each `data:image/jpeg;base64,` URI decoded.
func inlinedJPEGs(in html: String) -> [Data] {
    html.components(separatedBy: "data:image/jpeg;base64,").dropFirst().compactMap { part in
        Data(base64Encoded: String(part.prefix { $0 != "\"" }))
    }
}

/// `ffprobe`'s codec, width and height of a picture file, e.g. "mjpeg,320,213".
func probe(_ jpeg: Data, in directory: TemporaryDirectory) throws -> String {
    let path = directory.path("probe-\(UUID().uuidString).jpg")
    try jpeg.write(to: URL(fileURLWithPath: path))
    let result = try runCommand(URL(fileURLWithPath: "/usr/bin/ffprobe"), [
        "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", path,
    ])
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The coffee-then-moped clip of the pipeline tests, labelled once by `framewise run --every 50` (a frame every 2 s) with the real
/// model; the sink keeps a thumbnail of the first frame of each top-1 segment (`--thumbnails segments`, the default).
final class LabelledClip: Sendable {
    let directory: TemporaryDirectory
    let clip: String
    let database: String

    /// Made once for every test that needs it (labelling takes a while).
    static let shared = Result { try LabelledClip() }

    private init() throws {
        directory = try TemporaryDirectory(prefix: "framewise-report")
        clip = directory.path("coffee-moped.mp4")
        database = directory.path("labels.sqlite")
        try makeCoffeeThenMoped(clip)
        try runFramewise(["run", "--quiet", "--model", TestData.modelDirectory.path, "--db", database, "--every", "50", clip])
    }
}
