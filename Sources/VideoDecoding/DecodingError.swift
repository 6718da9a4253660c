import CFFmpeg
import Foundation

/// A decoder failure in one line: which input (redacted), what went wrong, and a kind to act on
/// (for instance, `authenticationFailed` is not worth retrying, `timedOut` may be).
package struct DecodingError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for callers that react differently to different failures.
    package enum Kind: Sendable, Equatable {
        case notFound
        case permissionDenied
        case isDirectory
        /// The bytes are not a container or image FFmpeg can read (text, random bytes, an mp4 without moov).
        case notMedia
        case noVideoStream
        case unsupportedCodec
        case invalidURL
        case connectionRefused
        case unknownHost
        /// An open or read passed its deadline (includes a server that accepts and then sends nothing).
        case timedOut
        case authenticationFailed
        /// `FrameReader.Cancellation.cancel()` was called.
        case cancelled
        /// A live stream dropped and every reconnect attempt allowed by the policy failed.
        case reconnectGaveUp
        /// Anything else FFmpeg reported; `detail` carries its message.
        case failed
    }

    package let kind: Kind
    /// The redacted input (`InputLocation.description`).
    package let input: String
    /// What happened, in words.
    package let detail: String

    init(_ kind: Kind, input: String, detail: String) {
        self.kind = kind
        self.input = input
        self.detail = detail
    }

    package var description: String { "\(input): \(detail)" }

    /// Classifies an FFmpeg error code returned while working on `input`.
    /// - Parameters:
    ///   - action: what was being done, for the message ("cannot open", "read failed").
    ///   - interruption: why the interrupt callback stopped the call, if it did. FFmpeg then returns
    ///     `AVERROR_EXIT` or, from some protocols (RTSP), whatever its aborted parser makes of it.
    init(ffmpegCode code: Int32, input: InputLocation, action: String, interruption: Interruption?) {
        let reason = Self.message(forFFmpegCode: code)
        let name = input.description
        switch interruption {
        case .cancelled?:
            self.init(.cancelled, input: name, detail: "\(action): cancelled")
            return
        case .deadline(let what)?:
            self.init(.timedOut, input: name, detail: "\(action): timed out (\(what))")
            return
        case nil:
            break
        }
        switch code {
        case framewise_averror_exit():
            self.init(.cancelled, input: name, detail: "\(action): interrupted")
        case framewise_averror(ETIMEDOUT):
            self.init(.timedOut, input: name, detail: "\(action): timed out (\(reason))")
        case framewise_averror(ENOENT), framewise_averror_http_not_found():
            self.init(.notFound, input: name, detail: "\(action): not found (\(reason))")
        case framewise_averror(EACCES):
            self.init(.permissionDenied, input: name, detail: "\(action): permission denied")
        case framewise_averror(EISDIR):
            self.init(.isDirectory, input: name, detail: "\(action): it is a directory, not a video file")
        case framewise_averror_invaliddata():
            self.init(.notMedia, input: name, detail: "\(action): not a video or image FFmpeg can read (\(reason))")
        case framewise_averror(ECONNREFUSED):
            self.init(.connectionRefused, input: name, detail: "\(action): connection refused")
        case framewise_averror_http_unauthorized(), framewise_averror_http_forbidden():
            self.init(.authenticationFailed, input: name, detail: "\(action): authentication failed (\(reason))")
        case framewise_averror_protocol_not_found():
            self.init(.invalidURL, input: name, detail: "\(action): FFmpeg has no protocol for this URL")
        case framewise_averror(EIO) where input.host.map(Self.cannotResolve) == true:
            self.init(.unknownHost, input: name, detail: "\(action): unknown host '\(input.host ?? "")'")
        default:
            self.init(.failed, input: name, detail: "\(action): \(reason)")
        }
    }

    /// Why FFmpeg's interrupt callback stopped a call.
    enum Interruption {
        case cancelled
        case deadline(String)
    }

    /// FFmpeg's text for an error code (`av_strerror`).
    static func message(forFFmpegCode code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        av_strerror(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// FFmpeg reports a failed name lookup as a plain I/O error; asking the resolver again tells the two apart.
    private static func cannotResolve(_ host: String) -> Bool {
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, nil, &result)
        if let result { freeaddrinfo(result) }
        return status != 0
    }
}
