import ArgumentParser
import Foundation
import GoogLeNet

/// `framewise model import|fetch|info`: installing the model and describing it.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install GoogLeNet (from a directory or by download) and show what is installed.",
        subcommands: [ModelImportCommand.self, ModelFetchCommand.self, ModelInfoCommand.self]
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
        abstract: "Print the model's path, SHA-256, parameter count and multiply-adds per image."
    )

    @OptionGroup var model: ModelOption

    func run() async throws {
        try await exitingOnError {
            let loaded = try model.load()
            print("path:        \(loaded.directory.onnxPath)")
            print("labels:      \(loaded.directory.labelsPath)")
            print("sha256:      \(loaded.sha256)")
            print("parameters:  \(loaded.weights.parameterCount)")
            print(String(format: "GMACs/image: %.3f", Double(GoogLeNetArchitecture.multiplyAccumulates) / 1e9))
        }
    }
}
