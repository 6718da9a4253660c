package import CFFmpeg
package import Foundation

/// A small copy of a decoded frame, made on the decoder's thread so that it can be encoded as JPEG later, on
/// another thread, only if it is wanted: planar YUV 4:2:0 in JPEG's colours (BT.601, full range), rows packed.
package struct ThumbnailPicture: Sendable, Hashable {
    package let width: Int
    package let height: Int
    /// The Y plane (`width` × `height` bytes), then Cb and Cr (`chromaWidth` × `chromaHeight` bytes each).
    package let planes: [UInt8]

    /// A picture from its packed planes: Y (`width` × `height`), then Cb and Cr (`chromaWidth` × `chromaHeight`).
    package init(width: Int, height: Int, planes: [UInt8]) {
        self.width = width
        self.height = height
        self.planes = planes
    }

    package var chromaWidth: Int { (width + 1) / 2 }
    package var chromaHeight: Int { (height + 1) / 2 }

    /// Byte offset and row length (= stride) of plane 0 (Y), 1 (Cb) or 2 (Cr) in `planes`.
    func layout(ofPlane index: Int) -> (offset: Int, rowBytes: Int, rows: Int) {
        let luma = width * height, chroma = chromaWidth * chromaHeight
        switch index {
        case 0: return (0, width, height)
        case 1: return (luma, chromaWidth, chromaHeight)
        default: return (luma + chroma, chromaWidth, chromaHeight)
        }
    }
}

/// Scales decoded frames of any pixel format into `ThumbnailPicture`s at most `maximumWidth` pixels wide, the
/// displayed aspect ratio kept (sample aspect ratio applied, never enlarged). One libswscale pass (bilinear,
/// which filters properly when shrinking) into a reused aligned frame, then one copy into the packed planes.
/// One scaler per thread; it keeps its swscale context while the source geometry holds.
package final class ThumbnailScaler {
    package static let defaultWidth = 320
    package let maximumWidth: Int
    private var scaleContext: OpaquePointer?
    private var geometry: Geometry?
    private var scaled: UnsafeMutablePointer<AVFrame>?

    private struct Geometry: Equatable {
        var sourceWidth: Int32, sourceHeight: Int32, format: Int32
        var colorspace: AVColorSpace.RawValue, fullRange: Bool
        var width: Int32, height: Int32
    }

    package init(maximumWidth: Int = ThumbnailScaler.defaultWidth) {
        precondition(maximumWidth > 0, "a thumbnail is at least one pixel wide")
        self.maximumWidth = maximumWidth
    }

    deinit {
        sws_freeContext(scaleContext)
        av_frame_free(&scaled)
    }

    /// The size of the thumbnail of a `width` × `height` frame whose pixels are `sampleAspect` wide (1 = square).
    package func size(width: Int, height: Int, sampleAspect: Double) -> (width: Int, height: Int) {
        let aspect = sampleAspect.isFinite && sampleAspect > 0 ? sampleAspect : 1
        let displayWidth = Double(width) * aspect
        let thumbnailWidth = max(1, min(maximumWidth, Int(displayWidth.rounded())))
        let thumbnailHeight = max(1, Int((Double(thumbnailWidth) * Double(height) / displayWidth).rounded()))
        return (thumbnailWidth, thumbnailHeight)
    }

    /// A scaled copy of `frame`.
    package func picture(of frame: UnsafePointer<AVFrame>) throws(ThumbnailError) -> ThumbnailPicture {
        let format = AVPixelFormat(frame.pointee.format)
        guard let descriptor = av_pix_fmt_desc_get(format), sws_isSupportedInput(format) > 0,
              descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_HWACCEL) == 0 else {
            throw .unsupportedPixelFormat(FrameConverter.name(of: format))
        }
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        guard width > 0, height > 0 else { throw .emptyPicture(width: width, height: height) }
        let sar = frame.pointee.sample_aspect_ratio
        let size = size(width: width, height: height, sampleAspect: sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1)

        let (context, target) = try prepare(for: frame, format: format, width: Int32(size.width), height: Int32(size.height))
        let sourcePlanes: [UnsafePointer<UInt8>?] = (0..<4).map { element($0, of: frame.pointee.data).map { UnsafePointer($0) } }
        let sourceStrides = (0..<4).map { element($0, of: frame.pointee.linesize) }
        let targetPlanes = (0..<4).map { element($0, of: target.pointee.data) }
        let targetStrides = (0..<4).map { element($0, of: target.pointee.linesize) }
        let rows = sws_scale(context, sourcePlanes, sourceStrides, 0, frame.pointee.height, targetPlanes, targetStrides)
        guard rows == Int32(size.height) else { throw .scaleFailed(FrameConverter.name(of: format)) }

        let shape = ThumbnailPicture(width: size.width, height: size.height, planes: [])
        let total = shape.layout(ofPlane: 2).offset + shape.chromaWidth * shape.chromaHeight
        var planes = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            for index in 0..<3 {
                let (offset, rowBytes, rowCount) = shape.layout(ofPlane: index)
                av_image_copy_plane(buffer.baseAddress! + offset, Int32(rowBytes), element(index, of: target.pointee.data),
                                    element(index, of: target.pointee.linesize), Int32(rowBytes), Int32(rowCount))
            }
            count = total
        }
        if Self.keepsVideoRange(descriptor, fullRange: FrameConverter.normalizedFormat(format, range: frame.pointee.color_range).1) {
            Self.expandToFullRange(&planes, lumaCount: size.width * size.height)
        }
        return ThumbnailPicture(width: size.width, height: size.height, planes: planes)
    }

    /// swscale (FFmpeg 5) does not apply a range change to YUV sources deeper than 8 bits when it is set after
    /// the context is made (`sws_setColorspaceDetails`): their output keeps video range (16–235), and is expanded here.
    private static func keepsVideoRange(_ descriptor: UnsafePointer<AVPixFmtDescriptor>, fullRange: Bool) -> Bool {
        let isRGB = descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) != 0
        return !fullRange && !isRGB && descriptor.pointee.nb_components >= 2 && descriptor.pointee.comp.0.depth > 8
    }

    /// Video range (Y 16–235, Cb/Cr 16–240) to JPEG's full range (0–255), in place.
    private static func expandToFullRange(_ planes: inout [UInt8], lumaCount: Int) {
        var luma = [UInt8](repeating: 0, count: 256)
        var chroma = [UInt8](repeating: 0, count: 256)
        for value in 0..<256 {
            let y = (Double(value) - 16) * 255 / 219
            let c = (Double(value) - 128) * 255 / 224 + 128
            luma[value] = UInt8(min(255, max(0, y.rounded())))
            chroma[value] = UInt8(min(255, max(0, c.rounded())))
        }
        for index in 0..<lumaCount { planes[index] = luma[Int(planes[index])] }
        for index in lumaCount..<planes.count { planes[index] = chroma[Int(planes[index])] }
    }

    /// The swscale context and the aligned destination frame for this source and size, reused while they hold.
    private func prepare(for frame: UnsafePointer<AVFrame>, format: AVPixelFormat, width: Int32, height: Int32)
        throws(ThumbnailError) -> (OpaquePointer, UnsafeMutablePointer<AVFrame>)
    {
        let (inputFormat, fullRange) = FrameConverter.normalizedFormat(format, range: frame.pointee.color_range)
        let wanted = Geometry(
            sourceWidth: frame.pointee.width, sourceHeight: frame.pointee.height, format: format.rawValue,
            colorspace: frame.pointee.colorspace.rawValue, fullRange: fullRange, width: width, height: height)
        if let scaleContext, let scaled, geometry == wanted { return (scaleContext, scaled) }

        guard let context = sws_getCachedContext(
            scaleContext, frame.pointee.width, frame.pointee.height, inputFormat, width, height, AV_PIX_FMT_YUV420P,
            Int32(SWS_BILINEAR | SWS_ACCURATE_RND), nil, nil, nil)
        else { throw .scaleFailed(FrameConverter.name(of: format)) }
        scaleContext = context
        // Source colours as the frame says (BT.601 if unspecified); JPEG's are BT.601, full range.
        let colorspace = frame.pointee.colorspace
        let matrix = colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : Int32(colorspace.rawValue)
        sws_setColorspaceDetails(context, sws_getCoefficients(matrix), fullRange ? 1 : 0,
                                 sws_getCoefficients(SWS_CS_ITU601), 1, 0, 1 << 16, 1 << 16)

        av_frame_free(&scaled)
        guard let target = av_frame_alloc() else { throw .outOfMemory }
        scaled = target
        target.pointee.width = width
        target.pointee.height = height
        target.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        guard av_frame_get_buffer(target, 0) >= 0 else { throw .outOfMemory }
        geometry = wanted
        return (context, target)
    }
}

/// Encodes thumbnails as baseline JPEG files with FFmpeg's own MJPEG encoder (libavcodec; optimal Huffman
/// tables). One encoder per thread: it keeps one codec context per picture size and a `ThumbnailScaler` for
/// `jpeg(of:)` on decoded frames.
package final class ThumbnailEncoder {
    /// The default quantiser scale: 2 (best, largest) to 31 (worst, smallest).
    package static let defaultQuality = 5
    package let quality: Int
    package let scaler: ThumbnailScaler
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var codecSize: (width: Int, height: Int)?
    private var picture: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var nextPts: Int64 = 0

    package init(quality: Int = ThumbnailEncoder.defaultQuality, scaler: ThumbnailScaler = ThumbnailScaler()) {
        precondition((2...31).contains(quality), "MJPEG quantiser scales run from 2 to 31")
        self.quality = quality
        self.scaler = scaler
    }

    deinit {
        avcodec_free_context(&codecContext)
        av_frame_free(&picture)
        av_packet_free(&packet)
    }

    /// A JPEG of a decoded frame of any pixel format, `scaler.maximumWidth` pixels wide at most.
    package func jpeg(of frame: UnsafePointer<AVFrame>) throws(ThumbnailError) -> (picture: ThumbnailPicture, jpeg: Data) {
        let picture = try scaler.picture(of: frame)
        return (picture, try jpeg(of: picture))
    }

    /// The JPEG file of `thumbnail` (`thumbnail.width` × `thumbnail.height` pixels).
    package func jpeg(of thumbnail: ThumbnailPicture) throws(ThumbnailError) -> Data {
        let (context, frame, packet) = try prepare(width: thumbnail.width, height: thumbnail.height)
        guard av_frame_make_writable(frame) >= 0 else { throw .outOfMemory }
        thumbnail.planes.withUnsafeBufferPointer { planes in
            for index in 0..<3 {
                let (offset, rowBytes, rows) = thumbnail.layout(ofPlane: index)
                av_image_copy_plane(element(index, of: frame.pointee.data), element(index, of: frame.pointee.linesize),
                                    planes.baseAddress! + offset, Int32(rowBytes), Int32(rowBytes), Int32(rows))
            }
        }
        frame.pointee.quality = context.pointee.global_quality
        frame.pointee.pts = nextPts
        nextPts += 1
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 else { throw .encodeFailed(DecodingError.message(forFFmpegCode: sent)) }
        let received = avcodec_receive_packet(context, packet)
        guard received >= 0 else { throw .encodeFailed(DecodingError.message(forFFmpegCode: received)) }
        defer { av_packet_unref(packet) }
        return Data(bytes: packet.pointee.data, count: Int(packet.pointee.size))
    }

    /// The encoder and its input frame for pictures of this size (made again when the size changes).
    private func prepare(width: Int, height: Int) throws(ThumbnailError)
        -> (UnsafeMutablePointer<AVCodecContext>, UnsafeMutablePointer<AVFrame>, UnsafeMutablePointer<AVPacket>)
    {
        if packet == nil { packet = av_packet_alloc() }
        guard let packet else { throw .outOfMemory }
        if let codecContext, let picture, let codecSize, codecSize == (width, height) {
            return (codecContext, picture, packet)
        }
        avcodec_free_context(&codecContext)
        av_frame_free(&picture)
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { throw .encodeFailed("FFmpeg has no MJPEG encoder") }
        guard let context = avcodec_alloc_context3(codec), let frame = av_frame_alloc() else { throw .outOfMemory }
        codecContext = context
        picture = frame
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        // The deprecated full-range format is what every FFmpeg's MJPEG encoder takes without `strict` settings.
        context.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
        context.pointee.global_quality = Int32(FF_QP2LAMBDA) * Int32(quality)
        context.pointee.thread_count = 1
        let opened = avcodec_open2(context, codec, nil)
        guard opened >= 0 else { throw .encodeFailed(DecodingError.message(forFFmpegCode: opened)) }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else { throw .outOfMemory }
        codecSize = (width, height)
        return (context, frame, packet)
    }
}

/// Why a thumbnail could not be made.
package enum ThumbnailError: Error, CustomStringConvertible, Equatable {
    case unsupportedPixelFormat(String)
    case emptyPicture(width: Int, height: Int)
    case scaleFailed(String)
    case encodeFailed(String)
    case outOfMemory

    package var description: String {
        switch self {
        case .unsupportedPixelFormat(let name): "frames in pixel format \(name) cannot be made into thumbnails"
        case .emptyPicture(let width, let height): "the picture is empty (\(width)×\(height))"
        case .scaleFailed(let name): "swscale could not scale a \(name) frame"
        case .encodeFailed(let reason): "the MJPEG encoder failed: \(reason)"
        case .outOfMemory: "out of memory while making a thumbnail"
        }
    }
}
