import CDNNL

// The layer types the engine is built from. Each owns its oneDNN primitives and the memory they write;
// convolutions and the classifier also hold their weights in the layout oneDNN chose, shared between engines
// (see `PreparedWeights`). A layer reads the memory of the layer before it; the engine runs every layer's
// primitives in order.

/// The kinds of work `--profile` reports time for.
package enum LayerKind: String, Sendable, CaseIterable {
    case convolution, maxPool = "max-pool", localResponseNormalization = "lrn", averagePool = "avg-pool"
    case innerProduct = "inner-product", softmax, reorder
}

/// A layer's output as the next layer reads it: the memory, the layer that wrote it, and for u8 memory the
/// factor from real values to stored ones (stored = real × `scale`; 1 for fp32 and bf16).
struct Activation {
    let memory: Memory
    let producer: String
    let scale: Float
}

/// A layer as built for one engine: its primitives (in execution order) and the activation holding its output.
protocol EngineLayer {
    var name: String { get }
    var output: Activation { get }
    var primitives: [(kind: LayerKind, primitive: BoundPrimitive)] { get }
    /// Layers built inside this one (an Inception module's branches), for looking up their outputs.
    var innerLayers: [any EngineLayer] { get }
}

extension EngineLayer {
    var innerLayers: [any EngineLayer] { [] }
}

/// Where a layer writes: a buffer of its own in the layout oneDNN prefers, or a given region of a larger buffer
/// holding values at `scale`.
enum Destination {
    case ownBuffer
    case region(Memory, scale: Float)
}

extension dnnl_memory_desc_t {
    /// The logical dims (N, C, H, W, ...).
    var shape: [Int] {
        withUnsafeBytes(of: dims) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(Int(ndims))).map { Int($0) } }
    }
}

/// A reorder primitive copying `source` into `destination` (same logical tensor, any two layouts and element
/// types), multiplying by `scales` on the way when given (one value, or one per index of the dimensions in `mask`).
func reorder(from source: Memory, to destination: Memory, scales: [Float] = [], mask: Int32 = 0,
             context: DNNLContext) throws -> BoundPrimitive {
    var sourceDesc = source.desc, destinationDesc = destination.desc
    var handle: dnnl_primitive_desc_t?
    let attributes = try PrimitiveAttributes(outputScales: scales, scaleMask: mask)
    try check(dnnl_reorder_primitive_desc_create(&handle, &sourceDesc, context.engine, &destinationDesc, context.engine,
                                                 attributes.handle),
              "reorder_primitive_desc_create \(source.desc.shape)")
    let descriptor = PrimitiveDescriptor(adopting: handle!)
    return try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)])
}

/// A convolution or inner-product primitive bound to its input, output and the layer's weights (`<layer>_w_0`,
/// plain OIHW) and bias (`<layer>_b_0`) in the layouts oneDNN chose, shared with every other engine. int8 layers
/// pass `quantization`: the weights are stored ×`weightScales` (per output channel), the bias ×`biasScales`.
private func bindWithWeights(_ descriptor: PrimitiveDescriptor, layer: String, weightShape: [Int], input: Memory,
                             output: Memory, quantization: (weightScales: [Float], biasScales: [Float])? = nil,
                             weights: PreparedWeights, context: DNNLContext) throws -> BoundPrimitive {
    let filters = try weights.tensor("\(layer)_w_0", shape: weightShape, plainTag: dnnl_oihw,
                                     as: descriptor.memoryDesc(dnnl_query_weights_md),
                                     scales: quantization?.weightScales ?? [], context: context)
    let bias = try weights.tensor("\(layer)_b_0", shape: [weightShape[0]], plainTag: dnnl_x,
                                  as: descriptor.memoryDesc(dnnl_query_weights_md, index: 1),
                                  scales: quantization?.biasScales ?? [], context: context)
    return try BoundPrimitive(descriptor, arguments: [
        (DNNL_ARG_SRC, input), (DNNL_ARG_WEIGHTS, try Memory(sharing: filters, context: context)),
        (DNNL_ARG_BIAS, try Memory(sharing: bias, context: context)), (DNNL_ARG_DST, output)])
}

/// Per-output-channel factors that map each filter's largest |weight| to `limit` (127: all of s8).
private func filterScales(_ values: [Float], outputChannels: Int, limit: Float = 127) -> [Float] {
    let perChannel = values.count / outputChannels
    return (0..<outputChannels).map { channel in
        let largest = values[channel * perChannel ..< (channel + 1) * perChannel].reduce(0) { max($0, abs($1)) }
        return largest > 0 ? limit / largest : 1
    }
}

/// An int8 layer's scales: its weights' (per output channel, from `filterScales`) and its accumulator's, the
/// weights' × the input's — oneDNN adds the bias to the accumulator before the output scale, so the bias is stored
/// at the accumulator's scale.
private func int8Scales(of layer: String, outputChannels: Int, inputScale: Float, limit: Float = 127,
                        weights: PreparedWeights) -> (weightScales: [Float], biasScales: [Float]) {
    let weightScales = filterScales(weights.weights.values("\(layer)_w_0"), outputChannels: outputChannels, limit: limit)
    return (weightScales, weightScales.map { $0 * inputScale })
}

/// The largest |s8 weight| for a layer whose u8 inputs may all be large (conv1's pixels, the classifier's
/// features): all of s8 with AVX-512 VNNI; 7 bits without it, where pairs of u8 × s8 products are added in 16
/// bits first and 2 × 255 × 127 would saturate (2 × 255 × 63 < 32,767; see `CPUSupport.addsInt8ProductsIn32Bits`).
private var saturationFreeWeightLimit: Float { CPUSupport.addsInt8ProductsIn32Bits ? 127 : 63 }

/// A convolution destination region cannot be written by an optimised kernel (oneDNN would use its slow
/// reference one), so the caller should give the convolution a buffer of its own.
struct RegionNeedsReferenceKernel: Error {}

/// Convolution + bias + ReLU in one primitive (ReLU as a fused post-op). fp32: f32 throughout; bf16: bf16 data
/// and weights, f32 bias; int8: u8 input and output, s8 weights with a scale per output channel.
final class ConvolutionLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: Convolution, input: Activation, destination: Destination, weights: PreparedWeights,
         context: DNNLContext) throws {
        name = spec.name
        let inputShape = input.memory.desc.shape
        let (batch, inputChannels) = (inputShape[0], inputShape[1])
        let outputShape = spec.outputShape(input: FeatureShape(channels: inputChannels, height: inputShape[2], width: inputShape[3]))
        let weightShape = [spec.outputChannels, inputChannels, spec.kernel, spec.kernel]
        let dataType = input.memory.desc.dataType
        let quantized = dataType == dnnl_u8

        // int8: weights ×filterScales; the accumulator (input × weights) is scaled to the destination's scale.
        let outputScale: Float
        var quantization: (weightScales: [Float], biasScales: [Float])?
        var attributes: PrimitiveAttributes
        if quantized {
            outputScale = switch destination {
            case .ownBuffer: try weights.quantizationScale(of: spec.name)
            case .region(_, let scale): scale
            }
            let scales = int8Scales(of: spec.name, outputChannels: spec.outputChannels, inputScale: input.scale,
                                    weights: weights)
            quantization = scales
            attributes = try PrimitiveAttributes(relu: true, outputScales: scales.biasScales.map { outputScale / $0 },
                                                 scaleMask: 1 << 1)
        } else {
            outputScale = 1
            attributes = try PrimitiveAttributes(relu: true)
        }

        var sourceDesc = input.memory.desc
        var weightDesc = try dnnl_memory_desc_t.make(weightShape, quantized ? dnnl_s8 : dataType, dnnl_format_tag_any)
        var biasDesc = try dnnl_memory_desc_t.float32([spec.outputChannels], dnnl_x)
        var destinationDesc = switch destination {
        case .ownBuffer: try dnnl_memory_desc_t.make([batch, outputShape.channels, outputShape.height, outputShape.width],
                                                     dataType, dnnl_format_tag_any)
        case .region(let region, _): region.desc
        }
        let strides = dnnlDims([spec.stride, spec.stride])
        let padding = dnnlDims([spec.padding, spec.padding])
        func descriptor(_ algorithm: dnnl_alg_kind_t) throws -> PrimitiveDescriptor {
            var operation = dnnl_convolution_desc_t()
            try check(dnnl_convolution_forward_desc_init(&operation, dnnl_forward_inference, algorithm,
                                                         &sourceDesc, &weightDesc, &biasDesc, &destinationDesc,
                                                         strides, padding, padding), "convolution \(spec.name)")
            return try PrimitiveDescriptor(operation, attributes: attributes, context: context,
                                           what: "convolution \(spec.name)")
        }
        // fp32 3×3 stride-1 convolutions run as Winograd F(4×3), which needs far fewer multiplications (one engine:
        // ~30 → ~39 frames/s, same accuracy against the references); oneDNN has it only for some CPUs (AVX-512),
        // elsewhere it reports "unimplemented" and the direct algorithm is used.
        let chosen: PrimitiveDescriptor
        do {
            let winograd = dataType == dnnl_f32 && spec.kernel == 3 && spec.stride == 1
            chosen = try descriptor(winograd ? dnnl_convolution_winograd : dnnl_convolution_direct)
        } catch let error as DNNLError where error.status == dnnl_unimplemented {
            chosen = try descriptor(dnnl_convolution_direct)
        }
        let memory: Memory
        switch destination {
        case .ownBuffer: memory = try Memory(chosen.memoryDesc(dnnl_query_dst_md), context: context)
        case .region(let region, _):
            if chosen.implementation.hasPrefix("ref") { throw RegionNeedsReferenceKernel() }
            memory = region
        }
        output = Activation(memory: memory, producer: spec.name, scale: outputScale)
        primitives = [(.convolution, try bindWithWeights(chosen, layer: spec.name, weightShape: weightShape,
                                                         input: input.memory, output: memory, quantization: quantization,
                                                         weights: weights, context: context))]
    }
}

/// int8's first convolution, on the picture's own pixels: u8 pixels from `PaddedPixels` (the picture plus the
/// channel means, inside a border of means as wide as the layer's padding), s8 weights with a scale per output
/// channel (7 bits without VNNI: see `CPUSupport.addsInt8ProductsIn32Bits`), no padding of its own (the border is
/// the padding), f32 out with ReLU fused (pool1 and the LRN after it read f32; conv1's outputs span too wide a
/// range for u8 steps, docs/measurements.md). The pixels carry the means, so the bias has their share taken off:
/// b − Σ w·mean per output channel, the same at every position, since every window lies inside the buffer and
/// the border pixels stand for 0.
final class PixelConvolutionLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: Convolution, pixels: Activation, weights: PreparedWeights, context: DNNLContext) throws {
        name = spec.name
        let filters = weights.weights.values("\(spec.name)_w_0")
        let scales = filterScales(filters, outputChannels: spec.outputChannels, limit: saturationFreeWeightLimit)
        let attributes = try PrimitiveAttributes(relu: true, outputScales: scales.map { 1 / $0 }, scaleMask: 1 << 1)
        let pixelShape = pixels.memory.desc.shape
        let picture = FeatureShape(channels: pixelShape[1], height: pixelShape[2] - 2 * spec.padding,
                                   width: pixelShape[3] - 2 * spec.padding)
        precondition(picture == GoogLeNetArchitecture.input, "the pixels' border is as wide as the convolution's padding")
        let outputShape = spec.outputShape(input: picture)
        let weightShape = [spec.outputChannels, picture.channels, spec.kernel, spec.kernel]

        var sourceDesc = pixels.memory.desc
        var weightDesc = try dnnl_memory_desc_t.make(weightShape, dnnl_s8, dnnl_format_tag_any)
        var biasDesc = try dnnl_memory_desc_t.float32([spec.outputChannels], dnnl_x)
        var destinationDesc = try dnnl_memory_desc_t.float32([pixelShape[0], outputShape.channels, outputShape.height,
                                                              outputShape.width], dnnl_format_tag_any)
        let noPadding = dnnlDims([0, 0])
        var operation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_forward_desc_init(&operation, dnnl_forward_inference, dnnl_convolution_direct,
                                                     &sourceDesc, &weightDesc, &biasDesc, &destinationDesc,
                                                     dnnlDims([spec.stride, spec.stride]), noPadding, noPadding),
                  "convolution \(spec.name)")
        let descriptor = try PrimitiveDescriptor(operation, attributes: attributes, context: context,
                                                 what: "convolution \(spec.name)")
        let shared = try weights.tensor("\(spec.name)_w_0", shape: weightShape, plainTag: dnnl_oihw,
                                        as: descriptor.memoryDesc(dnnl_query_weights_md), scales: scales, context: context)
        let bias = try Memory(biasDesc, context: context)
        let folded = Self.biasWithoutMeans(weights.weights.values("\(spec.name)_b_0"), filters: filters, scales: scales)
        bias.data.copyMemory(from: folded, byteCount: folded.count * MemoryLayout<Float>.size)
        let memory = try Memory(descriptor.memoryDesc(dnnl_query_dst_md), context: context)
        output = Activation(memory: memory, producer: spec.name, scale: 1)
        primitives = [(.convolution, try BoundPrimitive(descriptor, arguments: [
            (DNNL_ARG_SRC, pixels.memory), (DNNL_ARG_WEIGHTS, try Memory(sharing: shared, context: context)),
            (DNNL_ARG_BIAS, bias), (DNNL_ARG_DST, memory)]))]
    }

    /// The bias at the accumulator's scale (oneDNN adds it before the output scale) with the means' share taken
    /// off, per output channel: b × scale − Σ round(w × scale) × mean, over the weights as the s8 copy holds them,
    /// so that the means cancel exactly (whole numbers below 2^24, exact in f32) and not only to within the
    /// weights' rounding.
    private static func biasWithoutMeans(_ bias: [Float], filters: [Float], scales: [Float]) -> [Float] {
        let perOutput = filters.count / bias.count, perInput = perOutput / PaddedPixels.means.count
        return bias.indices.map { output in
            let means = (0..<perOutput).reduce(Float(0)) { sum, tap in
                let weight = filters[output * perOutput + tap] * scales[output]
                return sum + weight.rounded(.toNearestOrEven) * PaddedPixels.means[tap / perInput]
            }
            return bias[output] * scales[output] - means
        }
    }
}

/// Max or average pooling with Caffe's ceil-mode output size (the right/bottom padding is widened to get it;
/// oneDNN ignores padded positions for max and excludes them from the average). Keeps the input's element type
/// and scale.
final class PoolingLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: Pooling, maximum: Bool, input: Activation, context: DNNLContext) throws {
        name = spec.name
        let inputShape = input.memory.desc.shape
        let outputShape = spec.outputShape(input: FeatureShape(channels: inputShape[1], height: inputShape[2], width: inputShape[3]))
        var sourceDesc = input.memory.desc
        var destinationDesc = try dnnl_memory_desc_t.make([inputShape[0], inputShape[1], outputShape.height, outputShape.width],
                                                          sourceDesc.dataType, dnnl_format_tag_any)
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
        let memory = try Memory(descriptor.memoryDesc(dnnl_query_dst_md), context: context)
        output = Activation(memory: memory, producer: spec.name, scale: input.scale)
        primitives = [(maximum ? .maxPool : .averagePool,
                       try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_SRC, input.memory), (DNNL_ARG_DST, memory)]))]
    }
}

/// Local response normalisation across channels (fp32 or bf16: oneDNN has no int8 LRN).
final class LocalResponseNormalizationLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: LocalResponseNormalization, input: Activation, context: DNNLContext) throws {
        name = spec.name
        var dataDesc = input.memory.desc
        var operation = dnnl_lrn_desc_t()
        // oneDNN, like Caffe, divides alpha by the window size.
        try check(dnnl_lrn_forward_desc_init(&operation, dnnl_forward_inference, dnnl_lrn_across_channels, &dataDesc,
                                             dnnl_dim_t(spec.size), spec.alpha, spec.beta, spec.k), "lrn \(spec.name)")
        let descriptor = try PrimitiveDescriptor(operation, context: context, what: "lrn \(spec.name)")
        let memory = try Memory(descriptor.memoryDesc(dnnl_query_dst_md), context: context)
        output = Activation(memory: memory, producer: spec.name, scale: 1)
        primitives = [(.localResponseNormalization,
                       try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_SRC, input.memory), (DNNL_ARG_DST, memory)]))]
    }
}

/// An Inception module: four branches over the same input, concatenated along the channels.
///
/// Where an optimised kernel can write into a slice of the output, each branch's last convolution writes straight
/// into its channel range and the concatenation costs nothing: fp32 and bf16 hold one image in 16- or 8-channel
/// blocks (nChw16c/nChw8c), every branch width in GoogLeNet is a multiple of 16, so each branch's channels are a
/// dense blocked tensor of their own at an offset in the buffer. int8 activations are nhwc (the only layout of
/// oneDNN 2.6's int8 kernels on AVX2), where a branch's channels are strided; those branches write buffers of their
/// own and a concat primitive copies them (u8, one byte per value). All branches of an int8 module write at the
/// module's one scale, so the concatenation is a plain copy either way.
final class InceptionLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]
    let innerLayers: [any EngineLayer]

    init(_ module: InceptionModule, input: Activation, weights: PreparedWeights, context: DNNLContext) throws {
        name = module.name
        let inputShape = input.memory.desc.shape
        precondition(inputShape[0] == 1, "Inception layers are built for one image at a time")
        let (height, width) = (inputShape[2], inputShape[3])
        let dataType = input.memory.desc.dataType
        let scale = dataType == dnnl_u8 ? try weights.quantizationScale(of: module.name) : 1
        let block = weights.numerics.activationBlock
        let layout = dataType == dnnl_u8 ? dnnl_nhwc : (block == 16 ? dnnl_nChw16c : dnnl_nChw8c)
        let elementSize = dataType == dnnl_u8 ? 1 : (dataType == dnnl_bf16 ? 2 : 4)
        let buffer = try Memory(.make([1, module.outputChannels, height, width], dataType, layout), context: context)
        output = Activation(memory: buffer, producer: module.name, scale: scale)

        var channelOffset = 0
        var primitives: [(kind: LayerKind, primitive: BoundPrimitive)] = []
        var inner: [any EngineLayer] = []
        var separateOutputs: [(channelOffset: Int, memory: Memory)] = []
        for branch in module.branches {
            var branchInput = input
            for (index, layer) in branch.layers.enumerated() {
                let built: any EngineLayer
                if index == branch.layers.count - 1, case .convolution(let last) = layer {
                    precondition(channelOffset % block == 0 && last.outputChannels % block == 0, "branch widths are multiples of the block")
                    do {
                        guard layout != dnnl_nhwc else { throw RegionNeedsReferenceKernel() }
                        let region = try Memory(view: .make([1, last.outputChannels, height, width], dataType, layout), of: buffer,
                                                byteOffset: channelOffset * height * width * elementSize, context: context)
                        built = try ConvolutionLayer(last, input: branchInput, destination: .region(region, scale: scale),
                                                     weights: weights, context: context)
                    } catch is RegionNeedsReferenceKernel {
                        let own = try Memory(.make([1, last.outputChannels, height, width], dataType, layout), context: context)
                        built = try ConvolutionLayer(last, input: branchInput, destination: .region(own, scale: scale),
                                                     weights: weights, context: context)
                        separateOutputs.append((channelOffset, own))
                    }
                    channelOffset += last.outputChannels
                } else {
                    built = try buildLayer(layer, input: branchInput, weights: weights, context: context)
                }
                inner.append(built)
                primitives += built.primitives
                branchInput = built.output
            }
        }
        precondition(channelOffset == module.outputChannels, "every Inception branch ends in a convolution")
        if !separateOutputs.isEmpty {
            precondition(separateOutputs.count == module.branches.count, "branches either all write in place or none")
            primitives.append((.reorder, try concatenation(separateOutputs.map(\.memory), into: buffer, context: context)))
        }
        self.primitives = primitives
        innerLayers = inner
    }
}

/// A concat primitive joining `parts` along the channels into `destination`.
private func concatenation(_ parts: [Memory], into destination: Memory, context: DNNLContext) throws -> BoundPrimitive {
    var destinationDesc = destination.desc
    let sourceDescs = parts.map(\.desc)
    var handle: dnnl_primitive_desc_t?
    try sourceDescs.withUnsafeBufferPointer { descs in
        try check(dnnl_concat_primitive_desc_create(&handle, &destinationDesc, Int32(parts.count), 1, descs.baseAddress,
                                                    nil, context.engine), "concat \(destination.desc.shape)")
    }
    let descriptor = PrimitiveDescriptor(adopting: handle!)
    let sources = parts.enumerated().map { (DNNL_ARG_MULTIPLE_SRC + Int32($0.offset), $0.element) }
    return try BoundPrimitive(descriptor, arguments: sources + [(DNNL_ARG_DST, destination)])
}

/// The classifier: a fully connected layer over the pooled features (no ReLU), writing f32. fp32 and bf16 read
/// the features as they are; int8 reads them as u8 and holds s8 weights with a scale per class (1 MB instead of
/// 4, read for every frame), and scales the accumulator back to real values on the way out.
final class InnerProductLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ spec: FullyConnected, input: Activation, weights: PreparedWeights, context: DNNLContext) throws {
        name = spec.name
        let inputShape = input.memory.desc.shape
        // The weights are [outputs, inputs]; viewed as [outputs, C, H, W] they match the 4-D input directly.
        let weightShape = [spec.outputs] + inputShape.dropFirst()
        var sourceDesc = input.memory.desc
        let quantized = sourceDesc.dataType == dnnl_u8
        var quantization: (weightScales: [Float], biasScales: [Float])?
        var attributes: PrimitiveAttributes?
        if quantized {
            let scales = int8Scales(of: spec.name, outputChannels: spec.outputs, inputScale: input.scale,
                                    limit: saturationFreeWeightLimit, weights: weights)
            quantization = scales
            attributes = try PrimitiveAttributes(outputScales: scales.biasScales.map { 1 / $0 }, scaleMask: 1 << 1)
        }
        var weightDesc = try dnnl_memory_desc_t.make(weightShape, quantized ? dnnl_s8 : sourceDesc.dataType,
                                                     dnnl_format_tag_any)
        var biasDesc = try dnnl_memory_desc_t.float32([spec.outputs], dnnl_x)
        var destinationDesc = try dnnl_memory_desc_t.float32([inputShape[0], spec.outputs], dnnl_nc)
        var operation = dnnl_inner_product_desc_t()
        try check(dnnl_inner_product_forward_desc_init(&operation, dnnl_forward_inference, &sourceDesc, &weightDesc,
                                                       &biasDesc, &destinationDesc), "inner product \(spec.name)")
        let descriptor = try PrimitiveDescriptor(operation, attributes: attributes, context: context,
                                                 what: "inner product \(spec.name)")
        let memory = try Memory(destinationDesc, context: context)
        output = Activation(memory: memory, producer: spec.name, scale: 1)
        primitives = [(.innerProduct, try bindWithWeights(descriptor, layer: spec.name, weightShape: weightShape,
                                                          input: input.memory, output: memory,
                                                          quantization: quantization, weights: weights,
                                                          context: context))]
    }
}

/// Softmax over the classes of each image (f32).
final class SoftmaxLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(name: String, input: Activation, context: DNNLContext) throws {
        self.name = name
        var dataDesc = input.memory.desc
        var operation = dnnl_softmax_desc_t()
        try check(dnnl_softmax_forward_desc_init(&operation, dnnl_forward_inference, &dataDesc, 1), "softmax \(name)")
        let descriptor = try PrimitiveDescriptor(operation, context: context, what: "softmax \(name)")
        let memory = try Memory(input.memory.desc, context: context)
        output = Activation(memory: memory, producer: name, scale: 1)
        primitives = [(.softmax, try BoundPrimitive(descriptor, arguments: [(DNNL_ARG_SRC, input.memory), (DNNL_ARG_DST, memory)]))]
    }
}

/// A reorder that hands a layer its input in the element type and layout it reads (see `wantedInput`): f32 → u8
/// at the calibrated scale of the layer that wrote it, u8 → f32 (undoing the scale), f32 ↔ bf16, blocked ↔ nhwc.
final class ConversionLayer: EngineLayer {
    let name: String
    let output: Activation
    let primitives: [(kind: LayerKind, primitive: BoundPrimitive)]

    init(_ input: Activation, to desc: dnnl_memory_desc_t, weights: PreparedWeights, context: DNNLContext) throws {
        name = input.producer
        let scale = desc.dataType == dnnl_u8 ? try weights.quantizationScale(of: input.producer) : 1
        let memory = try Memory(desc, context: context)
        output = Activation(memory: memory, producer: input.producer, scale: scale)
        let factor = scale / input.scale
        primitives = [(.reorder, try reorder(from: input.memory, to: memory, scales: factor == 1 ? [] : [factor],
                                             context: context))]
    }
}

/// The memory `layer` needs its input in when `input` is not already that (see `EngineNumerics.inputType(of:)` and
/// `inputLayout(of:type:)`), or nil. A change of element type alone keeps the layout; the first convolution reads
/// the picture in the layout it comes in (oneDNN's first-layer kernels take NCHW, and the pixels are int8's own).
private func wantedInput(for layer: Layer, input: Activation, numerics: EngineNumerics) throws -> dnnl_memory_desc_t? {
    let current = input.memory.desc
    let type = numerics.inputType(of: layer) ?? current.dataType
    let isPicture = input.producer == PlanarPicture.producer || input.producer == PaddedPixels.producer
    var wanted = current
    wanted.data_type = type
    if !isPicture, let layout = numerics.inputLayout(of: layer, type: type) {
        wanted = try .make(current.shape, type, layout)
    }
    return wanted.isEqual(to: current) ? nil : wanted
}

/// Builds one inference layer of the architecture on `input`, converting the input first when the layer reads
/// another element type or layout (see `wantedInput`). Training-only layers are never passed here.
func buildLayer(_ layer: Layer, input: Activation, weights: PreparedWeights, context: DNNLContext) throws -> any EngineLayer {
    if let wanted = try wantedInput(for: layer, input: input, numerics: weights.numerics) {
        let conversion = try ConversionLayer(input, to: wanted, weights: weights, context: context)
        return ConvertedLayer(conversion: conversion,
                              layer: try buildLayer(layer, input: conversion.output, weights: weights, context: context))
    }
    switch layer {
    case .convolution(let spec) where input.producer == PaddedPixels.producer:
        return try PixelConvolutionLayer(spec, pixels: input, weights: weights, context: context)
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

/// A layer preceded by the conversion of its input: runs both, answers for the layer.
private struct ConvertedLayer: EngineLayer {
    let conversion: ConversionLayer
    let layer: any EngineLayer
    var name: String { layer.name }
    var output: Activation { layer.output }
    var primitives: [(kind: LayerKind, primitive: BoundPrimitive)] { conversion.primitives + layer.primitives }
    var innerLayers: [any EngineLayer] { layer.innerLayers }
}
