import ArgumentParser
import Foundation
import LabelStore

/// `framewise bench sink`: the label store alone, fed synthetic frames with five labels each.
struct BenchSinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Measure how many frames per second the SQLite sink stores (5 labels each).",
        discussion: """
            Frames already stored in the database are skipped, so a killed benchmark resumes where it stopped.
            Without --db the benchmark writes to a temporary file and deletes it afterwards.
            """
    )

    /// The synthetic source all benchmark frames belong to.
    static let source = SourceDescriptor(uri: "synthetic://bench-sink", kind: .file)
    /// Synthetic frames are every 5th frame of a 30 fps stream.
    static let frameStride: Int64 = 5
    static let framesPerSecond = 30.0

    @Option(help: "How many frames to store.")
    var frames = 200_000

    @Option(help: "Database file to write (kept afterwards). Default: a temporary file.")
    var db: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() async throws {
        guard frames > 0 else { throw ValidationError("--frames must be positive") }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("framewise-bench-sink-\(ProcessInfo.processInfo.processIdentifier)")
        if db == nil { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        defer { if db == nil { try? FileManager.default.removeItem(at: directory) } }
        let path = db ?? directory.appendingPathComponent("bench.sqlite").path

        try await exitingOnError {
            let store = try LabelStore(path: path)
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
            report(stored: stored, skipped: alreadyStored.count, seconds: elapsed)
        }
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

    private func report(stored: Int, skipped: Int, seconds: Double) {
        let rate = seconds > 0 ? Double(stored) / seconds : 0
        if json {
            print(#"{"frames_stored":\#(stored),"frames_skipped":\#(skipped),"labels_per_frame":5,"#
                + #""seconds":\#(seconds),"frames_per_second":\#(rate.rounded())}"#)
        } else {
            print("sink: stored \(stored) frames (5 labels each, \(skipped) already stored) in "
                + String(format: "%.2f s: %.0f frames/s", seconds, rate))
        }
    }
}
