import ArgumentParser
import Foundation
import LabelStore
import Synchronization

/// `framewise bench sink`: the label store alone, fed synthetic frames with five labels each.
struct BenchSinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Measure how many frames per second the sink stores (5 labels each), on SQLite or PostgreSQL.",
        discussion: """
            Frames already stored in the database are skipped, so a killed benchmark resumes where it stopped.
            --writers N stores into N sources at once, one writer (thread) each, as N inputs of one process do;
            the figure is all writers' frames over the wall time.
            Without --db the benchmark writes to a temporary file and deletes it afterwards; with a postgres:// URL
            it measures a temporary SQLite file first and prints both figures.
            """
    )

    /// The synthetic source of writer `number` (0, 1, ...).
    static func source(_ number: Int) -> SourceDescriptor {
        SourceDescriptor(uri: number == 0 ? "synthetic://bench-sink" : "synthetic://bench-sink/\(number + 1)", kind: .file)
    }
    /// Synthetic frames are every 5th frame of a 30 fps stream.
    static let frameStride: Int64 = 5
    static let framesPerSecond = 30.0

    @Option(help: "How many frames to store (over all writers).")
    var frames = 200_000

    @Option(help: "Writers storing at once, each into a source of its own.")
    var writers = 1

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
        var writers: Int
        var stored: Int
        var skipped: Int
        var seconds: Double
        var framesPerSecond: Double { seconds > 0 ? Double(stored) / seconds : 0 }
    }

    func run() async throws {
        guard frames > 0 else { throw ValidationError("--frames must be positive") }
        guard (1...64).contains(writers) else { throw ValidationError("--writers must be between 1 and 64") }
        try await exitingOnError {
            switch try db.map({ try LabelDatabaseLocation($0) }) {
            case nil:
                report(try measureTemporarySQLite(), comparison: nil)
            case .sqlite(let path)?:
                report(try measure(LabelStore(path: path), database: path), comparison: nil)
            case .postgres(let location)?:
                let sqlite = try measureTemporarySQLite()
                report(try measure(LabelStore(postgres: location), database: location.description), comparison: sqlite)
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

    private func measure(_ store: LabelStore, database: String) throws -> Measurement {
        defer { try? store.close() }
        try store.storeClasses((0..<1000).map {
            ClassLabel(index: $0, wnid: String(format: "n%08d", $0), label: "class \($0)", names: "class \($0)")
        })
        // Writer w stores frames w, w + N, w + 2N, ... into its own source.
        let lanes = try (0..<writers).map { number in
            let source = try store.register(source: Self.source(number)).id
            let run = try store.beginRun(RunSettings(
                source: source, precision: "synthetic", sampling: "every 5th frame", modelSHA256: "none"))
            return (run: run, alreadyStored: try store.storedFrameIndices(of: source), writer: try store.makeWriter(run: run))
        }
        let failure = Mutex<(any Error)?>(nil)
        let start = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: writers) { number in
            let lane = lanes[number]
            do {
                for frame in stride(from: Int64(number), to: Int64(frames), by: writers)
                where !lane.alreadyStored.contains(frame * Self.frameStride) {
                    try lane.writer.append(Self.syntheticFrame(frame))
                }
                try lane.writer.close()
            } catch {
                failure.withLock { $0 = $0 ?? error }
            }
        }
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        if let error = failure.withLock({ $0 }) { throw error }
        for (number, lane) in lanes.enumerated() {
            let planned = (frames - number + writers - 1) / writers
            try store.finishRun(lane.run, status: .completed, counts: RunCounts(
                decoded: planned, sampled: planned, labeled: lane.writer.committed.stored,
                skipped: planned - lane.writer.committed.stored))
        }
        return Measurement(database: database, writers: writers, stored: lanes.reduce(0) { $0 + $1.writer.committed.stored },
                           skipped: lanes.reduce(0) { $0 + $1.alreadyStored.count }, seconds: elapsed)
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
                print("sink \(measurement.database): \(measurement.writers) writer(s) stored \(measurement.stored) frames (5 labels each, "
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
            + #""frames_skipped":\#(measurement.skipped),"labels_per_frame":5,"writers":\#(measurement.writers),"seconds":\#(measurement.seconds),"#
            + #""frames_per_second":\#(measurement.framesPerSecond.rounded())"#
    }

    private static func jsonString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
