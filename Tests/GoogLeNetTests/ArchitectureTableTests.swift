import Testing
@testable import GoogLeNet

/// `model info --layers` against the paper's Table 1 (Szegedy et al. 2015): parameters in K (1024 weights, biases
/// not counted) and multiply-adds in M, as printed there.
@Suite struct ArchitectureTableTests {
    /// name, output (h, w, c), depth, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj, params K, ops M.
    static let paper: [(String, [Int], Int, [Int?], Int, Int)] = [
        ("conv2/3x3", [56, 56, 192], 2, [nil, 64, 192, nil, nil, nil], 112, 360),
        ("inception_3a", [28, 28, 256], 2, [64, 96, 128, 16, 32, 32], 159, 128),
        ("inception_3b", [28, 28, 480], 2, [128, 128, 192, 32, 96, 64], 380, 304),
        ("inception_4a", [14, 14, 512], 2, [192, 96, 208, 16, 48, 64], 364, 73),
        ("inception_4b", [14, 14, 512], 2, [160, 112, 224, 24, 64, 64], 437, 88),
        ("inception_4c", [14, 14, 512], 2, [128, 128, 256, 24, 64, 64], 463, 100),
        ("inception_4d", [14, 14, 528], 2, [112, 144, 288, 32, 64, 64], 580, 119),
        ("inception_4e", [14, 14, 832], 2, [256, 160, 320, 32, 128, 128], 840, 170),
        ("inception_5a", [7, 7, 832], 2, [256, 160, 320, 32, 128, 128], 1072, 54),
        ("inception_5b", [7, 7, 1024], 2, [384, 192, 384, 48, 128, 128], 1388, 71),
        ("loss3/classifier", [1, 1, 1000], 1, [nil, nil, nil, nil, nil, nil], 1000, 1),
    ]

    @Test func rowsMatchThePaper() throws {
        let table = GoogLeNetArchitecture.table
        for (name, output, depth, widths, kiloParameters, megaOps) in Self.paper {
            let row = try #require(table.first { $0.name == name }, "\(name) missing")
            #expect([row.output.height, row.output.width, row.output.channels] == output, "\(name)")
            #expect(row.depth == depth, "\(name)")
            #expect([row.oneByOne, row.threeByThreeReduce, row.threeByThree, row.fiveByFiveReduce, row.fiveByFive,
                     row.poolProjection] == widths, "\(name)")
            // The paper's params and ops columns are rounded estimates: some rows are the arithmetic of its own widths
            // (conv2, 3a, 3b, the classifier), others are off by up to 7.5% in params (4c: 463K printed, 497.5K
            // from the widths) and 6% in ops (5a: 54M printed, 51.1M). The widths and shapes above are exact.
            let kilo = Double(row.parameters) / 1024, mega = Double(row.multiplyAccumulates) / 1e6
            #expect(abs(kilo - Double(kiloParameters)) <= 0.08 * Double(kiloParameters), "\(name): \(row.parameters) weights")
            #expect(abs(mega - Double(megaOps)) <= max(0.06 * Double(megaOps), 0.5), "\(name): \(row.multiplyAccumulates) MACs")
        }
    }

    /// The paper's conv1 row (2.7K params, 34M ops) does not follow from its own 7×7/2, 3 → 64 shapes; the
    /// table gives the arithmetic: 7·7·3·64 weights, at 112×112 outputs.
    /// Rows where the paper prints exactly the arithmetic of its widths.
    @Test func exactRowsAreExact() throws {
        let table = GoogLeNetArchitecture.table
        let conv2 = try #require(table.first { $0.name == "conv2/3x3" })
        #expect(conv2.parameters == 64 * 64 + 64 * 192 * 9)   // 112K
        #expect(conv2.multiplyAccumulates == 56 * 56 * (64 * 64 + 64 * 192 * 9))   // 360M
        let inception3a = try #require(table.first { $0.name == "inception_3a" })
        #expect(Int(Double(inception3a.parameters) / 1024) == 159)
        #expect(Int((Double(inception3a.multiplyAccumulates) / 1e6).rounded()) == 128)
        let classifier = try #require(table.first { $0.type == "linear" })
        #expect(classifier.parameters == 1024 * 1000)
    }

    @Test func firstConvolutionIsTheArithmeticNotThePapersTypo() throws {
        let conv1 = try #require(GoogLeNetArchitecture.table.first)
        #expect(conv1.type == "convolution" && conv1.patchSizeStride == "7×7/2")
        #expect(conv1.parameters == 7 * 7 * 3 * 64)
        #expect(conv1.multiplyAccumulates == 112 * 112 * 64 * 7 * 7 * 3)
    }

    @Test func layerSequenceAndTotals() {
        let table = GoogLeNetArchitecture.table
        #expect(table.map(\.type) == ["convolution", "max pool", "convolution", "max pool", "inception", "inception", "max pool",
                                      "inception", "inception", "inception", "inception", "inception", "max pool", "inception",
                                      "inception", "avg pool", "dropout (40%)", "linear", "softmax"])
        #expect(table.reduce(0) { $0 + $1.multiplyAccumulates } == GoogLeNetArchitecture.multiplyAccumulates)
        // Weights only: the parameters the model holds, less its biases.
        let biases = GoogLeNetArchitecture.parameters.filter { $0.name.hasSuffix("_b_0") }.reduce(0) { $0 + $1.elementCount }
        #expect(table.reduce(0) { $0 + $1.parameters } + biases == GoogLeNetArchitecture.parameters.reduce(0) { $0 + $1.elementCount })
    }

    @Test func reductionsSaveMostOfTheInceptionWork() {
        let savings = GoogLeNetArchitecture.inceptionReductionSavings
        let inception = GoogLeNetArchitecture.table.filter { $0.type == "inception" }.reduce(0) { $0 + $1.multiplyAccumulates }
        #expect(savings.withReductions == inception)
        #expect(savings.withoutReductions > 3 * savings.withReductions)
    }
}
