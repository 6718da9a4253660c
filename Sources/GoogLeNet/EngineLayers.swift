import CDNNL

// The layer types the engine is built from. Each owns its oneDNN primitives and the memory they write;
// convolutions and the classifier also hold their weights in the layout oneDNN chose, shared between engines
// (see `PreparedWeights`). A layer reads the memory of the layer before it; the engine runs every layer's
// primitives in order.

/// The kinds of work `--profile` reports time for.
public enum LayerKind: String, Sendable, CaseIterable {
    case convolution, maxPool = "max-pool", localResponseNormalization = "lrn", averagePool = "avg-pool"
    case innerProduct = "inner-product", softmax, reorder
}

/// A layer as built for one engine: its primitives (in execution order) and the memory holding its output.
protocol EngineLayer {
    var name: String { get }
    var output: Memory { get }
    var primitives: [(kind: LayerKind, primitive: BoundPrimitive)] { get }
}

/// Where a layer writes: a buffer of its own in the layout oneDNN prefers, or a given region of a larger buffer.
enum Destination {
    case ownBuffer
    case region(Memory)
}

extension dnnl_memory_desc_t {
    /// The logical dims (N, C, H, W, ...).
    var shape: [Int] {
        withUnsafeBytes(of: dims) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(Int(ndims))).map { Int($0) } }
    }
}

/// A reorder primitive copying `source` into `destination` (same logical tensor, any two layouts).
func reorder(from source: Memory, to destination: Memory, context: DNNLContext) throws -> BoundPrimitive {
    var sourceDesc = source.desc, destinationDesc = destination.desc
    var handle: dnnl_primitive_desc_t?
    try check(dnnl_reorder_primitive_desc_create(&handle, &sourceDesc, context.engine, &destinationDesc, context.engine, nil),
              "reorder_primitive_desc_create \(source.desc.shape)")
    let descriptor = PrimitiveDescriptor(adopting: handle!)
    return try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)])
}

/// A convolution or inner-product primitive bound to its input, output and the layer's weights (`<layer>_w_0`,
/// plain OIHW) and bias (`<layer>_b_0`) in the layouts oneDNN chose, shared with every other engine.
private func bindWithWeights(_ descriptor: PrimitiveDescriptor, layer: String, weightShape: [Int], input: Memory,
                             output: Memory, weights: PreparedWeights, context: DNNLContext) throws -> BoundPrimitive {
    let filters = try weights.tensor("\(layer)_w_0", shape: weightShape, plainTag: dnnl_oihw,
                                     as: descriptor.memoryDesc(dnnl_query_weights_md), context: context)
    let bias = try weights.tensor("\(layer)_b_0", shape: [weightShape[0]], plainTag: dnnl_x,
                                  as: descriptor.memoryDesc(dnnl_query_weights_md, index: 1), context: context)
    return try BoundPrimitive(descriptor, arguments: [
        (DNNL_ARG_SRC, input), (DNNL_ARG_WEIGHTS, try Memory(sharing: filters, context: context)),
        (DNNL_ARG_BIAS, try Memory(sharing: bias, context: context)), (DNNL_ARG_DST, output)])
}

/// Convolution + bias + ReLU in one primitive (ReLU as a fused post-op).
final class ConvolutionLayer: EngineLayer {
    let name: String
    let output: Memory
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: Convolution, input: Memory, destination: Destination, weights: PreparedWeights, context: DNNLContext) throws {
        name = spec.name
        let inputShape = input.desc.shape
        let (batch, inputChannels) = (inputShape[0], inputShape[1])
        let outputShape = spec.outputShape(input: FeatureShape(channels: inputChannels, height: inputShape[2], width: inputShape[3]))
        let weightShape = [spec.outputChannels, inputChannels, spec.kernel, spec.kernel]

        var sourceDesc = input.desc
        var weightDesc = try dnnl_memory_desc_t.float32(weightShape, dnnl_format_tag_any)
        var biasDesc = try dnnl_memory_desc_t.float32([spec.outputChannels], dnnl_x)
        var destinationDesc = switch destination {
        case .ownBuffer: try dnnl_memory_desc_t.float32([batch, outputShape.channels, outputShape.height, outputShape.width],
                                                       dnnl_format_tag_any)
        case .region(let region): region.desc
        }
        let strides = dnnlDims([spec.stride, spec.stride])
        let padding = dnnlDims([spec.padding, spec.padding])
        func descriptor(_ algorithm: dnnl_alg_kind_t) throws -> PrimitiveDescriptor {
            var operation = dnnl_convolution_desc_t()
            try check(dnnl_convolution_forward_desc_init(&operation, dnnl_forward_inference, algorithm,
                                                         &sourceDesc, &weightDesc, &biasDesc, &destinationDesc,
                                                         strides, padding, padding), "convolution \(spec.name)")
            return try PrimitiveDescriptor(operation, attributes: FusedReLUAttributes(), context: context,
                                           what: "convolution \(spec.name)")
        }
        // 3×3 stride-1 convolutions run as Winograd F(4×3), which needs far fewer multiplications (one engine:
        // ~30 → ~39 frames/s, same accuracy against the references); oneDNN has it only for some CPUs (AVX-512),
        // elsewhere it reports "unimplemented" and the direct algorithm is used.
        let chosen: PrimitiveDescriptor
        do {
            chosen = try descriptor(spec.kernel == 3 && spec.stride == 1 ? dnnl_convolution_winograd : dnnl_convolution_direct)
        } catch let error as DNNLError where error.status == dnnl_unimplemented {
            chosen = try descriptor(dnnl_convolution_direct)
        }
        output = switch destination {
        case .ownBuffer: try Memory(chosen.memoryDesc(dnnl_query_dst_md), context: context)
        case .region(let region): region
        }
        primitives = [(.convolution, try bindWithWeights(chosen, layer: spec.name, weightShape: weightShape,
                                                         input: input, output: output, weights: weights, context: context))]
    }
}

/// Max or average pooling with Caffe's ceil-mode output size (the right/bottom padding is widened to get it;
/// oneDNN ignores padded positions for max and excludes them from the average).
final class PoolingLayer: EngineLayer {
    let name: String
    let output: Memory
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: Pooling, maximum: Bool, input: Memory, context: DNNLContext) throws {
        name = spec.name
        let inputShape = input.desc.shape
        let outputShape = spec.outputShape(input: FeatureShape(channels: inputShape[1], height: inputShape[2], width: inputShape[3]))
        var sourceDesc = input.desc
        var destinationDesc = try dnnl_memory_desc_t.float32([inputShape[0], inputShape[1], outputShape.height, outputShape.width],
                                                             dnnl_format_tag_any)
        let strides = dnnlDims([spec.stride, spec.stride])
        let kernel = dnnlDims([spec.kernel, spec.kernel])
        let dilation = dnnlDims([0, 0])
        let leading = dnnlDims([spec.padding, spec.padding])
        let trailing = dnnlDims([spec.trailingPadding(inputShape[2]), spec.trailingPadding(inputShape[3])])
        var operation = dnnl_pooling_v2_desc_t()
        try check(dnnl_pooling_v2_forward_desc_init(&operation, dnnl_forward_inference,
                                                    maximum ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding,
                                                    &sourceDesc, &destinationDesc, strides, kernel, dilation,
                                                    leading, trailing), "pooling \(spec.name)")
        let descriptor = try PrimitiveDescriptor(operation, context: context, what: "pooling \(spec.name)")
        output = try Memory(descriptor.memoryDesc(dnnl_query_dst_md), context: context)
        primitives = [(maximum ? .maxPool : .averagePool,
                       try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]))]
    }
}

/// Local response normalisation across channels.
final class LocalResponseNormalizationLayer: EngineLayer {
    let name: String
    let output: Memory
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: LocalResponseNormalization, input: Memory, context: DNNLContext) throws {
        name = spec.name
        var dataDesc = input.desc
        var operation = dnnl_lrn_desc_t()
        // oneDNN, like Caffe, divides alpha by the window size.
        try check(dnnl_lrn_forward_desc_init(&operation, dnnl_forward_inference, dnnl_lrn_across_channels, &dataDesc,
                                             dnnl_dim_t(spec.size), spec.alpha, spec.beta, spec.k), "lrn \(spec.name)")
        let descriptor = try PrimitiveDescriptor(operation, context: context, what: "lrn \(spec.name)")
        output = try Memory(descriptor.memoryDesc(dnnl_query_dst_md), context: context)
        primitives = [(.localResponseNormalization,
                       try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]))]
    }
}

/// The channel blocking oneDNN's optimised convolutions work in on this CPU: 16 channels (nChw16c) with
/// AVX-512, 8 (nChw8c) with AVX2 and older. Forcing the other one sends every convolution that writes it to
/// oneDNN's reference kernel, hundreds of times slower.
struct ChannelBlocking {
    let channels: Int
    let tag: dnnl_format_tag_t

    static let native: ChannelBlocking = dnnl_get_effective_cpu_isa().rawValue >= dnnl_cpu_isa_avx512_core.rawValue
        ? ChannelBlocking(channels: 16, tag: dnnl_nChw16c)
        : ChannelBlocking(channels: 8, tag: dnnl_nChw8c)
}

/// An Inception module: the four branches write their last convolution straight into their channel range of
/// one output buffer, so the concatenation costs nothing. The buffer holds one image in the CPU's native
/// channel blocks (`ChannelBlocking`: nChw16c or nChw8c); every branch width in GoogLeNet is a multiple of 16,
/// so each branch's channels are a dense blocked tensor of their own at an offset in the buffer, which oneDNN's
/// optimised convolutions accept as their destination (a strided sub-memory would send them to the slow
/// reference kernel).
final class InceptionLayer: EngineLayer {
    let name: String
    let output: Memory
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ module: InceptionModule, input: Memory, weights: PreparedWeights, context: DNNLContext) throws {
        name = module.name
        let inputShape = input.desc.shape
        precondition(inputShape[0] == 1, "Inception layers are built for one image at a time")
        let (height, width) = (inputShape[2], inputShape[3])
        let blocking = ChannelBlocking.native
        output = try Memory(.float32([1, module.outputChannels, height, width], blocking.tag), context: context)

        var channelOffset = 0
        var primitives: [(kind: LayerKind, primitive: BoundPrimitive)] = []
        for branch in module.branches {
            var branchInput = input
            for (index, layer) in branch.layers.enumerated() {
                let built: EngineLayer
                if index == branch.layers.count - 1, case .convolution(let last) = layer {
                    precondition(channelOffset % blocking.channels == 0 && last.outputChannels % blocking.channels == 0,
                                 "branch widths are multiples of the channel block")
                    let region = try Memory(view: .float32([1, last.outputChannels, height, width], blocking.tag), of: output,
                                            byteOffset: channelOffset * height * width * MemoryLayout<Float>.size,
                                            context: context)
                    built = try ConvolutionLayer(last, input: branchInput, destination: .region(region), weights: weights,
                                                 context: context)
                    channelOffset += last.outputChannels
                } else {
                    built = try buildLayer(layer, input: branchInput, weights: weights, context: context)
                }
                primitives += built.primitives
                branchInput = built.output
            }
        }
        precondition(channelOffset == module.outputChannels, "every Inception branch ends in a convolution")
        self.primitives = primitives
    }
}

/// The classifier: a fully connected layer over the pooled features (no ReLU).
final class InnerProductLayer: EngineLayer {
    let name: String
    let output: Memory
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: FullyConnected, input: Memory, weights: PreparedWeights, context: DNNLContext) throws {
        name = spec.name
        let inputShape = input.desc.shape
        // The weights are [outputs, inputs]; viewed as [outputs, C, H, W] they match the 4-D input directly.
        let weightShape = [spec.outputs] + inputShape.dropFirst()
        var sourceDesc = input.desc
        var weightDesc = try dnnl_memory_desc_t.float32(weightShape, dnnl_format_tag_any)
        var biasDesc = try dnnl_memory_desc_t.float32([spec.outputs], dnnl_x)
        var destinationDesc = try dnnl_memory_desc_t.float32([inputShape[0], spec.outputs], dnnl_nc)
        var operation = dnnl_inner_product_desc_t()
        try check(dnnl_inner_product_forward_desc_init(&operation, dnnl_forward_inference, &sourceDesc, &weightDesc,
                                                       &biasDesc, &destinationDesc), "inner product \(spec.name)")
        let descriptor = try PrimitiveDescriptor(operation, context: context, what: "inner product \(spec.name)")
        output = try Memory(destinationDesc, context: context)
        primitives = [(.innerProduct, try bindWithWeights(descriptor, layer: spec.name, weightShape: weightShape,
                                                          input: input, output: output, weights: weights, context: context))]
    }
}

/// Softmax over the classes of each image.
final class SoftmaxLayer: EngineLayer {
    let name: String
    let output: Memory
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(name: String, input: Memory, context: DNNLContext) throws {
        self.name = name
        var dataDesc = input.desc
        var operation = dnnl_softmax_desc_t()
        try check(dnnl_softmax_forward_desc_init(&operation, dnnl_forward_inference, &dataDesc, 1), "softmax \(name)")
        let descriptor = try PrimitiveDescriptor(operation, context: context, what: "softmax \(name)")
        output = try Memory(input.desc, context: context)
        primitives = [(.softmax, try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]))]
    }
}

/// Builds one inference layer of the architecture on `input`. Training-only layers are never passed here.
func buildLayer(_ layer: Layer, input: Memory, weights: PreparedWeights, context: DNNLContext) throws -> EngineLayer {
    switch layer {
    case .convolution(let spec):
        return try ConvolutionLayer(spec, input: input, destination: .ownBuffer, weights: weights, context: context)
    case .maxPool(let spec):
        return try PoolingLayer(spec, maximum: true, input: input, context: context)
    case .averagePool(let spec):
        return try PoolingLayer(spec, maximum: false, input: input, context: context)
    case .localResponseNormalization(let spec):
        return try LocalResponseNormalizationLayer(spec, input: input, context: context)
    case .inception(let module):
        return try InceptionLayer(module, input: input, weights: weights, context: context)
    case .fullyConnected(let spec):
        return try InnerProductLayer(spec, input: input, weights: weights, context: context)
    case .softmax(let name):
        return try SoftmaxLayer(name: name, input: input, context: context)
    case .dropout, .auxiliaryClassifier:
        preconditionFailure("\(layer.name) is training-only; inference does not build it")
    }
}
