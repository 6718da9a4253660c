import Foundation
import FramewiseTestSupport
import Testing

/// `framewise bench agreement --decoding`: fp32 on frames decoded with a shortcut against full decoding, on a
/// real clip made with the ffmpeg tool.
@Suite struct BenchAgreementTests {
    @Test func comparesADecodingWithFullDecodingByDistanceFromTheKeyFrame() throws {
        let directory = try TemporaryDirectory()
        let clip = directory.path("clip.mp4")
        try makeCoffeeThenMoped(clip, secondsEach: 1)
        let result = try runFramewise(["bench", "agreement", "--model", TestData.modelDirectory.path, "--json",
                                       "--every", "5", "--decoding", "skip-loop-filter", clip])
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(fields["decoding"] as? String == "skip-loop-filter")
        #expect(fields["frames_full"] as? Int == 10 && fields["frames_decoded_with_shortcuts"] as? Int == 10)
        let overall = try #require(fields["result"] as? [String: Any])
        #expect(overall["frames"] as? Int == 10)
        // 50 frames with one key frame (they come every 2 s): every 5th frame is 0, 5, ..., 45 from it.
        let buckets = try #require(fields["by_key_frame_distance"] as? [[String: Any]])
        #expect(buckets.map { $0["from"] as? Int } == [0, 1, 26])
        #expect(buckets.map { $0["frames"] as? Int } == [1, 5, 4])
        #expect(buckets.first?["top1_agreement"] as? Double == 1, "a key frame decodes the same either way")

        let refused = try runFramewise(["bench", "agreement", "--model", TestData.modelDirectory.path, "--every", "5",
                                        "--decoding", "skip-nonref", clip], mustSucceed: false)
        #expect(refused.status == 1)
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(refused.stderr.contains("needs fps or keyframes sampling"))
    }
}
