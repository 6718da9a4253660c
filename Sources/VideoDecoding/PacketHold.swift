import CFFmpeg
import Foundation

/// Which packets of a video stream start afresh: no later picture is predicted from anything before them, so
/// packets before one are needed by nothing after it. H.264: a packet with an IDR picture; HEVC: one with an
/// IRAP picture (IDR, BLA, CRA; in a stream without reordering there are no leading pictures that reach behind
/// a CRA); intra-only codecs (MJPEG, ...): every packet. Other codecs are not judged: `init` fails.
struct FreshStarts {
    private enum Rule {
        case everyPacket
        /// H.264 or HEVC NAL units, length-prefixed (`lengthSize` bytes, as MP4 and Matroska store them) or,
        /// when `lengthSize` is `nil`, behind Annex B start codes (as RTSP and MPEG-TS carry them).
        case h264(lengthSize: Int?)
        case hevc(lengthSize: Int?)
    }

    private let rule: Rule

    init?(_ parameters: AVCodecParameters) {
        let extradata = parameters.extradata.map { UnsafeBufferPointer(start: $0, count: Int(parameters.extradata_size)) } ?? UnsafeBufferPointer(start: nil, count: 0)
        // avcC / hvcC configuration records begin with version 1; Annex B extradata begins with a start code.
        let isRecord = extradata.first == 1
        switch parameters.codec_id {
        case AV_CODEC_ID_H264:
            guard !isRecord || extradata.count >= 7 else { return nil }
            rule = .h264(lengthSize: isRecord ? Int(extradata[4] & 3) + 1 : nil)
        case AV_CODEC_ID_HEVC:
            guard !isRecord || extradata.count >= 23 else { return nil }
            rule = .hevc(lengthSize: isRecord ? Int(extradata[21] & 3) + 1 : nil)
        default:
            guard let descriptor = avcodec_descriptor_get(parameters.codec_id),
                  descriptor.pointee.props & AV_CODEC_PROP_INTRA_ONLY != 0 else { return nil }
            rule = .everyPacket
        }
    }

    /// Whether `packet` starts afresh. Every slice of a picture has the same NAL unit type (H.264 7.4.1.2.4,
    /// HEVC 7.4.2.2), so the packet's first slice decides, and the slice data after it is not scanned.
    func startsAfresh(_ packet: UnsafePointer<AVPacket>) -> Bool {
        let data = UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size))
        switch rule {
        case .everyPacket:
            return true
        case .h264(let lengthSize):
            let slice = Self.firstUnitHeader(in: data, lengthSize: lengthSize) { (1...5).contains($0 & 0x1F) }
            return slice.map { $0 & 0x1F == 5 } ?? false
        case .hevc(let lengthSize):
            let slice = Self.firstUnitHeader(in: data, lengthSize: lengthSize) { ($0 >> 1) & 0x3F < 32 }
            return slice.map { (16...23).contains(($0 >> 1) & 0x3F) } ?? false
        }
    }

    /// The first header byte of the first NAL unit in `data` that satisfies `isWanted`, if any.
    private static func firstUnitHeader(in data: UnsafeBufferPointer<UInt8>, lengthSize: Int?, where isWanted: (UInt8) -> Bool) -> UInt8? {
        if let lengthSize {
            var offset = 0
            while offset + lengthSize < data.count {
                let length = data[offset..<offset + lengthSize].reduce(0) { $0 << 8 | Int($1) }
                if isWanted(data[offset + lengthSize]) { return data[offset + lengthSize] }
                offset += lengthSize + length
            }
            return nil
        }
        var index = 0
        while index + 3 < data.count {
            if data[index] == 0, data[index + 1] == 0, data[index + 2] == 1 {
                if isWanted(data[index + 3]) { return data[index + 3] }
                index += 3
            } else {
                index += 1
            }
        }
        return nil
    }
}

/// Video packets held back from the decoder until a sampled frame needs them, for a stream without
/// reordering: at a fresh start (`FreshStarts`) the packets still held are needed by nothing and are dropped
/// undecoded. So the frames after a group of pictures' last sampled one are never decoded, and every frame
/// that is decoded is exactly what decoding everything gives (its references are all decoded).
///
/// A packet is held only while its frame may turn out unneeded: once the fresh starts come at a steady
/// interval, one that a sampled frame due before the next (predicted) fresh start will need is decoded at once,
/// so a sampled frame waits for its own decoding only, not for that of every frame held since the last one (a
/// prediction that fails costs decoding, never a frame: what is held is still released or dropped as above).
///
/// Holding stops for the rest of the session (what is held is then decoded) when a packet's timestamp is not
/// later than the one before it: reordered or broken timing, where "later" cannot be judged. A packet without a
/// timestamp is decoded, with what is held before it.
final class PacketHold {
    private let freshStarts: FreshStarts
    private var held: [(packet: UnsafeMutablePointer<AVPacket>, arrivedAt: Date?)] = []
    private var heldBytes = 0
    /// Packets to decode before any new one, in decode order (the front is sent first).
    private var released: ArraySlice<(packet: UnsafeMutablePointer<AVPacket>, arrivedAt: Date?)> = []
    private var lastTimestamp: Int64?
    /// The last fresh start's timestamp, and the interval from the one before it: the next is predicted whole
    /// intervals on.
    private var lastFreshStart: Int64?
    private var freshStartInterval: Int64?
    private(set) var isHolding = true
    /// Whether packets were ever dropped: a damaged frame after that ends the holding.
    private(set) var hasDropped = false

    /// More than this is decoded rather than held (a sparse sampling of a stream with long groups of pictures).
    static let maximumHeldBytes = 64 << 20

    init(freshStarts: FreshStarts) {
        self.freshStarts = freshStarts
    }

    deinit {
        reset()
    }

    /// Whether `packet` (at `position` in decode order) is to be decoded now; false when the hold took a copy,
    /// held or released behind packets that go first (`sendNextReleased`). `isWanted(position, timestamp)` says
    /// whether the sampler would keep the packet's frame; held packets dropped at a fresh start have their
    /// timestamps added to `dropped`, so their frames keep their places in the numbering.
    func admit(
        _ packet: UnsafeMutablePointer<AVPacket>, position: Int64, arrivedAt: Date?, dropped: inout [Int64],
        isWanted: (Int64, Int64) -> Bool
    ) -> Bool {
        guard isHolding else { return true }
        let timestamp = packet.pointee.pts
        // Without a timestamp (an RTSP stream's first packets) whether it is wanted cannot be judged: decoded.
        guard timestamp != framewise_nopts_value() else { return release(with: packet, arrivedAt: arrivedAt) }
        guard lastTimestamp.map({ timestamp > $0 }) ?? true else {
            stopHolding()
            return release(with: packet, arrivedAt: arrivedAt)
        }
        let step = lastTimestamp.map { timestamp - $0 }
        lastTimestamp = timestamp
        if freshStarts.startsAfresh(packet) {
            dropped += held.map { $0.packet.pointee.pts }
            hasDropped = hasDropped || !held.isEmpty
            freeHeld()
            freshStartInterval = lastFreshStart.map { timestamp - $0 }
            lastFreshStart = timestamp
        }
        if isWanted(position, timestamp) || heldBytes + Int(packet.pointee.size) > Self.maximumHeldBytes
            || isWantedBeforeNextFreshStart(position: position, timestamp: timestamp, step: step, isWanted: isWanted)
        {
            return release(with: packet, arrivedAt: arrivedAt)
        }
        guard let copy = av_packet_clone(packet) else { return release(with: packet, arrivedAt: arrivedAt) }
        held.append((copy, arrivedAt))
        heldBytes += Int(packet.pointee.size)
        return false
    }

    /// Whether the sampler would keep a frame after this packet's and before the next fresh start, predicted at
    /// the first whole number of intervals (of the last two) after the last one that is still to come; the last
    /// frame before it is probed, `step` (the packets' timestamp spacing) earlier. `false` until two fresh
    /// starts were seen.
    private func isWantedBeforeNextFreshStart(
        position: Int64, timestamp: Int64, step: Int64?, isWanted: (Int64, Int64) -> Bool
    ) -> Bool {
        guard let step, step > 0, let last = lastFreshStart, let interval = freshStartInterval else { return false }
        let lastFrameBefore = last + interval * ((timestamp - last) / interval + 1) - step
        guard lastFrameBefore > timestamp else { return false }
        return isWanted(position + (lastFrameBefore - timestamp) / step, lastFrameBefore)
    }

    /// Hands the oldest released packet to `send` (which must not keep it) and returns true; false when none is left.
    func sendNextReleased(_ send: (UnsafeMutablePointer<AVPacket>, Date?) -> Void) -> Bool {
        guard let next = released.popFirst() else { return false }
        send(next.packet, next.arrivedAt)
        Self.free(next.packet)
        return true
    }

    /// Decodes what is held and holds nothing more.
    func stopHolding() {
        isHolding = false
        releaseHeld()
    }

    /// Forgets every packet, held or released (after a seek: the decoder starts again elsewhere).
    func reset() {
        freeHeld()
        released.forEach { Self.free($0.packet) }
        released = []
        lastTimestamp = nil
        lastFreshStart = nil
        freshStartInterval = nil
    }

    /// Releases what is held and `packet` after it; true (decode `packet` now) when nothing was held or released.
    private func release(with packet: UnsafeMutablePointer<AVPacket>, arrivedAt: Date?) -> Bool {
        guard !held.isEmpty || !released.isEmpty else { return true }
        releaseHeld()
        if let copy = av_packet_clone(packet) { released.append((copy, arrivedAt)) }
        return false
    }

    private func releaseHeld() {
        released += held
        held.removeAll()
        heldBytes = 0
    }

    private static func free(_ packet: UnsafeMutablePointer<AVPacket>) {
        var packet: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packet)
    }

    private func freeHeld() {
        held.forEach { Self.free($0.packet) }
        held.removeAll()
        heldBytes = 0
    }
}
