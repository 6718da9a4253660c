import ArgumentParser
import Foundation
import GoogLeNet

/// `framewise model import|fetch|info|calibrate`: installing the model, describing it, calibrating it for int8.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install GoogLeNet (from a directory or by download) and show what is installed.",
        subcommands: [ModelImportCommand.self, ModelFetchCommand.self, ModelInfoCommand.self, ModelCalibrateCommand.self]
    )
}

/// Where `model import` and `model fetch` install: `--to DIR`, else `$FRAMEWISE_MODEL_DIR`, else the user's data directory.
struct InstallTarget: ParsableArguments {
    @Option(name: .customLong("to"), help: "Install here instead of $FRAMEWISE_MODEL_DIR or ~/.local/share/framewise/models/googlenet.")
    var directory: String?

    var installer: ModelInstaller { ModelInstaller(target: directory ?? ModelDirectory.defaultPath()) }
}

struct ModelImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Check a model directory (an .onnx file and synset_words.txt) by loading it, then install it."
    )

    @Argument(help: "The directory holding the ONNX file and the labels.")
    var path: String

    @OptionGroup var target: InstallTarget

    func run() async throws {
        try await exitingOnError {
            let installed = try target.installer.importModel(from: path)
            print("installed \(installed.directory.onnxPath) (sha256 \(installed.sha256))")
        }
    }
}

struct ModelFetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download GoogLeNet (ONNX Model Zoo) and its labels, check them by loading, then install them."
    )

    @Option(help: "The ONNX file to download.")
    var url = ModelInstaller.zooModelURL.absoluteString

    @Option(help: "The labels file (synset order, `wnid name, ...` per line) to download.")
    var labelsURL = ModelInstaller.zooLabelsURL.absoluteString

    @OptionGroup var target: InstallTarget

    func run() async throws {
        try await exitingOnError {
            guard let modelURL = URL(string: url), let labelsURL = URL(string: labelsURL) else {
                throw ValidationError("not a URL: \(URL(string: url) == nil ? url : labelsURL)")
            }
            let installed = try await target.installer.fetch(modelURL: modelURL, labelsURL: labelsURL)
            print("installed \(installed.directory.onnxPath) (sha256 \(installed.sha256))")
        }
    }
}

struct ModelInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the model's path, SHA-256, size, the precisions it runs at here, and (--layers) the paper's Table 1."
    )

    @OptionGroup var model: ModelOption

    @Flag(help: "Print the layers as the paper's Table 1, computed from the architecture, with totals.")
    var layers = false

    func run() async throws {
        try await exitingOnError {
            if layers {
                ArchitectureTablePrinter.print()
                return
            }
            let loaded = try model.load()
            print("path:        \(loaded.directory.onnxPath)")
            print("labels:      \(loaded.directory.labelsPath)")
            print("sha256:      \(loaded.sha256)")
            print("parameters:  \(loaded.weights.parameterCount)")
            print(String(format: "GMACs/image: %.3f", Double(GoogLeNetArchitecture.multiplyAccumulates) / 1e9))
            print("cpu:         \(CPUSupport.instructionSet) (oneDNN)")
            for precision in Precision.allCases {
                print("\(precision):        " + availability(of: precision, in: loaded))
            }
        }
    }

    private func availability(of precision: Precision, in loaded: LoadedModelFiles) -> String {
        do {
            switch try loaded.numerics(for: precision) {
            case .fp32, .bf16: return "available"
            case .int8(let calibration):
                let agreement = calibration.agreement[calibration.method].map { String(format: ", top-1 agreement with fp32 %.1f%%", $0 * 100) } ?? ""
                return "available (calibrated \(calibration.createdAt) from \(calibration.frames) frames of "
                    + "\(calibration.inputs.joined(separator: ", ")); ranges: \(calibration.method)\(agreement))"
            }
        } catch {
            return "unavailable: \(error)"
        }
    }
}

/// Prints `GoogLeNetArchitecture.table` in the paper's columns, with totals and what the 1×1 reductions save.
enum ArchitectureTablePrinter {
    static func print() {
        func cell(_ value: Int?) -> String { value.map(String.init) ?? "" }
        func kilo(_ value: Int) -> String { value == 0 ? "" : String(format: "%.1fK", Double(value) / 1024) }
        func mega(_ value: Int) -> String { value == 0 ? "" : String(format: "%.1fM", Double(value) / 1e6) }
        let header = ["type", "patch/stride", "output size", "depth", "#1×1", "#3×3 reduce", "#3×3", "#5×5 reduce", "#5×5",
                      "pool proj", "params", "MACs"]
        let rows = GoogLeNetArchitecture.table.map { row in
            ["\(row.type) \(row.name)", row.patchSizeStride,
             "\(row.output.height)×\(row.output.width)×\(row.output.channels)", "\(row.depth)",
             cell(row.oneByOne), cell(row.threeByThreeReduce), cell(row.threeByThree), cell(row.fiveByFiveReduce),
             cell(row.fiveByFive), cell(row.poolProjection), kilo(row.parameters), mega(row.multiplyAccumulates)]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        for line in [header] + rows {
            Swift.print(line.enumerated().map { column, text in
                column == 0 ? text.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - text.count) + text
            }.joined(separator: "  "))
        }
        let table = GoogLeNetArchitecture.table
        let weights = table.reduce(0) { $0 + $1.parameters }
        let macs = table.reduce(0) { $0 + $1.multiplyAccumulates }
        Swift.print(String(format: "total: %d weights (%.2fM; biases not counted, as in the paper), %.3f GMACs per image",
                           weights, Double(weights) / 1e6, Double(macs) / 1e9))
        let savings = GoogLeNetArchitecture.inceptionReductionSavings
        Swift.print(String(format: "1×1 reductions: the Inception modules need %.3f GMACs; without them (3×3 and 5×5 on the module's input) %.3f GMACs, %.1f× as many",
                           Double(savings.withReductions) / 1e9, Double(savings.withoutReductions) / 1e9,
                           Double(savings.withoutReductions) / Double(savings.withReductions)))
    }
}
