import ArgumentParser
import Foundation
import GoogLeNet
import Pipeline
import VideoDecoding

/// `framewise bench agreement VIDEO...`: how often bf16 and int8 give fp32's answer on real frames, or (with
/// `--decoding`) how often frames decoded with shortcuts give the answer of fully decoded ones.
struct BenchAgreementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Compare bf16 and int8 with fp32 on real frames: top-1 agreement, fp32's top-1 within the top 5.",
        discussion: """
            With --decoding MODE, fp32 answers on frames decoded with MODE are compared with those on fully decoded
            frames instead, in all and by the number of frames since the last key frame.
            """
    )

    @OptionGroup var model: ModelOption

    @Option(help: "Use every Nth frame of each video.")
    var every = 2

    @Option(help: "Use X frames per second of each video instead of every Nth frame.")
    var fps: Double?

    @Option(help: "Compare this decoding (skip-loop-filter, skip-nonref with --fps, or both joined by +) with full decoding, at fp32.")
    var decoding: String?

    @Option(help: "Stop after this many frames over all inputs.")
    var frames = 2000

    @Option(parsing: .upToNextOption, help: "Precisions to compare with fp32 (default: bf16 and int8 where available).")
    var precisions: [Precision] = []

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Argument(help: "Video files, pictures or stream URLs.")
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("name at least one input") }
        guard every >= 1, frames >= 1 else { throw ValidationError("--every and --frames must be at least 1") }
    }

    func run() async throws {
        try await exitingOnError {
            if let fps { _ = try checked(fps, "--fps", OptionLimits.fps) }
            if let decoding { try measure(decodingShortcuts(decoding, "--decoding")) } else { try measure() }
        }
    }

    private var sampling: SamplingPolicy { fps.map { .framesPerSecond($0) } ?? .everyNth(every) }

    private var samplingText: String { fps.map { "\($0) frames per second" } ?? "every \(every). frame" }

    private func measure() throws {
        let loaded = try model.load()
        var compared: [(Precision, EngineNumerics)] = []
        for precision in precisions.isEmpty ? [.bf16, .int8] : precisions where precision != .fp32 {
            do {
                compared.append((precision, try loaded.numerics(for: precision)))
            } catch where precisions.isEmpty {
                FileHandle.standardError.write(Data("skipping \(precision): \(error)\n".utf8))
            }
        }
        guard !compared.isEmpty else { throw ValidationFailure("no precision to compare with fp32 here") }
        let collected = try RealFrames.collect(inputs, total: frames, sampling: sampling)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let reference = try GoogLeNetEngine(weights: PreparedWeights(loaded.weights), threads: threads)
        let fp32 = try collected.images.map { try reference.classify($0) }

        var results: [[String: Any]] = []
        var tallies: [AgreementTally] = []
        for (precision, numerics) in compared {
            let engine = try GoogLeNetEngine(weights: PreparedWeights(loaded.weights, numerics: numerics), threads: threads)
            var tally = AgreementTally()
            for (image, expected) in zip(collected.images, fp32) {
                tally.add(expected: expected, actual: try engine.classify(image))
            }
            results.append(["precision": precision.rawValue] + tally.fields)
            tallies.append(tally)
        }
        if json {
            let fields: [String: Any] = ["frames": collected.images.count, "sampling": samplingText, "inputs": collected.inputs,
                                         "results": results]
            print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(collected.images.count) frames (\(samplingText) of \(collected.inputs.joined(separator: ", "))) against fp32:")
        for (result, tally) in zip(results, tallies) {
            print("  \(result["precision"]!): " + tally.summary)
        }
    }
}

extension BenchAgreementCommand {
    /// Buckets of frames since the last key frame: the error of a skipped loop filter drifts along a GOP.
    private static let distanceBuckets: [ClosedRange<Int64>] = [0...0, 1...25, 26...50, 51...100, 101...150, 151...200,
                                                                 201...Int64.max]

    /// fp32's answers on frames decoded with `shortcuts` against those on the same sampling slots decoded in
    /// full: a slot is a frame index (every Nth) or a 1/fps slice (with skip-nonref the kept frame may differ).
    private func measure(_ shortcuts: DecodingShortcuts) throws {
        let loaded = try model.load()
        let full = try RealFrames.collect(inputs, total: frames, sampling: sampling)
        let shortened = try RealFrames.collect(inputs, total: frames, sampling: sampling, shortcuts: shortcuts)
        let engine = try GoogLeNetEngine(weights: PreparedWeights(loaded.weights), threads: ProcessInfo.processInfo.activeProcessorCount)
        func slot(_ origin: (input: Int, frameIndex: Int64, pts: Double, keyFrameDistance: Int64?)) -> [Int64] {
            [Int64(origin.input), fps.map { Int64((origin.pts * $0 + 1e-6).rounded(.down)) } ?? origin.frameIndex]
        }
        var fullBySlot: [[Int64]: Int] = [:]
        for (position, origin) in full.origins.enumerated() { fullBySlot[slot(origin)] = position }
        var tally = AgreementTally()
        var buckets = Array(repeating: AgreementTally(), count: Self.distanceBuckets.count)
        for (image, origin) in zip(shortened.images, shortened.origins) {
            guard let match = fullBySlot[slot(origin)] else { continue }
            let expected = try engine.classify(full.images[match]), actual = try engine.classify(image)
            tally.add(expected: expected, actual: actual)
            if let distance = full.origins[match].keyFrameDistance,
               let bucket = Self.distanceBuckets.firstIndex(where: { $0.contains(distance) }) {
                buckets[bucket].add(expected: expected, actual: actual)
            }
        }
        let byDistance = zip(Self.distanceBuckets, buckets).filter { $1.frames > 0 }.map { range, bucket in
            ["from": range.lowerBound, "to": range.upperBound == .max ? -1 : range.upperBound] + bucket.fields
        }
        if json {
            let fields: [String: Any] = ["decoding": shortcuts.description, "sampling": samplingText, "inputs": full.inputs,
                                         "frames_full": full.images.count, "frames_decoded_with_shortcuts": shortened.images.count,
                                         "result": tally.fields, "by_key_frame_distance": byDistance]
            print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(tally.frames) frame pairs (\(samplingText) of \(full.inputs.joined(separator: ", "))), fp32, "
              + "decoded \(shortcuts) against full:")
        print("  " + tally.summary)
        print("  by frames since the last key frame:")
        for bucket in byDistance {
            let to = bucket["to"] as! Int64
            print("    \(bucket["from"]!)\(to < 0 ? "+" : "-\(to)"): \(bucket["frames"]!) frames, top-1 agreement "
                  + String(format: "%.2f%%", (bucket["top1_agreement"] as! Double) * 100))
        }
    }
}

/// Counts of agreement between fp32's probabilities and another precision's, frame by frame.
struct AgreementTally {
    private(set) var frames = 0, sameTop1 = 0, inTop5 = 0, confident = 0, confidentSame = 0

    mutating func add(expected: [Float], actual: [Float]) {
        let expectedTop = topClasses(1, of: expected[...])[0]
        let actualTop5 = topClasses(5, of: actual[...]).map(\.classIndex)
        frames += 1
        if actualTop5.first == expectedTop.classIndex { sameTop1 += 1 }
        if actualTop5.contains(expectedTop.classIndex) { inTop5 += 1 }
        if expectedTop.probability >= 0.5 {
            confident += 1
            if actualTop5.first == expectedTop.classIndex { confidentSame += 1 }
        }
    }

    /// The figures in one line of text.
    var summary: String {
        String(format: "top-1 agreement %.2f%%, fp32 top-1 in top-5 %.2f%%, confident frames (fp32 top-1 >= 0.5) %.2f%% of %d",
               Double(sameTop1) / Double(max(frames, 1)) * 100, Double(inTop5) / Double(max(frames, 1)) * 100,
               Double(confidentSame) / Double(max(confident, 1)) * 100, confident)
    }

    var fields: [String: Any] {
        ["frames": frames, "top1_agreement": Double(sameTop1) / Double(max(frames, 1)),
         "fp32_top1_in_top5": Double(inTop5) / Double(max(frames, 1)), "confident_frames": confident,
         "confident_agreement": Double(confidentSame) / Double(max(confident, 1))]
    }
}

private func + (lhs: [String: Any], rhs: [String: Any]) -> [String: Any] { lhs.merging(rhs) { $1 } }
