import ArgumentParser
import GoogLeNet

extension Precision: ExpressibleByArgument {}

/// `--precision fp32|bf16|int8`: the number format the engines compute in (int8 needs `framewise model calibrate`).
struct PrecisionOption: ParsableArguments {
    @Option(help: "Compute in fp32, bf16 (CPUs with AVX512_BF16) or int8 (after `framewise model calibrate`).")
    var precision: Precision = .fp32

    /// The model's weights prepared for this precision; one clear error when the CPU or the model directory
    /// cannot provide it.
    func prepare(_ model: LoadedModelFiles) throws -> PreparedWeights {
        PreparedWeights(model.weights, numerics: try model.numerics(for: precision))
    }
}
