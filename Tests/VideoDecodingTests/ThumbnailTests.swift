import CFFmpeg
import Foundation
import FramewiseTestSupport
import Testing
@testable import VideoDecoding

/// Thumbnails of real decoded frames (clips made with the ffmpeg tool), checked by decoding the JPEG back with
/// the ffmpeg tool and comparing its pixels with the tool's own scaling of the same frame.
@Suite("Thumbnails")
struct ThumbnailTests {
    /// A clip, what it is made with, and the thumbnail size it must give.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let ffmpegArguments: [String]
        let width: Int
        let height: Int
        /// The ffmpeg tool's pixel format to compare in (gray pictures have no colour to compare).
        var comparison = "rgb24"
        /// Mean difference per sample allowed against ffmpeg's scaling (JPEG's loss, 4:2:0 chroma).
        var tolerance = 6.0
        var testDescription: String { name }
    }

    /// ffmpeg's test pattern at `size` (scaled there, as testsrc2 itself rounds sizes down to even numbers).
    static func testsource(_ size: String) -> [String] {
        ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=1", "-vf", "scale=\(size.replacingOccurrences(of: "x", with: ":")),setsar=1"]
    }

    static let cases = [
        Case(name: "H.264 yuv420p 640x360", file: "clip.mp4",
             ffmpegArguments: testsource("640x360") + ["-c:v", "libx264", "-pix_fmt", "yuv420p"], width: 320, height: 180),
        Case(name: "odd size 333x187", file: "odd.mkv",
             ffmpegArguments: testsource("333x187") + ["-c:v", "ffv1", "-pix_fmt", "yuv420p"], width: 320, height: 180),
        Case(name: "small odd size 99x75 is not enlarged", file: "small.mkv",
             ffmpegArguments: testsource("99x75") + ["-c:v", "ffv1", "-pix_fmt", "yuv444p"], width: 99, height: 75,
             tolerance: 10),
        Case(name: "gray 640x480", file: "gray.mkv",
             ffmpegArguments: testsource("640x480") + ["-c:v", "ffv1", "-pix_fmt", "gray"], width: 320, height: 240,
             comparison: "gray"),
        Case(name: "10-bit yuv420p10le 1280x720", file: "ten-bit.mkv",
             ffmpegArguments: testsource("1280x720") + ["-c:v", "ffv1", "-pix_fmt", "yuv420p10le"], width: 320, height: 180),
        // H.264 carries the pixel shape in its stream, so decoded frames have it.
        Case(name: "anamorphic 720x576 with 16:15 pixels", file: "anamorphic.mp4",
             ffmpegArguments: ["-f", "lavfi", "-i", "testsrc2=size=720x576:rate=25:duration=1", "-vf", "setsar=16/15",
                               "-c:v", "libx264", "-pix_fmt", "yuv422p"],
             width: 320, height: 240),
    ]

    @Test(arguments: cases)
    func thumbnailDecodesBackAtItsSize(_ clip: Case) throws {
        let directory = try TemporaryDirectory()
        let path = directory.path(clip.file)
        try makeClip(path, clip.ffmpegArguments)

        let (picture, jpeg) = try firstFrame(of: path) { frame in try ThumbnailEncoder().jpeg(of: frame) }
        #expect(picture.width == clip.width && picture.height == clip.height)
        #expect(picture.planes.count == clip.width * clip.height + 2 * ((clip.width + 1) / 2) * ((clip.height + 1) / 2))
        #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))

        let thumbnailPath = directory.path("thumbnail.jpg")
        try jpeg.write(to: URL(fileURLWithPath: thumbnailPath))
        let probe = try runCommand(URL(fileURLWithPath: "/usr/bin/ffprobe"), [
            "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0",
            thumbnailPath,
        ])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "mjpeg,\(clip.width),\(clip.height)")

        // The pictures agree with the ffmpeg tool's scaling of the same frame, up to JPEG's loss.
        let size = "\(clip.width):\(clip.height)"
        try makeClip(directory.path("decoded.raw"), ["-i", thumbnailPath, "-f", "rawvideo", "-pix_fmt", clip.comparison])
        try makeClip(directory.path("expected.raw"), [
            "-i", path, "-frames:v", "1", "-vf", "scale=\(size):flags=bilinear", "-f", "rawvideo", "-pix_fmt", clip.comparison,
        ])
        let decoded = try Data(contentsOf: URL(fileURLWithPath: directory.path("decoded.raw")))
        let expected = try Data(contentsOf: URL(fileURLWithPath: directory.path("expected.raw")))
        try #require(decoded.count == expected.count)
        let difference = zip(decoded, expected).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        let mean = Double(difference) / Double(decoded.count)
        #expect(mean < clip.tolerance, "mean difference \(mean) per sample against ffmpeg's scaling")
    }

    @Test func oneEncoderTakesPicturesOfChangingSizesAndEncodesOnAnotherThread() throws {
        let directory = try TemporaryDirectory()
        var pictures: [ThumbnailPicture] = []
        let scaler = ThumbnailScaler()
        for (index, size) in ["640x360", "333x187", "1280x720"].enumerated() {
            let path = directory.path("clip\(index).mkv")
            try makeClip(path, Self.testsource(size) + ["-c:v", "ffv1", "-pix_fmt", "yuv420p"])
            pictures.append(try firstFrame(of: path) { try scaler.picture(of: $0) })
        }
        #expect(pictures.map { "\($0.width)x\($0.height)" } == ["320x180", "320x180", "320x180"])
        // Scaled on this thread, encoded on another by one encoder, as the decoder and the sink will.
        let encoded = try DispatchQueue(label: "thumbnail-sink").sync {
            let encoder = ThumbnailEncoder()
            return try pictures.map { try encoder.jpeg(of: $0) }
        }
        #expect(encoded.count == 3 && encoded.allSatisfy { $0.starts(with: [0xFF, 0xD8, 0xFF]) })
        // The same picture always gives the same bytes; a different picture gives other bytes.
        #expect(try ThumbnailEncoder().jpeg(of: pictures[0]) == encoded[0])
        #expect(encoded[0] != encoded[2])
        let bytes = encoded.map(\.count)
        print("thumbnail bytes at 320 px, quality \(ThumbnailEncoder.defaultQuality): \(bytes)")
        #expect(bytes.allSatisfy { $0 > 1_000 && $0 < 60_000 })
    }

    @Test func smallerQualityNumbersMakeLargerFiles() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("clip.mkv")
        try makeClip(path, Self.testsource("640x360") + ["-c:v", "ffv1", "-pix_fmt", "yuv420p"])
        let picture = try firstFrame(of: path) { try ThumbnailScaler().picture(of: $0) }
        let sizes = try [2, 5, 15, 31].map { try ThumbnailEncoder(quality: $0).jpeg(of: picture).count }
        #expect(sizes == sizes.sorted(by: >) && Set(sizes).count == 4, "\(sizes)")
    }

    /// `body` applied to the first decoded frame of `path`.
    private func firstFrame<T>(of path: String, _ body: (UnsafePointer<AVFrame>) throws -> T) throws -> T {
        let session = try MediaSession(input: InputLocation(path), options: DecoderOptions(),
                                       deadline: InterruptDeadline(cancellation: ReaderCancellation()))
        let decoded = try #require(try session.nextFrame())
        return try body(decoded.frame)
    }
}
