import CFFmpeg
import Testing
@testable import VideoDecoding

/// `PacketHold` on a camera-like H.264 stream (Annex B, 25 frames/s, an IDR picture every 50 frames, no
/// B-frames) sampled at 2 frames/s: once two fresh starts have shown the interval, a packet a later sampled
/// frame will need is decoded when it arrives; only the frames after a group's last sampled one are held, and
/// they are dropped at the next fresh start.
@Suite struct PacketHoldTests {
    static let ticksPerFrame: Int64 = 3_600  // 90 kHz, as RTP carries H.264
    static let groupOfPictures: Int64 = 50

    /// What happened to each packet: decoded when admitted, released later (behind held ones), or dropped.
    enum Fate: Equatable { case decodedAtOnce, released, dropped }

    /// Feeds `count` packets (an IDR picture where `isFreshStart` says) through a hold whose sampler keeps the
    /// first frame of each half second, and says what became of each.
    private func fates(count: Int64, isFreshStart: (Int64) -> Bool) throws -> [Int64: Fate] {
        let parameters = try #require(avcodec_parameters_alloc())
        defer { var parameters: UnsafeMutablePointer<AVCodecParameters>? = parameters; avcodec_parameters_free(&parameters) }
        parameters.pointee.codec_id = AV_CODEC_ID_H264
        let hold = PacketHold(freshStarts: try #require(FreshStarts(parameters.pointee)))
        let slice = { (timestamp: Int64) in timestamp * 2 / (25 * Self.ticksPerFrame) }
        var lastSlice: Int64 = -1
        var fates: [Int64: Fate] = [:]
        for index in 0..<count {
            let packet: UnsafeMutablePointer<AVPacket> = av_packet_alloc()
            defer { var owned: UnsafeMutablePointer<AVPacket>? = packet; av_packet_free(&owned) }
            let nalHeader: UInt8 = isFreshStart(index) ? 0x65 : 0x41  // IDR slice, non-IDR slice
            let bytes: [UInt8] = [0, 0, 0, 1, nalHeader, 0x88, 0x84, 0x00]
            #expect(av_new_packet(packet, Int32(bytes.count)) == 0)
            packet.pointee.data.update(from: bytes, count: bytes.count)
            packet.pointee.pts = index * Self.ticksPerFrame
            var dropped: [Int64] = []
            let decodesNow = hold.admit(packet, position: index, arrivedAt: nil, dropped: &dropped) { _, timestamp in
                slice(timestamp) > lastSlice
            }
            for timestamp in dropped { fates[timestamp / Self.ticksPerFrame] = .dropped }
            fates[index] = decodesNow ? .decodedAtOnce : nil
            while hold.sendNextReleased({ released, _ in
                let position = released.pointee.pts / Self.ticksPerFrame
                fates[position] = .released
                // The frame is decoded now: the sampler keeps it if it starts a new slice.
                lastSlice = max(lastSlice, slice(released.pointee.pts))
            }) {}
            if decodesNow { lastSlice = max(lastSlice, slice(index * Self.ticksPerFrame)) }
        }
        return fates
    }

    @Test func neededPacketsAreDecodedWhenTheyArriveOnceTheIntervalIsKnown() throws {
        let fates = try fates(count: 151) { $0 % Self.groupOfPictures == 0 }
        // The first group: no interval known yet, so frames 1-12 wait for the sampled frame 13, and so on.
        #expect((1...12).allSatisfy { fates[$0] == .released })
        #expect(fates[13] == .released)
        // From the second fresh start on, every frame up to a group's last sampled one (frame 38 of each: 1.52 s)
        // is decoded when it arrives; the 11 after it are held and dropped at the next fresh start.
        for group in [Int64(50), 100] {
            #expect((group...group + 38).allSatisfy { fates[$0] == .decodedAtOnce }, "group \(group)")
            #expect((group + 39...group + 49).allSatisfy { fates[$0] == .dropped }, "group \(group)")
        }
        #expect((39...49).allSatisfy { fates[$0] == .dropped })
    }

    @Test func aFreshStartEarlierThanPredictedOnlyCostsDecoding() throws {
        // Fresh starts at 0, 50, 100, then one early at 120 (a scene cut), then 170.
        let starts: Set<Int64> = [0, 50, 100, 120, 170]
        let fates = try fates(count: 171) { starts.contains($0) }
        // Frames 100-119 were decoded at once expecting a sampled frame before 150. From 120 the interval is 20
        // frames: 139, after the last sampled frame before the predicted 140, is held; when no fresh start comes
        // at 140 the next is predicted at 160, so 139 is released with 140 and nothing after 120 is dropped.
        #expect((100...119).allSatisfy { fates[$0] == .decodedAtOnce })
        #expect(fates.values.filter { $0 == .dropped }.count == 22)  // 39-49 and 89-99
        #expect(fates[139] == .released)
        #expect((120...170).allSatisfy { fates[$0] != nil && fates[$0] != .dropped })
    }
}
