import ArgumentParser
import Foundation
import GoogLeNet

/// `framewise bench agreement VIDEO...`: how often bf16 and int8 give fp32's answer on real frames.
struct BenchAgreementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Compare bf16 and int8 with fp32 on real frames: top-1 agreement, fp32's top-1 within the top 5."
    )

    @OptionGroup var model: ModelOption

    @Option(help: "Use every Nth frame of each video.")
    var every = 2

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
        try await exitingOnError { try measure() }
    }

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
        let collected = try RealFrames.collect(inputs, total: frames, every: every)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let reference = try GoogLeNetEngine(weights: PreparedWeights(loaded.weights), threads: threads)
        let fp32 = try collected.images.map { try reference.classify($0) }

        var results: [[String: Any]] = []
        for (precision, numerics) in compared {
            let engine = try GoogLeNetEngine(weights: PreparedWeights(loaded.weights, numerics: numerics), threads: threads)
            var tally = AgreementTally()
            for (image, expected) in zip(collected.images, fp32) {
                tally.add(expected: expected, actual: try engine.classify(image))
            }
            results.append(["precision": precision.rawValue] + tally.fields)
        }
        if json {
            let fields: [String: Any] = ["frames": collected.images.count, "every": every, "inputs": collected.inputs,
                                         "results": results]
            print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(collected.images.count) frames (every \(every). frame of \(collected.inputs.joined(separator: ", "))) against fp32:")
        for result in results {
            print(String(format: "  %@: top-1 agreement %.2f%%, fp32 top-1 in top-5 %.2f%%, confident frames (fp32 top-1 >= 0.5) %.2f%% of %d",
                         result["precision"] as! String, (result["top1_agreement"] as! Double) * 100,
                         (result["fp32_top1_in_top5"] as! Double) * 100, (result["confident_agreement"] as! Double) * 100,
                         result["confident_frames"] as! Int))
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

    var fields: [String: Any] {
        ["frames": frames, "top1_agreement": Double(sameTop1) / Double(max(frames, 1)),
         "fp32_top1_in_top5": Double(inTop5) / Double(max(frames, 1)), "confident_frames": confident,
         "confident_agreement": Double(confidentSame) / Double(max(confident, 1))]
    }
}

private func + (lhs: [String: Any], rhs: [String: Any]) -> [String: Any] { lhs.merging(rhs) { $1 } }
