import CDNNL

/// Where the engine puts each picture (planar BGR minus the means, f32, as `InputSpec` makes it) for the first
/// layer to read.
protocol EngineInput {
    /// The memory the first layer reads, as an activation.
    var activation: Activation { get }
    /// Writes one picture (`GoogLeNetArchitecture.input.elementCount` floats) into `activation`'s memory.
    func load(_ picture: UnsafePointer<Float>)
}

/// The picture as it comes: f32, NCHW (fp32 and bf16).
struct PlanarPicture: EngineInput {
    let activation: Activation

    /// The producer name of `activation`: the first convolution reads it in its own layout (see `buildLayer`).
    static let producer = "data"

    init(context: DNNLContext) throws {
        let shape = GoogLeNetArchitecture.input
        let memory = try Memory(.float32([1, shape.channels, shape.height, shape.width], dnnl_nchw), context: context)
        activation = Activation(memory: memory, producer: Self.producer, scale: 1)
    }

    func load(_ picture: UnsafePointer<Float>) {
        activation.memory.data.copyMemory(from: picture, byteCount: GoogLeNetArchitecture.input.elementCount * MemoryLayout<Float>.size)
    }
}

/// The picture as u8 pixels for int8's first convolution (`PixelConvolutionLayer`): each value plus its channel's
/// mean, rounded to a whole grey level and clamped to 0…255 (a decoded picture's values are whole grey levels
/// already, so this loses nothing), nhwc, inside a border of `border` pixels on every side that holds the means.
/// The border is the convolution's padding: a mean is the zero of the mean-subtracted picture, so the
/// convolution runs without padding of its own and gives the padded answer. The border is written once.
struct PaddedPixels: EngineInput {
    /// The producer name of `activation`, by which `buildLayer` knows the convolution reading it.
    static let producer = "pixels"
    /// The channel means in the picture's channel order (BGR).
    static let means: [Float] = [GoogLeNetArchitecture.meanBGR.blue, GoogLeNetArchitecture.meanBGR.green,
                                 GoogLeNetArchitecture.meanBGR.red]

    let activation: Activation
    let border: Int
    /// One row of the picture as u8, channel after channel, before `load` interleaves it into `activation`.
    private let rowPlanes: AlignedBuffer

    init(border: Int, context: DNNLContext) throws {
        self.border = border
        let picture = GoogLeNetArchitecture.input
        rowPlanes = AlignedBuffer(byteCount: picture.channels * picture.width)
        let memory = try Memory(.make([1, picture.channels, picture.height + 2 * border, picture.width + 2 * border],
                                      dnnl_u8, dnnl_nhwc), context: context)
        activation = Activation(memory: memory, producer: Self.producer, scale: 1)
        precondition(picture.width % Lanes.scalarCount == 0, "load converts whole groups of lanes")
        let pixels = memory.data.assumingMemoryBound(to: UInt8.self)
        let means = Self.means.map { Self.greyLevels(Lanes(repeating: $0))[0] }
        for position in 0..<(picture.height + 2 * border) * (picture.width + 2 * border) {
            for channel in 0..<picture.channels { pixels[position * picture.channels + channel] = means[channel] }
        }
    }

    func load(_ picture: UnsafePointer<Float>) {
        let shape = GoogLeNetArchitecture.input
        let (channels, height, width) = (shape.channels, shape.height, shape.width)
        let pixels = activation.memory.data.assumingMemoryBound(to: UInt8.self)
        let planes = rowPlanes.pointer.assumingMemoryBound(to: UInt8.self)
        for row in 0..<height {
            for channel in 0..<channels {
                let source = UnsafeRawPointer(picture + (channel * height + row) * width)
                let mean = Lanes(repeating: Self.means[channel])
                for column in stride(from: 0, to: width, by: Lanes.scalarCount) {
                    let levels = Self.greyLevels(source.loadUnaligned(fromByteOffset: column * MemoryLayout<Float>.size,
                                                                      as: Lanes.self) + mean)
                    UnsafeMutableRawPointer(planes + channel * width + column).storeBytes(of: levels, as: SIMD16<UInt8>.self)
                }
            }
            let destination = pixels + ((row + border) * (width + 2 * border) + border) * channels
            for column in 0..<width {
                for channel in 0..<channels { destination[column * channels + channel] = planes[channel * width + column] }
            }
        }
    }

    /// The floats `load` converts at a time; the picture's width is a multiple of it.
    private typealias Lanes = SIMD16<Float>

    /// `values` rounded to the nearest whole grey levels (ties to even), clamped to 0…255 (NaN to 0). Adding
    /// 1.5 × 2^23 to a float in 0…255 rounds it to a whole number held in the low bits of the sum's pattern.
    private static func greyLevels(_ values: Lanes) -> SIMD16<UInt8> {
        var clamped = values
        clamped.replace(with: 0, where: .!(clamped .>= 0))
        clamped.replace(with: 255, where: clamped .> 255)
        return SIMD16<UInt8>(truncatingIfNeeded: unsafeBitCast(clamped + 0x1.8p23, to: SIMD16<UInt32>.self))
    }
}
