import CFFmpeg

/// FFmpeg's own messages on standard error, which are process-wide. Framewise reports every decoding problem
/// itself, in one line with the input's URL redacted; FFmpeg's messages may quote a URL with its password,
/// so a program turns them off unless the user asks for them.
package enum FFmpegLogging {
    package enum Level: Sendable {
        /// Nothing.
        case quiet
        /// Errors only.
        case errors
        /// Everything FFmpeg reports, for debugging an input.
        case verbose

        var ffmpegLevel: Int32 {
            switch self {
            case .quiet: AV_LOG_QUIET
            case .errors: AV_LOG_ERROR
            case .verbose: AV_LOG_VERBOSE
            }
        }
    }

    package static func setLevel(_ level: Level) {
        av_log_set_level(level.ffmpegLevel)
    }
}
