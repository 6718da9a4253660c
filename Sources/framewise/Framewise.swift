import ArgumentParser

/// The `framewise` command: labels video frames with GoogLeNet and stores the answers in SQLite.
@main
struct Framewise: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "framewise",
        abstract: "Label every sampled frame of a video with GoogLeNet and store the top-5 labels in SQLite.",
        subcommands: [
            BenchCommand.self,
        ]
    )
}
