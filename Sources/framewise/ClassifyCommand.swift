import ArgumentParser
import Foundation
import GoogLeNet
import Pipeline
import VideoDecoding

/// `framewise classify IMAGE...`: the top-K ImageNet classes of each picture.
struct ClassifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify pictures (PNG, JPEG, ...) with GoogLeNet and print the top classes."
    )

    @OptionGroup var model: ModelOption
    @OptionGroup var precision: PrecisionOption

    @Option(help: "How many classes to print per picture.")
    var top = 5

    @Flag(help: "Print one JSON object per picture: {\"input\", \"top\": [{\"class\", \"label\", \"score\"}]}.")
    var json = false

    @Flag(help: "Also print each picture's 1024 pool5 features (the classifier's input) as \"features\" in its JSON object (implies --json).")
    var features = false

    @Argument(help: "The pictures.")
    var images: [String]

    func validate() throws {
        guard (1...GoogLeNetArchitecture.classCount).contains(top) else {
            throw ValidationError("--top must be between 1 and \(GoogLeNetArchitecture.classCount)")
        }
        guard !images.isEmpty else { throw ValidationError("name at least one picture") }
    }

    func run() async throws {
        try await exitingOnError {
            let loaded = try model.load()
            let engine = try GoogLeNetEngine(weights: precision.prepare(loaded))
            var failures = 0
            for image in images {
                let best: [RankedClass]
                var pool5: [Float] = []
                do {
                    let input = try StillImage.networkInput(contentsOf: image, spec: .googLeNet)
                    if features {
                        let answer = try engine.classifyWithFeatures(batch: [input])[0]
                        best = topClasses(top, of: answer.probabilities)
                        pool5 = answer.features
                    } else {
                        best = topClasses(top, of: try engine.classify(input))
                    }
                } catch {
                    // One bad picture does not stop the others; the exit status still says it failed.
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    failures += 1
                    continue
                }
                if json || features {
                    var fields: [String: Any] = [
                        "input": image,
                        "top": best.map { ["class": $0.classIndex, "label": loaded.labels[$0.classIndex],
                                           "score": Double($0.probability)] as [String: Any] },
                    ]
                    if features { fields["features"] = pool5.map(Double.init) }
                    print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]),
                                 as: UTF8.self))
                } else {
                    print(image)
                    for ranked in best {
                        print(String(format: "  %6.4f  ", ranked.probability) + "\(loaded.labels[ranked.classIndex]) (\(ranked.classIndex))")
                    }
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }
}
