import ArgumentParser
import Foundation
import LabelStore

/// `framewise bench sink`: the label store alone, fed synthetic frames with five labels each.
struct BenchSinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Measure how many frames per second the sink stores (5 labels each), on SQLite or PostgreSQL.",
        discussion: """
            Frames already stored in the database are skipped, so a killed benchmark resumes where it stopped.
            Without --db the benchmark writes to a temporary file and deletes it afterwards; with a postgres:// URL
            it measures a temporary SQLite file first and prints both figures.
            """
    )

    /// The synthetic source all benchmark frames belong to.
    static let source = SourceDescriptor(uri: "synthetic://bench-sink", kind: .file)
    /// Synthetic frames are every 5th frame of a 30 fps stream.
    static let frameStride: Int64 = 5
    static let framesPerSecond = 30.0

    @Option(help: "How many frames to store.")
    var frames = 200_000

    @Option(help: """
        Database to write (kept afterwards): an SQLite file or a postgres:// URL. Default: a temporary SQLite \
        file. With a postgres:// URL a temporary SQLite file is measured first, for comparison.
        """)
    var db: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    /// What one database did.
    struct Measurement {
        var database: String
        var stored: Int
        var skipped: Int
        var seconds: Double
        var framesPerSecond: Double { seconds > 0 ? Double(stored) / seconds : 0 }
    }

    func run() async throws {
        guard frames > 0 else { throw ValidationError("--frames must be positive") }
        try await exitingOnError {
            switch try db.map({ try LabelDatabaseLocation($0) }) {
            case nil:
                report(try measureTemporarySQLite(), comparison: nil)
            case .sqlite(let path)?:
                report(try measure(LabelStore(path: path), database: path), comparison: nil)
            case .postgres(let location)?:
                let sqlite = try measureTemporarySQLite()
                report(try measure(PostgresLabelStore(location: location), database: location.description), comparison: sqlite)
            }
        }
    }

    private func measureTemporarySQLite() throws -> Measurement {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("framewise-bench-sink-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bench.sqlite").path
        return try measure(LabelStore(path: path), database: "SQLite (temporary file)")
    }

    private func measure(_ store: any LabelDatabase, database: String) throws -> Measurement {
        try store.storeClasses((0..<1000).map {
            ClassLabel(index: $0, wnid: String(format: "n%08d", $0), label: "class \($0)", names: "class \($0)")
        })
        let source = try store.register(source: Self.source).id
        let alreadyStored = try store.storedFrameIndices(of: source)
        let run = try store.beginRun(RunSettings(
            source: source, precision: "synthetic", sampling: "every 5th frame", modelSHA256: "none"))
        let writer = try store.makeWriter(run: run)

        let start = ContinuousClock.now
        for number in 0..<Int64(frames) where !alreadyStored.contains(number * Self.frameStride) {
            try writer.append(Self.syntheticFrame(number))
        }
        try writer.close()
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        let stored = writer.committed.stored
        try store.finishRun(run, status: .completed, counts: RunCounts(
            decoded: frames, sampled: frames, labeled: stored, skipped: frames - stored))
        return Measurement(database: database, stored: stored, skipped: alreadyStored.count, seconds: elapsed)
    }

    /// Frame `number`: the top-1 class changes every 40 frames, the other four follow from it.
    static func syntheticFrame(_ number: Int64) -> StoredFrame {
        let first = Int((number / 40) * 7919 % 1000)
        let scores: [Float] = [0.6, 0.2, 0.1, 0.05, 0.02]
        return StoredFrame(
            frameIndex: number * frameStride,
            pts: Double(number * frameStride) / framesPerSecond,
            capturedAt: nil,
            top: scores.enumerated().map { rank, score in
                ClassScore(classIndex: (first + rank * 97) % 1000, score: score)
            })
    }

    private func report(_ measured: Measurement, comparison: Measurement?) {
        if json {
            print("{" + Self.jsonFields(measured) + (comparison.map { #","sqlite":{"# + Self.jsonFields($0) + "}" } ?? "") + "}")
        } else {
            for measurement in [comparison, measured].compactMap({ $0 }) {
                print("sink \(measurement.database): stored \(measurement.stored) frames (5 labels each, "
                    + "\(measurement.skipped) already stored) in "
                    + String(format: "%.2f s: %.0f frames/s", measurement.seconds, measurement.framesPerSecond))
            }
            if let comparison, comparison.framesPerSecond > 0 {
                print(String(format: "ratio: %.2f× SQLite's frames/s", measured.framesPerSecond / comparison.framesPerSecond))
            }
        }
    }

    private static func jsonFields(_ measurement: Measurement) -> String {
        #""database":\#(jsonString(measurement.database)),"frames_stored":\#(measurement.stored),"#
            + #""frames_skipped":\#(measurement.skipped),"labels_per_frame":5,"seconds":\#(measurement.seconds),"#
            + #""frames_per_second":\#(measurement.framesPerSecond.rounded())"#
    }

    private static func jsonString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
