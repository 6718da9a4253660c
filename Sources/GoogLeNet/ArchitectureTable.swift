/// The paper's Table 1 computed from `GoogLeNetArchitecture.layers`: one row per layer, with the paper's columns.
/// Parameters count weights only (no biases), as the paper does; MACs are multiply-accumulates per image.
package struct ArchitectureTableRow: Sendable, Equatable {
    package var name: String
    /// "convolution", "max pool", "inception", "avg pool", "dropout (40%)", "linear", "softmax", ...
    package var type: String
    /// "7×7/2"; empty where the paper leaves it empty.
    package var patchSizeStride: String
    package var output: FeatureShape
    package var depth: Int
    package var oneByOne: Int?
    package var threeByThreeReduce: Int?
    package var threeByThree: Int?
    package var fiveByFiveReduce: Int?
    package var fiveByFive: Int?
    package var poolProjection: Int?
    package var parameters: Int
    package var multiplyAccumulates: Int
}

extension GoogLeNetArchitecture {
    /// Table 1's rows. The paper draws conv2 (1×1 reduce then 3×3) as one row of depth 2, and leaves LRN and the
    /// auxiliary classifiers out; so does this table.
    package static var table: [ArchitectureTableRow] {
        var rows: [ArchitectureTableRow] = []
        var shape = input
        var pendingReduce: (conv: Convolution, input: FeatureShape)?
        for layer in layers where !(layer.isAuxiliaryClassifier) {
            let output = layer.outputShape(input: shape)
            defer { shape = output }
            let weights = layer.parameters(input: shape).filter { $0.name.hasSuffix("_w_0") }.reduce(0) { $0 + $1.elementCount }
            let macs = layer.multiplyAccumulates(input: shape)
            switch layer {
            case .convolution(let conv) where conv.kernel == 1 && layer.name.hasPrefix("conv2/"):
                pendingReduce = (conv, shape)
            case .convolution(let conv):
                var row = ArchitectureTableRow(name: conv.name, type: "convolution", patchSizeStride: "\(conv.kernel)×\(conv.kernel)/\(conv.stride)",
                                               output: output, depth: 1, parameters: weights, multiplyAccumulates: macs)
                if let reduce = pendingReduce {
                    let reduceLayer = Layer.convolution(reduce.conv)
                    row.depth = 2
                    row.threeByThreeReduce = reduce.conv.outputChannels
                    row.threeByThree = conv.outputChannels
                    row.parameters += reduceLayer.parameters(input: reduce.input).filter { $0.name.hasSuffix("_w_0") }
                        .reduce(0) { $0 + $1.elementCount }
                    row.multiplyAccumulates += reduceLayer.multiplyAccumulates(input: reduce.input)
                    pendingReduce = nil
                }
                rows.append(row)
            case .maxPool(let pool), .averagePool(let pool):
                let kind = if case .maxPool = layer { "max pool" } else { "avg pool" }
                rows.append(ArchitectureTableRow(name: pool.name, type: kind, patchSizeStride: "\(pool.kernel)×\(pool.kernel)/\(pool.stride)",
                                                 output: output, depth: 0, parameters: 0, multiplyAccumulates: 0))
            case .inception(let module):
                rows.append(ArchitectureTableRow(
                    name: module.name, type: "inception", patchSizeStride: "", output: output, depth: 2,
                    oneByOne: module.oneByOne, threeByThreeReduce: module.threeByThreeReduce, threeByThree: module.threeByThree,
                    fiveByFiveReduce: module.fiveByFiveReduce, fiveByFive: module.fiveByFive, poolProjection: module.poolProjection,
                    parameters: weights, multiplyAccumulates: macs))
            case .dropout(let name, let rate):
                rows.append(ArchitectureTableRow(name: name, type: "dropout (\(Int((rate * 100).rounded()))%)", patchSizeStride: "",
                                                 output: output, depth: 0, parameters: 0, multiplyAccumulates: 0))
            case .fullyConnected(let fc):
                rows.append(ArchitectureTableRow(name: fc.name, type: "linear", patchSizeStride: "", output: output, depth: 1,
                                                 parameters: weights, multiplyAccumulates: macs))
            case .softmax(let name):
                rows.append(ArchitectureTableRow(name: name, type: "softmax", patchSizeStride: "", output: output, depth: 0,
                                                 parameters: 0, multiplyAccumulates: 0))
            case .localResponseNormalization, .auxiliaryClassifier:
                break // not in the paper's table (an auxiliary classifier branches off and leaves the shape alone)
            }
        }
        return rows
    }

    /// Multiply-accumulates of the nine Inception modules as built, and as they would be if each 3×3 and 5×5
    /// convolution read the module's input directly instead of a 1×1 reduction of it.
    package static var inceptionReductionSavings: (withReductions: Int, withoutReductions: Int) {
        var with = 0, without = 0
        for (layer, input) in inferenceLayers {
            guard case .inception(let module) = layer else { continue }
            with += layer.multiplyAccumulates(input: input)
            let positions = input.height * input.width
            without += positions * input.channels * (module.oneByOne + module.poolProjection)
                + positions * input.channels * module.threeByThree * 9
                + positions * input.channels * module.fiveByFive * 25
        }
        return (with, without)
    }
}

extension Layer {
    var isAuxiliaryClassifier: Bool {
        if case .auxiliaryClassifier = self { true } else { false }
    }
}
