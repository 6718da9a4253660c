import ArgumentParser
import Foundation
import GoogLeNet

/// `framewise model calibrate INPUT...`: measures activation ranges on real frames and writes the model's int8
/// calibration file (`calibration-int8.json`, tied to the model's SHA-256) into the model directory.
struct ModelCalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate int8 on real frames (videos, pictures, streams) and store the result in the model directory."
    )

    @OptionGroup var model: ModelOption

    @Option(help: "Frames to use, spread over the inputs (a picture is one frame).")
    var frames = 256

    @Argument(help: "Video files, pictures or stream URLs with content like what will be labelled.")
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("name at least one input") }
        guard (1...100_000).contains(frames) else { throw ValidationError("--frames must be between 1 and 100000") }
    }

    func run() async throws {
        try await exitingOnError {
            let loaded = try model.load()
            try CPUSupport.require(.int8)
            let collected = try RealFrames.collect(inputs, total: frames)
            let calibration = try Calibrator(weights: loaded.weights, threads: ProcessInfo.processInfo.activeProcessorCount)
                .calibrate(collected.images, modelSHA256: loaded.sha256, inputs: collected.inputs)
            try calibration.write(directory: loaded.directory.path)
            let agreement = calibration.agreement.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.1f%%", $0.key, $0.value * 100) }.joined(separator: ", ")
            print("calibrated int8 on \(calibration.frames) frames: kept \(calibration.method) ranges "
                + "(top-1 agreement with fp32 on these frames: \(agreement))")
            print("wrote \(loaded.directory.path)/\(Calibration.fileName)")
        }
    }
}
