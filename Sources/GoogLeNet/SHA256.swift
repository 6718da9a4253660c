import CFFmpeg
import Foundation

/// SHA-256 from FFmpeg's libavutil (already linked for decoding): of the model file, recorded with every run
/// so that answers can be traced to the exact weights.
public enum SHA256Digest {
    public static func hex(of data: Data) -> String {
        guard let context = av_sha_alloc() else { preconditionFailure("out of memory") }
        defer { av_free(UnsafeMutableRawPointer(context)) }
        av_sha_init(context, 256)
        data.withUnsafeBytes { bytes in
            if let base = bytes.bindMemory(to: UInt8.self).baseAddress { av_sha_update(context, base, bytes.count) }
        }
        var digest = [UInt8](repeating: 0, count: 32)
        av_sha_final(context, &digest)
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
