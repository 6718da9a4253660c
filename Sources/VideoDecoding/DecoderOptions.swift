/// Which decoded frames become sampled frames. Decided from the frame's index and timestamp, before
/// conversion; `keyframes` is decided before decoding (other frames are never sent to the decoder).
package enum SamplingPolicy: Sendable, Equatable {
    /// Every frame.
    case everyFrame
    /// Frames whose `frameIndex` is a multiple of N: 0, N, 2N, ...
    case everyNth(Int)
    /// The first frame of each 1/X-second slice of presentation time (measured from the window's start),
    /// so the rate holds for variable-frame-rate input too.
    case framesPerSecond(Double)
    /// Key frames only; the decoder is given nothing else (`AVDISCARD_NONKEY`).
    case keyframes
}

/// The part of the stream to read, in seconds of presentation time: `start` inclusive, `end` exclusive.
/// For files with a per-frame index (mp4, mov) the reader seeks close to `start` instead of decoding up to it.
package struct TimeWindow: Sendable, Equatable {
    package var start: Double
    package var end: Double?

    package init(start: Double = 0, end: Double? = nil) {
        self.start = start
        self.end = end
    }

    package static let whole = TimeWindow()
}

/// How RTSP carries the media: interleaved on the RTSP connection (TCP, the default: works through NAT and
/// firewalls) or as separate UDP datagrams.
package enum RTSPTransport: String, Sendable, CaseIterable {
    case tcp
    case udp
}

/// Work the decoder may leave out because a 224-pixel answer hardly needs it; `runs.decoding` records which.
package struct DecodingShortcuts: Sendable, Hashable, CustomStringConvertible {
    /// Skip the deblocking (loop) filter of H.264/HEVC (`skip_loop_filter = AVDISCARD_ALL`): block edges stay
    /// a little sharper, and the error drifts along a group of pictures until the next key frame.
    package var skipLoopFilter: Bool
    /// Do not decode non-reference frames (`skip_frame = AVDISCARD_NONREF`): no other frame is predicted
    /// from them. With `framesPerSecond` sampling the sampler then keeps each slice's first reference frame
    /// (so a kept frame may be a frame later than with full decoding); `keyframes` skips them anyway. Not
    /// with `everyFrame` or `everyNth`, which name frames that may be non-reference ones.
    package var skipNonReference: Bool

    package init(skipLoopFilter: Bool = false, skipNonReference: Bool = false) {
        self.skipLoopFilter = skipLoopFilter
        self.skipNonReference = skipNonReference
    }

    /// Everything decoded.
    package static let none = DecodingShortcuts()

    /// Reads `description`'s words back (`full`, `skip-loop-filter`, `skip-nonref`, `skip-loop-filter+skip-nonref`,
    /// in any order); `nil` for anything else.
    package init?(_ text: String) {
        self.init()
        guard text != "full" else { return }
        for word in text.split(separator: "+", omittingEmptySubsequences: false) {
            switch word {
            case "skip-loop-filter" where !skipLoopFilter: skipLoopFilter = true
            case "skip-nonref" where !skipNonReference: skipNonReference = true
            default: return nil
            }
        }
    }

    /// The words `init?(_:)` reads, for messages.
    package static let choices = "full, skip-loop-filter, skip-nonref or skip-loop-filter+skip-nonref"

    /// `full`, or the shortcuts taken joined by `+` (`skip-loop-filter`, `skip-nonref`), as `runs.decoding` has it.
    package var description: String {
        let names = [skipLoopFilter ? "skip-loop-filter" : nil, skipNonReference ? "skip-nonref" : nil].compactMap { $0 }
        return names.isEmpty ? "full" : names.joined(separator: "+")
    }
}

/// How a `FrameReader` opens, samples and keeps up its input.
package struct DecoderOptions: Sendable {
    package var sampling: SamplingPolicy
    package var window: TimeWindow
    package var rtspTransport: RTSPTransport
    /// Seconds allowed to open the input and read its stream information.
    package var openTimeout: Double
    /// Seconds without a decoded frame after which the input counts as dead (a stalled read is interrupted).
    package var stallTimeout: Double
    /// Threads of the video decoder. Small by default: the worker pool needs the cores.
    package var decoderThreads: Int
    /// Reconnect a network stream that was delivering frames and then failed; `nil`: fail instead.
    package var reconnect: ReconnectPolicy?
    /// Keep a scaled copy of every sampled frame, at most this many pixels wide, for thumbnails; `nil`: none.
    package var thumbnailWidth: Int?
    /// Decoding work left out (none by default).
    package var shortcuts: DecodingShortcuts = .none
    /// Leave undecoded the frames no sampled frame needs: in a stream without reordering (H.264, HEVC,
    /// intra-only codecs), those after a group of pictures' last sampled frame up to the next fresh start (an
    /// IDR picture). Not a shortcut: every frame that is sampled is exactly what decoding everything gives.
    /// Off only to compare.
    package var skipsUnneededFrames = true
    /// What the network sees of each sampled frame (`SampledFrame.views`, in this order): the centre crop by default.
    package var views: [FrameView] = [.center]

    package init(
        sampling: SamplingPolicy = .everyFrame, window: TimeWindow = .whole, rtspTransport: RTSPTransport = .tcp,
        openTimeout: Double = 10, stallTimeout: Double = 10, decoderThreads: Int = 1, reconnect: ReconnectPolicy? = nil
    ) {
        self.sampling = sampling
        self.window = window
        self.rtspTransport = rtspTransport
        self.openTimeout = openTimeout
        self.stallTimeout = stallTimeout
        self.decoderThreads = decoderThreads
        self.reconnect = reconnect
    }

    /// Why these options cannot be used together, in words; `nil` when they can.
    package var conflict: String? {
        switch sampling {
        case .everyFrame, .everyNth:
            shortcuts.skipNonReference
                ? "skipping non-reference frames needs fps or keyframes sampling (every Nth frame may be a non-reference one)"
                : nil
        case .framesPerSecond, .keyframes: nil
        }
    }
}
