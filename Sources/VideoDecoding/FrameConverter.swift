import CFFmpeg

/// Turns decoded frames of any pixel format into `InputSpec` tensors, one libswscale pass per crop.
///
/// A crop costs nothing: the source plane pointers are offset to the crop's corner (as FFmpeg's `crop` filter
/// does), so swscale reads only the crop. swscale scales it (bilinear) straight into the tensor's three planes
/// as planar float RGB (`GBRPF32`, the destination pointers placed so that the planes come out blue, green,
/// red); a last in-place pass maps 0–1 to 0–255 minus the mean. There is no full-frame copy. One converter per
/// thread; it keeps a swscale context per crop size while the source's format holds.
final class FrameConverter {
    let spec: InputSpec
    private var scaleContexts: [SourceGeometry: OpaquePointer] = [:]

    /// What a swscale context depends on.
    private struct SourceGeometry: Hashable {
        var width: Int32
        var height: Int32
        var format: Int32
        var colorspace: AVColorSpace.RawValue
        var fullRange: Bool
    }

    init(spec: InputSpec) {
        self.spec = spec
    }

    deinit { for context in scaleContexts.values { sws_freeContext(context) } }

    /// Converts `frame` into the tensors of each of `views` (one per crop; `spec.elementCount` floats each,
    /// planar B, G, R minus mean).
    func views(of frame: UnsafePointer<AVFrame>, _ views: [FrameView]) throws(ConversionError) -> [SampledView] {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        var converted: [SampledView] = []
        converted.reserveCapacity(views.count)
        for view in views {
            var crops: [[Float]] = []
            for crop in view.crops(width: width, height: height, centerFraction: spec.cropFraction) {
                crops.append(try tensor(from: frame, crop: crop))
            }
            converted.append(SampledView(name: view.name, crops: crops))
        }
        return converted
    }

    private func tensor(from frame: UnsafePointer<AVFrame>, crop: PixelRect) throws(ConversionError) -> [Float] {
        var failure: ConversionError?
        let tensor = [Float](unsafeUninitializedCapacity: spec.elementCount) { buffer, count in
            do throws(ConversionError) { try convert(frame, crop: crop, into: buffer) } catch { failure = error }
            count = spec.elementCount
        }
        if let failure { throw failure }
        return tensor
    }

    /// Converts the `crop` of `frame` into `tensor`, which must hold `spec.elementCount` floats.
    private func convert(
        _ frame: UnsafePointer<AVFrame>, crop: PixelRect, into tensor: UnsafeMutableBufferPointer<Float>
    ) throws(ConversionError) {
        precondition(tensor.count == spec.elementCount, "tensor size does not match the input spec")
        let format = AVPixelFormat(frame.pointee.format)
        guard let descriptor = av_pix_fmt_desc_get(format), sws_isSupportedInput(format) > 0,
              descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_HWACCEL) == 0 else {
            throw .unsupportedPixelFormat(Self.name(of: format))
        }
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        guard crop.width > 0, crop.height > 0 else { throw .emptyPicture(width: width, height: height) }

        // The crop's corner, aligned so that every plane (subsampled chroma, 1-bit formats) starts on a whole sample.
        let isBitstream = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_BITSTREAM) != 0
        let alignX = max(1 << Int(descriptor.pointee.log2_chroma_w), isBitstream ? 8 : 1)
        let alignY = 1 << Int(descriptor.pointee.log2_chroma_h)
        let cropX = crop.x / alignX * alignX
        let cropY = crop.y / alignY * alignY
        let cropWidth = min(crop.width, width - cropX), cropHeight = min(crop.height, height - cropY)

        let scaler = try scaler(for: frame, format: format, width: cropWidth, height: cropHeight)
        var source = Self.planes(of: frame, descriptor: descriptor, cropX: cropX, cropY: cropY, isBitstream: isBitstream)
        var sourceStrides = (0..<4).map { element($0, of: frame.pointee.linesize) }

        let plane = spec.size * spec.size
        let base = tensor.baseAddress!
        // GBRP order is green, blue, red; the tensor wants blue, green, red.
        let destination: [UnsafeMutablePointer<UInt8>?] = [
            UnsafeMutableRawPointer(base + plane).assumingMemoryBound(to: UInt8.self),
            UnsafeMutableRawPointer(base).assumingMemoryBound(to: UInt8.self),
            UnsafeMutableRawPointer(base + 2 * plane).assumingMemoryBound(to: UInt8.self),
            nil,
        ]
        let rowBytes = Int32(spec.size * MemoryLayout<Float>.stride)
        let destinationStrides: [Int32] = [rowBytes, rowBytes, rowBytes, 0]
        let rows = source.withUnsafeMutableBufferPointer { sourcePlanes in
            sourceStrides.withUnsafeMutableBufferPointer { strides in
                sourcePlanes.baseAddress!.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 4) { planes in
                    sws_scale(scaler, planes, strides.baseAddress, 0, Int32(cropHeight), destination, destinationStrides)
                }
            }
        }
        guard rows == Int32(spec.size) else { throw .scaleFailed(Self.name(of: format)) }

        let means = [spec.meanBGR.blue, spec.meanBGR.green, spec.meanBGR.red]
        for channel in 0..<3 {
            let mean = means[channel]
            let values = UnsafeMutableBufferPointer(rebasing: tensor[channel * plane..<(channel + 1) * plane])
            for index in values.indices { values[index] = values[index] * 255 - mean }
        }
    }

    /// The frame's plane pointers moved to the crop's corner (FFmpeg's `crop` filter does the same).
    private static func planes(
        of frame: UnsafePointer<AVFrame>, descriptor: UnsafePointer<AVPixFmtDescriptor>,
        cropX: Int, cropY: Int, isBitstream: Bool
    ) -> [UnsafeMutablePointer<UInt8>?] {
        var steps = [Int32](repeating: 0, count: 4)
        av_image_fill_max_pixsteps(&steps, nil, descriptor)
        let isPaletted = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_PAL) != 0
        let chromaShiftX = Int(descriptor.pointee.log2_chroma_w), chromaShiftY = Int(descriptor.pointee.log2_chroma_h)
        return (0..<4).map { index in
            guard let plane = element(index, of: frame.pointee.data) else { return nil }
            // Planes 1 and 2 are chroma (subsampled); plane 3 is alpha. A palette (plane 1) is not moved.
            if isPaletted && index == 1 { return plane }
            let isChroma = index == 1 || index == 2
            let x = isChroma ? cropX >> chromaShiftX : cropX
            let y = isChroma ? cropY >> chromaShiftY : cropY
            let columnBytes = isBitstream ? x * Int(steps[index]) / 8 : x * Int(steps[index])
            return plane + y * Int(element(index, of: frame.pointee.linesize)) + columnBytes
        }
    }

    private func scaler(
        for frame: UnsafePointer<AVFrame>, format: AVPixelFormat, width: Int, height: Int
    ) throws(ConversionError) -> OpaquePointer {
        let (inputFormat, fullRange) = Self.normalizedFormat(format, range: frame.pointee.color_range)
        let wanted = SourceGeometry(
            width: Int32(width), height: Int32(height), format: format.rawValue,
            colorspace: frame.pointee.colorspace.rawValue, fullRange: fullRange)
        if let context = scaleContexts[wanted] { return context }
        if scaleContexts.count >= 16 {
            // A source whose format keeps changing: start afresh rather than collect contexts.
            for context in scaleContexts.values { sws_freeContext(context) }
            scaleContexts = [:]
        }
        let size = Int32(spec.size)
        let flags = Int32(SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT)
        guard let context = sws_getContext(
            Int32(width), Int32(height), inputFormat, size, size, AV_PIX_FMT_GBRPF32LE, flags, nil, nil, nil)
        else { throw .scaleFailed(Self.name(of: format)) }
        scaleContexts[wanted] = context

        // Colour matrix and range: the frame's own (as ffmpeg's scale filter does), BT.601 if unspecified.
        let colorspace = frame.pointee.colorspace
        let matrix = colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : Int32(colorspace.rawValue)
        let coefficients = sws_getCoefficients(matrix)
        let outputCoefficients = sws_getCoefficients(SWS_CS_DEFAULT)
        sws_setColorspaceDetails(context, coefficients, fullRange ? 1 : 0, outputCoefficients, 1, 0, 1 << 16, 1 << 16)
        return context
    }

    /// swscale wants the deprecated full-range `yuvj*` formats as their plain twins plus a range flag.
    static func normalizedFormat(_ format: AVPixelFormat, range: AVColorRange) -> (AVPixelFormat, Bool) {
        switch format {
        case AV_PIX_FMT_YUVJ420P: (AV_PIX_FMT_YUV420P, true)
        case AV_PIX_FMT_YUVJ422P: (AV_PIX_FMT_YUV422P, true)
        case AV_PIX_FMT_YUVJ444P: (AV_PIX_FMT_YUV444P, true)
        case AV_PIX_FMT_YUVJ440P: (AV_PIX_FMT_YUV440P, true)
        case AV_PIX_FMT_YUVJ411P: (AV_PIX_FMT_YUV411P, true)
        default: (format, range == AVCOL_RANGE_JPEG)
        }
    }

    static func name(of format: AVPixelFormat) -> String {
        av_get_pix_fmt_name(format).map { String(cString: $0) } ?? "pixel format \(format.rawValue)"
    }
}

/// Why a decoded frame could not be converted to a tensor.
enum ConversionError: Error, CustomStringConvertible {
    case unsupportedPixelFormat(String)
    case emptyPicture(width: Int, height: Int)
    case scaleFailed(String)

    var description: String {
        switch self {
        case .unsupportedPixelFormat(let name): "frames in pixel format \(name) cannot be converted"
        case .emptyPicture(let width, let height): "the picture is empty (\(width)×\(height))"
        case .scaleFailed(let name): "swscale could not convert a \(name) frame"
        }
    }
}

/// Element `index` of one of FFmpeg's fixed arrays (`data[8]`, `linesize[8]`), which Swift imports as tuples.
func element<T>(_ index: Int, of array: (T, T, T, T, T, T, T, T)) -> T {
    withUnsafeBytes(of: array) { $0.load(fromByteOffset: index * MemoryLayout<T>.stride, as: T.self) }
}
