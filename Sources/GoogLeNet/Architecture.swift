/// GoogLeNet (Inception v1; Szegedy et al., "Going deeper with convolutions", 2015) as the paper's Table 1 and
/// Figure 3 draw it, in the BVLC/Caffe form the weights were trained in. Names are the Caffe layer names, which
/// are also the ONNX initializer names (`<name>_w_0`, `<name>_b_0`).
///
/// This is a description only: the engine reads it to build oneDNN primitives, the weight loader reads it to know
/// which tensors must exist and their shapes, and `model info` reads it to count parameters and multiply-adds.
package enum GoogLeNetArchitecture {
    /// The network's input: 3 channels (BGR), 224×224.
    package static let input = FeatureShape(channels: 3, height: 224, width: 224)
    /// How a picture becomes the input (the BVLC/Caffe convention the weights were trained with): the centred
    /// square of this fraction of the shorter side, scaled to 224×224, planar BGR minus `meanBGR` (0–255 values).
    package static let cropFraction = 224.0 / 256.0
    package static let meanBGR: (blue: Float, green: Float, red: Float) = (104, 117, 123)
    /// ImageNet-1k.
    package static let classCount = 1000

    /// The layers in order, from the stem to the softmax.
    package static let layers: [Layer] = [
        // Stem.
        .convolution(Convolution("conv1/7x7_s2", outputChannels: 64, kernel: 7, stride: 2, padding: 3)),
        .maxPool(Pooling("pool1/3x3_s2", kernel: 3, stride: 2)),
        .localResponseNormalization(LocalResponseNormalization("pool1/norm1")),
        .convolution(Convolution("conv2/3x3_reduce", outputChannels: 64, kernel: 1)),
        .convolution(Convolution("conv2/3x3", outputChannels: 192, kernel: 3, padding: 1)),
        .localResponseNormalization(LocalResponseNormalization("conv2/norm2")),
        .maxPool(Pooling("pool2/3x3_s2", kernel: 3, stride: 2)),
        // Inception (3), 28×28.
        .inception(.inception3a),
        .inception(.inception3b),
        .maxPool(Pooling("pool3/3x3_s2", kernel: 3, stride: 2)),
        // Inception (4), 14×14, with the two auxiliary classifiers branching off 4a and 4d.
        .inception(.inception4a),
        .auxiliaryClassifier(AuxiliaryClassifier("loss1")),
        .inception(.inception4b),
        .inception(.inception4c),
        .inception(.inception4d),
        .auxiliaryClassifier(AuxiliaryClassifier("loss2")),
        .inception(.inception4e),
        .maxPool(Pooling("pool4/3x3_s2", kernel: 3, stride: 2)),
        // Inception (5), 7×7.
        .inception(.inception5a),
        .inception(.inception5b),
        // Classifier.
        .averagePool(Pooling("pool5/7x7_s1", kernel: 7, stride: 1)),
        .dropout(name: "pool5/drop_7x7_s1", rate: 0.4),
        .fullyConnected(FullyConnected("loss3/classifier", outputs: classCount)),
        .softmax(name: "prob"),
    ]

    /// Every weight tensor inference needs, with its shape, in layer order.
    package static var parameters: [ParameterTensor] {
        inferenceLayers.flatMap { $0.layer.parameters(input: $0.input) }
    }

    /// Multiply-accumulate operations for one image (convolutions and the classifiers).
    package static var multiplyAccumulates: Int {
        inferenceLayers.reduce(0) { $0 + $1.layer.multiplyAccumulates(input: $1.input) }
    }

    /// The layers inference runs (training-only ones left out), each with the feature shape it receives.
    static var inferenceLayers: [(layer: Layer, input: FeatureShape)] {
        chain(layers.filter { !$0.isTrainingOnly }, input: input)
    }
}

/// Channels × height × width of one image's feature map.
package struct FeatureShape: Sendable, Equatable, CustomStringConvertible {
    package var channels: Int
    package var height: Int
    package var width: Int
    package var elementCount: Int { channels * height * width }
    package var description: String { "\(channels)×\(height)×\(width)" }
}

/// A named weight tensor the architecture expects, with its shape (filters are OIHW).
package struct ParameterTensor: Sendable, Equatable {
    package var name: String
    package var shape: [Int]
    package var elementCount: Int { shape.reduce(1, *) }
}

/// One layer of the network as the paper draws it.
package enum Layer: Sendable {
    case convolution(Convolution)
    case maxPool(Pooling)
    case localResponseNormalization(LocalResponseNormalization)
    case inception(InceptionModule)
    case averagePool(Pooling)
    case dropout(name: String, rate: Double)
    case fullyConnected(FullyConnected)
    case softmax(name: String)
    case auxiliaryClassifier(AuxiliaryClassifier)

    /// Layers that only matter while training: inference never builds them (dropout is the identity then).
    package var isTrainingOnly: Bool {
        switch self {
        case .dropout, .auxiliaryClassifier: true
        default: false
        }
    }

    package var name: String {
        switch self {
        case .convolution(let c): c.name
        case .maxPool(let p), .averagePool(let p): p.name
        case .localResponseNormalization(let n): n.name
        case .inception(let m): m.name
        case .dropout(let name, _), .softmax(let name): name
        case .fullyConnected(let f): f.name
        case .auxiliaryClassifier(let a): a.name
        }
    }

    func outputShape(input: FeatureShape) -> FeatureShape {
        switch self {
        case .convolution(let c): c.outputShape(input: input)
        case .maxPool(let p), .averagePool(let p): p.outputShape(input: input)
        case .inception(let m): m.outputShape(input: input)
        case .fullyConnected(let f): FeatureShape(channels: f.outputs, height: 1, width: 1)
        case .auxiliaryClassifier(let a): FeatureShape(channels: a.classifier.outputs, height: 1, width: 1)
        case .localResponseNormalization, .dropout, .softmax: input
        }
    }

    func parameters(input: FeatureShape) -> [ParameterTensor] {
        switch self {
        case .convolution(let c): c.parameters(inputChannels: input.channels)
        case .inception(let m): m.branches.flatMap { $0.parameters(input: input) }
        case .fullyConnected(let f): f.parameters(inputs: input.elementCount)
        case .auxiliaryClassifier(let a): a.layers(input: input).flatMap { $0.layer.parameters(input: $0.input) }
        case .maxPool, .averagePool, .localResponseNormalization, .dropout, .softmax: []
        }
    }

    func multiplyAccumulates(input: FeatureShape) -> Int {
        switch self {
        case .convolution(let c):
            c.outputShape(input: input).elementCount * input.channels * c.kernel * c.kernel
        case .inception(let m): m.branches.reduce(0) { $0 + $1.multiplyAccumulates(input: input) }
        case .fullyConnected(let f): input.elementCount * f.outputs
        case .auxiliaryClassifier(let a): a.layers(input: input).reduce(0) { $0 + $1.layer.multiplyAccumulates(input: $1.input) }
        case .maxPool, .averagePool, .localResponseNormalization, .dropout, .softmax: 0
        }
    }
}

/// A convolution followed by ReLU (every convolution in GoogLeNet is).
package struct Convolution: Sendable {
    package var name: String
    package var outputChannels: Int
    package var kernel: Int
    package var stride: Int
    package var padding: Int

    package init(_ name: String, outputChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.name = name
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    func outputShape(input: FeatureShape) -> FeatureShape {
        func side(_ n: Int) -> Int { (n + 2 * padding - kernel) / stride + 1 }
        return FeatureShape(channels: outputChannels, height: side(input.height), width: side(input.width))
    }

    func parameters(inputChannels: Int) -> [ParameterTensor] {
        [ParameterTensor(name: "\(name)_w_0", shape: [outputChannels, inputChannels, kernel, kernel]),
         ParameterTensor(name: "\(name)_b_0", shape: [outputChannels])]
    }
}

/// Max or average pooling, rounding the output size up as Caffe does (a window may overhang the right and
/// bottom edges; overhanging positions are ignored).
package struct Pooling: Sendable {
    package var name: String
    package var kernel: Int
    package var stride: Int
    package var padding: Int

    package init(_ name: String, kernel: Int, stride: Int, padding: Int = 0) {
        self.name = name
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    func outputSide(_ n: Int) -> Int {
        let windows = (n + 2 * padding - kernel + stride - 1) / stride + 1
        // Caffe drops a last window that would start in the padding only.
        return (windows - 1) * stride >= n + padding ? windows - 1 : windows
    }

    /// Extra padding on the right/bottom edge that makes floor-mode arithmetic produce the ceil-mode size.
    func trailingPadding(_ n: Int) -> Int {
        (outputSide(n) - 1) * stride + kernel - n - padding
    }

    func outputShape(input: FeatureShape) -> FeatureShape {
        FeatureShape(channels: input.channels, height: outputSide(input.height), width: outputSide(input.width))
    }
}

/// Local response normalisation across channels, with Caffe's parameters (alpha is divided by `size`).
package struct LocalResponseNormalization: Sendable {
    package var name: String
    package var size = 5
    package var alpha: Float = 1e-4
    package var beta: Float = 0.75
    package var k: Float = 1

    package init(_ name: String) { self.name = name }
}

/// A fully connected layer (no ReLU: GoogLeNet's only one in inference feeds the softmax).
package struct FullyConnected: Sendable {
    package var name: String
    package var outputs: Int

    package init(_ name: String, outputs: Int) {
        self.name = name
        self.outputs = outputs
    }

    func parameters(inputs: Int) -> [ParameterTensor] {
        [ParameterTensor(name: "\(name)_w_0", shape: [outputs, inputs]),
         ParameterTensor(name: "\(name)_b_0", shape: [outputs])]
    }
}

/// An Inception module (the paper's Figure 2b): four branches over the same input, concatenated along the
/// channels in this order: 1×1; 1×1 reduce → 3×3; 1×1 reduce → 5×5; 3×3/1 max-pool → 1×1 projection.
package struct InceptionModule: Sendable {
    package var name: String
    package var oneByOne: Int
    package var threeByThreeReduce: Int
    package var threeByThree: Int
    package var fiveByFiveReduce: Int
    package var fiveByFive: Int
    package var poolProjection: Int

    init(_ name: String, _ oneByOne: Int, _ threeByThreeReduce: Int, _ threeByThree: Int,
         _ fiveByFiveReduce: Int, _ fiveByFive: Int, _ poolProjection: Int) {
        self.name = name
        self.oneByOne = oneByOne
        self.threeByThreeReduce = threeByThreeReduce
        self.threeByThree = threeByThree
        self.fiveByFiveReduce = fiveByFiveReduce
        self.fiveByFive = fiveByFive
        self.poolProjection = poolProjection
    }

    /// The paper's Table 1, columns "#1×1", "#3×3 reduce", "#3×3", "#5×5 reduce", "#5×5", "pool proj".
    package static let inception3a = InceptionModule("inception_3a",  64,  96, 128, 16,  32,  32)
    package static let inception3b = InceptionModule("inception_3b", 128, 128, 192, 32,  96,  64)
    package static let inception4a = InceptionModule("inception_4a", 192,  96, 208, 16,  48,  64)
    package static let inception4b = InceptionModule("inception_4b", 160, 112, 224, 24,  64,  64)
    package static let inception4c = InceptionModule("inception_4c", 128, 128, 256, 24,  64,  64)
    package static let inception4d = InceptionModule("inception_4d", 112, 144, 288, 32,  64,  64)
    package static let inception4e = InceptionModule("inception_4e", 256, 160, 320, 32, 128, 128)
    package static let inception5a = InceptionModule("inception_5a", 256, 160, 320, 32, 128, 128)
    package static let inception5b = InceptionModule("inception_5b", 384, 192, 384, 48, 128, 128)

    /// The four branches, in concatenation order; each is a short chain of layers.
    package var branches: [InceptionBranch] {
        [InceptionBranch(layers: [.convolution(Convolution("\(name)/1x1", outputChannels: oneByOne, kernel: 1))]),
         InceptionBranch(layers: [
            .convolution(Convolution("\(name)/3x3_reduce", outputChannels: threeByThreeReduce, kernel: 1)),
            .convolution(Convolution("\(name)/3x3", outputChannels: threeByThree, kernel: 3, padding: 1))]),
         InceptionBranch(layers: [
            .convolution(Convolution("\(name)/5x5_reduce", outputChannels: fiveByFiveReduce, kernel: 1)),
            .convolution(Convolution("\(name)/5x5", outputChannels: fiveByFive, kernel: 5, padding: 2))]),
         InceptionBranch(layers: [
            .maxPool(Pooling("\(name)/pool", kernel: 3, stride: 1, padding: 1)),
            .convolution(Convolution("\(name)/pool_proj", outputChannels: poolProjection, kernel: 1))])]
    }

    package var outputChannels: Int { oneByOne + threeByThree + fiveByFive + poolProjection }

    func outputShape(input: FeatureShape) -> FeatureShape {
        FeatureShape(channels: outputChannels, height: input.height, width: input.width)
    }
}

/// One branch of an Inception module: layers applied in turn to the module's input.
package struct InceptionBranch: Sendable {
    package var layers: [Layer]

    func parameters(input: FeatureShape) -> [ParameterTensor] {
        chain(layers, input: input).flatMap { $0.layer.parameters(input: $0.input) }
    }

    func multiplyAccumulates(input: FeatureShape) -> Int {
        chain(layers, input: input).reduce(0) { $0 + $1.layer.multiplyAccumulates(input: $1.input) }
    }
}

/// An auxiliary classifier (after 4a and 4d): 5×5/3 average pool, 1×1 conv 128, FC 1024 + ReLU, dropout 0.7,
/// FC 1000, softmax. It only adds gradient signal while training; inference never builds it, and weight files
/// that carry its tensors (`loss1/conv`, `loss1/fc`, `loss1/classifier`) load fine because extra tensors are ignored.
package struct AuxiliaryClassifier: Sendable {
    package var name: String
    package var pool: Pooling { Pooling("\(name)/ave_pool", kernel: 5, stride: 3) }
    package var projection: Convolution { Convolution("\(name)/conv", outputChannels: 128, kernel: 1) }
    package var hidden: FullyConnected { FullyConnected("\(name)/fc", outputs: 1024) }
    package var dropoutRate: Double { 0.7 }
    package var classifier: FullyConnected { FullyConnected("\(name)/classifier", outputs: GoogLeNetArchitecture.classCount) }

    package init(_ name: String) { self.name = name }

    func layers(input: FeatureShape) -> [(layer: Layer, input: FeatureShape)] {
        chain([.averagePool(pool), .convolution(projection), .fullyConnected(hidden),
               .dropout(name: "\(name)/drop_fc", rate: dropoutRate), .fullyConnected(classifier)], input: input)
    }
}

/// Pairs each layer of a chain with the shape it receives.
private func chain(_ layers: [Layer], input: FeatureShape) -> [(layer: Layer, input: FeatureShape)] {
    var shape = input
    return layers.map { layer in
        defer { shape = layer.outputShape(input: shape) }
        return (layer, shape)
    }
}
