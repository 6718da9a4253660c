import CFFmpeg
import Foundation

/// One open input: the demuxer, its best video stream and that stream's decoder. Hands out decoded frames
/// in presentation order with their 0-based position in the stream. Used by one thread at a time (its
/// `FrameReader`'s, or `StillImage`'s caller); every blocking call runs under `deadline`.
final class MediaSession {
    let input: InputLocation
    private let deadline: InterruptDeadline
    private let stallTimeout: Double
    private let keyframesOnly: Bool
    /// Non-reference frames are dropped by the decoder (`DecodingShortcuts.skipNonReference`, not key frames only).
    private let skipsNonReference: Bool
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    private var isDraining = false
    /// Whether the deadline is the stall timeout of a read (after the open's).
    private var isReading = false
    /// Set by `seek`: the next video packet's index entry gives the frame position.
    private var isPositionPending = false

    /// Video packets demuxed so far, in decode order (after a seek: counted from the index position).
    private var packetsDemuxed: Int64 = 0
    /// Frames the decoder returned so far (after a seek: counted from the index position).
    private var framesDecoded: Int64 = 0
    /// Keyframes-only mode: the decode-order position of each key packet sent, by its pts.
    private var keyframePositions: [Int64: Int64] = [:]
    /// Packets sent whose frames have not come out yet, by pts, with when the demuxer handed them over (live
    /// inputs). Kept when non-reference frames are skipped or the input is live. The decoder returns frames in
    /// presentation order, so when it returns one, every frame before it was sent: those left here were dropped
    /// (skip-nonref: they still take their positions).
    private var framesInDecoder: [(pts: Int64, arrivedAt: Date?)] = []
    private let tracksFramesInDecoder: Bool
    /// Packets held back until a sampled frame needs them (`DecoderOptions.skipsUnneededFrames`); `nil` when
    /// every packet is decoded.
    private let hold: PacketHold?
    /// Whether frames the decoder never returns (skipped non-reference ones, packets dropped from the hold)
    /// are counted in the positions of the frames after them.
    private let countsFramesNeverDecoded: Bool
    /// Damaged packets: rejected by the demuxer or the decoder, or decoded into a concealed (corrupt) frame.
    private(set) var corruptPackets = 0

    /// The video stream's time base, start time (in time-base units, `nil` if unknown) and nominal frame
    /// duration in seconds (from its average or real frame rate; 1/25 if neither is known).
    let timeBase: AVRational
    let startTime: Int64?
    let nominalFrameDuration: Double
    /// The input's length in seconds when the container knows it (files; not live streams).
    let duration: Double?
    /// Whether the input has an end (see `FrameReader.isLive`): a local file; a network resource with a known
    /// duration or size; an HLS playlist only when it is complete (`#EXT-X-ENDLIST` gives it a duration).
    /// RTSP is always live.
    let hasEnd: Bool

    /// Opens `input` and its decoder within `options.openTimeout`.
    init(input: InputLocation, options: DecoderOptions, deadline: InterruptDeadline) throws(DecodingError) {
        self.input = input
        self.deadline = deadline
        self.stallTimeout = options.stallTimeout
        self.keyframesOnly = options.sampling == .keyframes
        self.skipsNonReference = options.shortcuts.skipNonReference && !keyframesOnly
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        guard packet != nil, frame != nil, var context = avformat_alloc_context() else {
            throw DecodingError(.failed, input: input.description, detail: "out of memory")
        }
        context.pointee.interrupt_callback = deadline.callback
        deadline.arm(seconds: options.openTimeout, reason: "no answer within \(options.openTimeout) s while opening")

        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        let timeoutMicroseconds = String(Int64(options.stallTimeout * 1e6))
        switch input.kind {
        case .rtsp:
            av_dict_set(&dictionary, "rtsp_transport", options.rtspTransport.rawValue, 0)
            av_dict_set(&dictionary, "timeout", timeoutMicroseconds, 0)
        case .http, .otherURL:
            av_dict_set(&dictionary, "rw_timeout", timeoutMicroseconds, 0)
        case .file:
            // A still image's name is a name, not an image2 sequence pattern.
            av_dict_set(&dictionary, "pattern_type", "none", 0)
        }
        var opened: UnsafeMutablePointer<AVFormatContext>? = context
        let openStatus = avformat_open_input(&opened, input.ffmpegURL, nil, &dictionary)
        guard openStatus >= 0, let opened else { throw Self.error(openStatus, input, "cannot open", deadline) }
        context = opened
        formatContext = context
        // FFmpeg renders text files as pictures (its `tty` demuxer, chosen by the .txt/.ans extension):
        // plain text is not a video.
        if let format = context.pointee.iformat, Self.textDemuxers.contains(String(cString: format.pointee.name)) {
            throw DecodingError(.notMedia, input: input.description, detail: "it is a text file, not a video or picture")
        }

        let infoStatus = avformat_find_stream_info(context, nil)
        guard infoStatus >= 0 else { throw Self.error(infoStatus, input, "cannot read stream information", deadline) }

        var decoder: UnsafePointer<AVCodec>?
        let bestStream = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard bestStream >= 0 else {
            if bestStream == framewise_averror_decoder_not_found() {
                let codecs = (0..<Int(context.pointee.nb_streams)).compactMap { index -> String? in
                    let parameters = context.pointee.streams[index]!.pointee.codecpar!.pointee
                    return parameters.codec_type == AVMEDIA_TYPE_VIDEO ? String(cString: avcodec_get_name(parameters.codec_id)) : nil
                }
                throw DecodingError(.unsupportedCodec, input: input.description,
                    detail: "no decoder for its video codec (\(codecs.joined(separator: ", ")))")
            }
            throw DecodingError(.noVideoStream, input: input.description, detail: "it has no video stream")
        }
        streamIndex = bestStream
        for index in 0..<Int(context.pointee.nb_streams) where index != Int(bestStream) {
            context.pointee.streams[index]!.pointee.discard = AVDISCARD_ALL
        }
        let stream = context.pointee.streams[Int(bestStream)]!
        timeBase = stream.pointee.time_base
        startTime = stream.pointee.start_time == framewise_nopts_value() ? nil : stream.pointee.start_time
        let rate = stream.pointee.avg_frame_rate.num > 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        nominalFrameDuration = rate.num > 0 && rate.den > 0 ? av_q2d(av_inv_q(rate)) : 1.0 / 25
        duration = context.pointee.duration > 0 ? Double(context.pointee.duration) / Double(AV_TIME_BASE) : nil
        let demuxer = context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? ""
        switch input.kind {
        case .file: hasEnd = true
        case .rtsp: hasEnd = false
        case .http, .otherURL:
            let size = context.pointee.pb.map { avio_size($0) } ?? -1
            hasEnd = duration != nil || (demuxer != "hls" && size > 0)
        }
        let parameters = stream.pointee.codecpar.pointee
        hold = options.skipsUnneededFrames && !keyframesOnly && !skipsNonReference && parameters.video_delay == 0
            ? FreshStarts(parameters).map(PacketHold.init) : nil
        countsFramesNeverDecoded = skipsNonReference || hold != nil
        tracksFramesInDecoder = countsFramesNeverDecoded || !hasEnd
        isUnseekableMP4 = demuxer.hasPrefix("mov,") && input.isNetwork
            && (context.pointee.pb?.pointee.seekable ?? 0) & AVIO_SEEKABLE_NORMAL == 0

        guard let decoder, let codec = avcodec_alloc_context3(decoder) else {
            throw DecodingError(.unsupportedCodec, input: input.description, detail: "no decoder for its video codec")
        }
        codecContext = codec
        guard avcodec_parameters_to_context(codec, stream.pointee.codecpar) >= 0 else {
            throw DecodingError(.unsupportedCodec, input: input.description, detail: "the decoder rejects the stream's parameters")
        }
        codec.pointee.pkt_timebase = timeBase
        codec.pointee.thread_count = Int32(max(1, options.decoderThreads))
        if keyframesOnly { codec.pointee.skip_frame = AVDISCARD_NONKEY }
        if skipsNonReference { codec.pointee.skip_frame = AVDISCARD_NONREF }
        if options.shortcuts.skipLoopFilter { codec.pointee.skip_loop_filter = AVDISCARD_ALL }
        let codecStatus = avcodec_open2(codec, decoder, nil)
        guard codecStatus >= 0 else {
            let name = String(cString: decoder.pointee.name)
            throw DecodingError(.unsupportedCodec, input: input.description,
                detail: "decoder \(name) cannot open the stream (\(DecodingError.message(forFFmpegCode: codecStatus)))")
        }
    }

    deinit {
        avcodec_free_context(&codecContext)
        avformat_close_input(&formatContext)
        av_packet_free(&packet)
        av_frame_free(&frame)
    }

    /// The next decoded frame, its 0-based presentation-order position and, for a live input, when its packet
    /// left the demuxer; `nil` at the end of the stream. The frame belongs to the session and stays valid until
    /// the next call. Throws when no frame arrives within the stall timeout, or when the input fails.
    ///
    /// `isWanted(position, timestamp)` says whether the frame of a packet not yet decoded would be sampled;
    /// with a `PacketHold`, frames after the last wanted one before a fresh start are never decoded.
    func nextFrame(isWanted: (Int64, Int64) -> Bool = { _, _ in true }) throws(DecodingError) -> DecodedFrame? {
        guard let codec = codecContext, let frame else { return nil }
        // A frame FFmpeg handed over only once the last read's stall timeout had run out (RTP's reordering queue
        // is let go by a timeout) is no sign of life: the stall goes on from where it began.
        if !(isReading && deadline.shouldInterrupt) {
            deadline.arm(seconds: stallTimeout, reason: "no frame for \(stallTimeout) s")
            isReading = true
        }
        while true {
            av_frame_unref(frame)
            let status = avcodec_receive_frame(codec, frame)
            if status == 0 {
                if frame.pointee.decode_error_flags != 0 || frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
                    corruptPackets += 1
                    // Damage after packets were dropped: decode everything from here on.
                    if let hold, hold.hasDropped, hold.isHolding { hold.stopHolding() }
                }
                let (position, arrivedAt) = position(of: frame)
                return DecodedFrame(frame: frame, position: position, arrivedAt: arrivedAt)
            }
            if status == framewise_averror_eof() { return nil }
            if status != framewise_averror(EAGAIN) {
                countLostFrame()
                continue
            }
            if isDraining { return nil }
            try sendNextPacket(to: codec, isWanted: isWanted)
        }
    }

    /// Moves to the last keyframe at or before `seconds` (presentation time), when the stream has a
    /// per-frame index (mp4, mov): the index then also gives the keyframe's position among all frames.
    /// Returns false (and stays put) otherwise; the caller decodes from the start and drops early frames.
    func seek(toSeconds seconds: Double) -> Bool {
        guard let formatContext, let codecContext else { return false }
        let stream = formatContext.pointee.streams[Int(streamIndex)]!
        let entries = avformat_index_get_entries_count(stream)
        guard entries > 0, Int64(entries) == stream.pointee.nb_frames else { return false }
        let microseconds = Int64((seconds * 1e6).rounded())
        let target = av_rescale_q(microseconds, AVRational(num: 1, den: 1_000_000), timeBase) + (startTime ?? 0)
        guard av_seek_frame(formatContext, streamIndex, target, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        avcodec_flush_buffers(codecContext)
        framesInDecoder.removeAll()
        hold?.reset()
        isPositionPending = true
        return true
    }

    /// After a seek: the first packet's index entry tells how many packets precede it.
    private func takePosition(fromIndexOf packet: UnsafeMutablePointer<AVPacket>) {
        isPositionPending = false
        guard let stream = formatContext?.pointee.streams[Int(streamIndex)] else { return }
        let position = av_index_search_timestamp(stream, packet.pointee.dts, AVSEEK_FLAG_ANY | AVSEEK_FLAG_BACKWARD)
        let isExact = position >= 0 && avformat_index_get_entry(stream, position)?.pointee.timestamp == packet.pointee.dts
        // Without an exact entry, estimate from the timestamp and the nominal frame rate.
        let estimate = packet.pointee.pts == framewise_nopts_value() ? 0
            : Int64((Double(packet.pointee.pts - (startTime ?? 0)) * av_q2d(timeBase) / nominalFrameDuration).rounded())
        packetsDemuxed = isExact ? Int64(position) : max(0, estimate)
        framesDecoded = packetsDemuxed
    }

    /// A packet the decoder rejected: counted as damaged, and its frame keeps its place in the numbering.
    private func countLostFrame() {
        corruptPackets += 1
        framesDecoded += 1
    }

    /// The frame's position, and when its packet arrived (live inputs).
    private func position(of frame: UnsafeMutablePointer<AVFrame>) -> (Int64, Date?) {
        defer { framesDecoded += 1 }
        var arrivedAt: Date?
        if tracksFramesInDecoder, frame.pointee.pts != framewise_nopts_value() {
            let pts = frame.pointee.pts
            arrivedAt = framesInDecoder.first { $0.pts == pts }?.arrivedAt
            if countsFramesNeverDecoded { framesDecoded += Int64(framesInDecoder.count { $0.pts < pts }) }
            framesInDecoder.removeAll { $0.pts <= pts }
        }
        guard keyframesOnly else { return (framesDecoded, arrivedAt) }
        return (keyframePositions.removeValue(forKey: frame.pointee.pts) ?? framesDecoded, arrivedAt)
    }

    /// Sends the hold's next released packet, or demuxes until one packet of the video stream has been given
    /// to the decoder (or held), or starts draining at the end of the input. Damaged packets are counted and skipped.
    private func sendNextPacket(to codec: UnsafeMutablePointer<AVCodecContext>, isWanted: (Int64, Int64) -> Bool) throws(DecodingError) {
        guard let formatContext, let packet else { return }
        var consecutiveFailures = 0
        while true {
            if let hold, hold.sendNextReleased({ send($0, arrivedAt: $1, to: codec) }) { return }
            let status = av_read_frame(formatContext, packet)
            let arrivedAt = hasEnd ? nil : Date()
            if status == framewise_averror_eof() {
                avcodec_send_packet(codec, nil)
                isDraining = true
                return
            }
            if status == framewise_averror_invaliddata(), consecutiveFailures < 1000 {
                corruptPackets += 1
                consecutiveFailures += 1
                continue
            }
            guard status >= 0 else {
                if isUnseekableMP4, packetsDemuxed == 0, !deadline.shouldInterrupt {
                    throw DecodingError(.notMedia, input: input.description, detail: Self.unseekableMP4Detail)
                }
                throw Self.error(status, input, "read failed", deadline)
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            if isPositionPending { takePosition(fromIndexOf: packet) }
            let decodePosition = packetsDemuxed
            packetsDemuxed += 1
            if keyframesOnly {
                guard packet.pointee.flags & AV_PKT_FLAG_KEY != 0 else { continue }
                keyframePositions[packet.pointee.pts] = decodePosition
            }
            if let hold {
                var dropped: [Int64] = []
                let decodesNow = hold.admit(packet, position: decodePosition, arrivedAt: arrivedAt, dropped: &dropped, isWanted: isWanted)
                framesInDecoder += dropped.map { ($0, nil) }
                guard decodesNow else { continue }
            }
            if send(packet, arrivedAt: arrivedAt, to: codec) { return }
        }
    }

    /// Gives `packet` to the decoder; one it rejects is counted as lost (and false returned).
    @discardableResult
    private func send(_ packet: UnsafeMutablePointer<AVPacket>, arrivedAt: Date?, to codec: UnsafeMutablePointer<AVCodecContext>) -> Bool {
        guard avcodec_send_packet(codec, packet) >= 0 else {
            countLostFrame()
            return false
        }
        if tracksFramesInDecoder, packet.pointee.pts != framewise_nopts_value() {
            framesInDecoder.append((packet.pointee.pts, arrivedAt))
        }
        return true
    }

    /// An MP4/MOV read over a network connection that cannot seek: it reads only if its index comes first.
    private let isUnseekableMP4: Bool

    /// Demuxers that turn text into pictures.
    private static let textDemuxers: Set<String> = ["tty"]

    private static let unseekableMP4Detail = """
        cannot be read front to back: the MP4's index (moov) comes after the media and the server does not \
        support range requests; remux it with `ffmpeg -i IN -c copy -movflags +faststart OUT.mp4` or serve it \
        with range support
        """

    private static func error(_ code: Int32, _ input: InputLocation, _ action: String, _ deadline: InterruptDeadline) -> DecodingError {
        DecodingError(ffmpegCode: code, input: input, action: action, interruption: deadline.shouldInterrupt ? deadline.interruption : nil)
    }
}

/// A frame out of the decoder (owned by its `MediaSession`, valid until the next call), its presentation-order
/// position, and for a live input when its packet left the demuxer.
struct DecodedFrame {
    let frame: UnsafeMutablePointer<AVFrame>
    let position: Int64
    let arrivedAt: Date?
}
