import CDNNL
import Foundation

/// GoogLeNet inference for one worker: a oneDNN engine and stream, every layer's primitives and the activation
/// memory. Built once from the process's `PreparedWeights` (whose reordered weights all engines share, and whose
/// precision the engine computes at), then run over and over on batches of `batchSize` preprocessed images (see
/// `GoogLeNetArchitecture.cropFraction`). Input and output are f32 at every precision.
///
/// The primitives are built for one image and a batch runs through them image by image: with one thread per
/// engine oneDNN's convolutions loop over the images anyway, and one image per buffer is what lets the
/// Inception branches write straight into their concatenation (see `InceptionLayer`).
///
/// Threading is explicit: each call runs on the calling thread with `threads` OpenMP threads (default 1), so
/// N engines on N worker threads use N cores without oversubscription. An engine may be handed to another
/// thread, and calls are serialised by a lock, hence `@unchecked Sendable`; for throughput give each worker its own.
package final class GoogLeNetEngine: @unchecked Sendable {
    package let batchSize: Int
    package let threads: Int
    package let precision: Precision
    private let context: DNNLContext
    private let input: any EngineInput
    private let layers: [any EngineLayer]
    private let steps: [(kind: LayerKind, primitive: BoundPrimitive)]
    private let probabilities: Activation
    /// The classifier's input (pool5: the 7×7 average pool's 1024 values; dropout is the identity at inference)
    /// and the reorder that copies it out as plain f32, run only when asked for.
    private let features: FeatureReadout
    private let lock = NSLock()
    private var profile = LayerProfile()

    /// Images per call × floats per image.
    package var inputElementCount: Int { batchSize * GoogLeNetArchitecture.input.elementCount }

    package init(weights: PreparedWeights, batchSize: Int = 1, threads: Int = 1) throws {
        precondition(batchSize >= 1 && threads >= 1, "batch size and threads must be at least 1")
        self.batchSize = batchSize
        self.threads = threads
        precision = weights.precision
        try CPUSupport.require(precision)
        omp_set_num_threads(Int32(threads))
        context = try DNNLContext()
        input = try Self.input(for: weights.numerics, context: context)
        var layers: [any EngineLayer] = []
        var current = input.activation
        var classifierInput: Activation?
        for (layer, _) in GoogLeNetArchitecture.inferenceLayers {
            if case .fullyConnected = layer { classifierInput = current }
            let built = try buildLayer(layer, input: current, weights: weights, context: context)
            layers.append(built)
            current = built.output
        }
        self.layers = layers
        steps = layers.flatMap(\.primitives)
        probabilities = current
        guard let classifierInput else { preconditionFailure("GoogLeNet ends in a classifier") }
        features = try FeatureReadout(classifierInput, context: context)
    }

    /// Runs the network on `batchSize` images (planar BGR-minus-mean, `inputElementCount` floats) and returns
    /// `batchSize` × 1000 class probabilities.
    package func classify(_ images: UnsafeBufferPointer<Float>) throws -> [Float] {
        try withLock { try run(images, images: batchSize, profiling: false).probabilities }
    }

    package func classify(_ images: [Float]) throws -> [Float] {
        try images.withUnsafeBufferPointer { try classify($0) }
    }

    /// Runs the network on each image of `batch` (any number, each `GoogLeNetArchitecture.input.elementCount`
    /// floats) and returns each image's 1000 class probabilities, in order.
    package func classify(batch: [[Float]]) throws -> [[Float]] {
        try withLock {
            try batch.map { image in try image.withUnsafeBufferPointer { try run($0, images: 1, profiling: false).probabilities } }
        }
    }

    /// Runs the network on each image of `batch` (any number, each `GoogLeNetArchitecture.input.elementCount`
    /// floats) and returns each image's 1000 class probabilities and its pool5 features (the 1024 values the
    /// classifier reads), in order, at the engine's precision. The same probabilities as `classify(batch:)`.
    package func classifyWithFeatures(batch: [[Float]]) throws -> [ImageAnswer] {
        try withLock {
            try batch.map { image in
                let answer = try image.withUnsafeBufferPointer { try run($0, images: 1, profiling: false, features: true) }
                return ImageAnswer(probabilities: answer.probabilities, features: answer.features)
            }
        }
    }

    /// Pool5 features per image (1024).
    package var featureCount: Int { features.count }

    /// Like `classify`, and also adds the time each kind of layer took to `profile`.
    package func classify(_ images: UnsafeBufferPointer<Float>, profile: inout LayerProfile) throws -> [Float] {
        try withLock {
            self.profile = profile
            defer { profile = self.profile }
            return try run(images, images: batchSize, profiling: true).probabilities
        }
    }

    /// Runs the network on one image and returns the named layers' outputs in plain CHW order as real values
    /// (u8 activations divided by their scale), for checking intermediate activations and for calibration.
    /// Names are `GoogLeNetArchitecture.layers` names, e.g. `conv1/7x7_s2`, `pool1/norm1`, `inception_3a`,
    /// `pool5/7x7_s1`, `prob`, or of layers inside a module, e.g. `inception_3a/3x3_reduce`.
    package func activations(_ image: [Float], of names: Set<String>) throws -> [String: [Float]] {
        try withLock {
            try image.withUnsafeBufferPointer { _ = try run($0, images: 1, profiling: false) }
            let all = Self.flattened(layers)
            var result: [String: [Float]] = [:]
            for name in names {
                guard let layer = all.first(where: { $0.name == name }) else {
                    throw EngineError(message: "no layer named \(name); layers: \(all.map(\.name).joined(separator: ", "))")
                }
                result[name] = try readPlain(layer.output)
            }
            return result
        }
    }

    /// The names of every layer whose output `activations(_:of:)` can return, in execution order.
    package var layerNames: [String] { Self.flattened(layers).map(\.name) }

    /// Where each picture goes: int8's first convolution reads u8 pixels inside a border as wide as its padding
    /// (`PaddedPixels`), fp32 and bf16 read the picture as it comes.
    private static func input(for numerics: EngineNumerics, context: DNNLContext) throws -> any EngineInput {
        guard case .int8 = numerics, case .convolution(let first) = GoogLeNetArchitecture.inferenceLayers[0].layer else {
            return try PlanarPicture(context: context)
        }
        return try PaddedPixels(border: first.padding, context: context)
    }

    private static func flattened(_ layers: [any EngineLayer]) -> [any EngineLayer] {
        layers.flatMap { flattened($0.innerLayers) + [$0] }
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `count` images; returns their probabilities and, when `features` is set, their pool5 features
    /// (empty otherwise), each image after the other.
    private func run(_ images: UnsafeBufferPointer<Float>, images count: Int, profiling: Bool,
                     features wantFeatures: Bool = false) throws -> (probabilities: [Float], features: [Float]) {
        let imageSize = GoogLeNetArchitecture.input.elementCount
        guard images.count == count * imageSize else {
            throw EngineError(message: "input has \(images.count) floats, \(count) image(s) need \(count * imageSize)")
        }
        omp_set_num_threads(Int32(threads))
        var probabilities: [Float] = [], features: [Float] = []
        probabilities.reserveCapacity(count * GoogLeNetArchitecture.classCount)
        for image in 0..<count {
            try timed(.reorder, profiling) { input.load(images.baseAddress! + image * imageSize) }
            for step in steps {
                try timed(step.kind, profiling) { try step.primitive.execute(on: context) }
            }
            if wantFeatures { try self.features.primitive.execute(on: context) }
            try context.wait()
            probabilities += try readPlain(self.probabilities)
            if wantFeatures { features += self.features.values }
        }
        return (probabilities, features)
    }

    /// Runs `work`; when `profiling`, waits for the stream and adds the time taken to `kind`'s in the profile.
    private func timed(_ kind: LayerKind, _ profiling: Bool, _ work: () throws -> Void) throws {
        guard profiling else { return try work() }
        let start = DispatchTime.now().uptimeNanoseconds
        try work()
        try context.wait()
        profile.add(kind, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Copies an activation out as f32 in plain row-major order (a reorder if oneDNN chose a blocked layout or
    /// another element type; u8 values are divided by their scale).
    private func readPlain(_ activation: Activation) throws -> [Float] {
        let memory = activation.memory
        let shape = memory.desc.shape
        let plainDesc = try dnnl_memory_desc_t.float32(shape, shape.count == 4 ? dnnl_nchw : dnnl_nc)
        let count = shape.reduce(1, *)
        if memory.desc.isEqual(to: plainDesc) {
            return Array(UnsafeBufferPointer(start: memory.data.assumingMemoryBound(to: Float.self), count: count))
        }
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let plain = try Memory(view: plainDesc, over: UnsafeMutableRawPointer(buffer.baseAddress!), context: context)
            let scales = activation.scale == 1 ? [] : [1 / activation.scale]
            try reorder(from: memory, to: plain, scales: scales, context: context).execute(on: context)
            try context.wait()
            initialized = count
        }
    }
}

/// One image's answer with its features: the 1000 class probabilities and the 1024 pool5 values (GoogLeNet's
/// 7×7 average pool, the classifier's input), both f32 at every precision.
package struct ImageAnswer: Sendable, Equatable {
    package let probabilities: [Float]
    package let features: [Float]
}

/// The classifier's input copied out as plain f32 (a reorder from the engine's layout and element type into a
/// buffer of its own, built once), for `classifyWithFeatures`.
private struct FeatureReadout {
    let primitive: BoundPrimitive
    let plain: Memory
    let count: Int

    init(_ activation: Activation, context: DNNLContext) throws {
        let shape = activation.memory.desc.shape
        count = shape.dropFirst().reduce(1, *)
        plain = try Memory(.float32(shape, shape.count == 4 ? dnnl_nchw : dnnl_nc), context: context)
        let scales = activation.scale == 1 ? [] : [1 / activation.scale]
        primitive = try reorder(from: activation.memory, to: plain, scales: scales, context: context)
    }

    /// The values the last `primitive` run copied out.
    var values: [Float] { Array(UnsafeBufferPointer(start: plain.data.assumingMemoryBound(to: Float.self), count: count)) }
}

/// Time spent per kind of layer, summed over profiled runs.
package struct LayerProfile: Sendable {
    package private(set) var seconds: [LayerKind: Double] = [:]

    package init() {}

    mutating func add(_ kind: LayerKind, seconds elapsed: Double) { seconds[kind, default: 0] += elapsed }

    /// Sums two profiles (e.g. from several workers).
    package mutating func merge(_ other: LayerProfile) {
        seconds.merge(other.seconds, uniquingKeysWith: +)
    }
}

/// Misuse of an engine (wrong input size, unknown layer name).
package struct EngineError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
