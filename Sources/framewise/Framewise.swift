import ArgumentParser
import Foundation
import VideoDecoding

/// The `framewise` command: labels video frames with GoogLeNet and stores the answers in SQLite.
@main
struct Framewise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framewise",
        abstract: "Label every sampled frame of a video with GoogLeNet and store the top-5 labels in SQLite.",
        subcommands: [
            RunCommand.self,
            QueryCommand.self,
            SegmentsCommand.self,
            CategoriesCommand.self,
            PruneCommand.self,
            DatabaseCommand.self,
            ReportCommand.self,
            ServeCommand.self,
            EnqueueCommand.self,
            WorkCommand.self,
            JobsCommand.self,
            ClassifyCommand.self,
            TrainCommand.self,
            HeadsCommand.self,
            SimilarCommand.self,
            ModelCommand.self,
            BenchCommand.self,
        ]
    )

    /// Process-wide settings, made once here: FFmpeg's own messages stay off (errors are reported in one
    /// redacted line by each command) unless FRAMEWISE_FFMPEG_LOG=verbose or errors asks for them.
    static func main() async {
        switch ProcessInfo.processInfo.environment["FRAMEWISE_FFMPEG_LOG"] {
        case "verbose": FFmpegLogging.setLevel(.verbose)
        case "errors": FFmpegLogging.setLevel(.errors)
        default: FFmpegLogging.setLevel(.quiet)
        }
        await Self.main(nil)
    }
}
