import ArgumentParser

/// `framewise bench`: benchmarks of one stage at a time (the engine by default).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure one stage on its own: the engine (default), the decoder or the sink.",
        subcommands: [
            BenchEngineCommand.self,
            BenchSinkCommand.self,
            BenchRetentionCommand.self,
            BenchDecodeCommand.self,
            BenchAgreementCommand.self,
        ],
        defaultSubcommand: BenchEngineCommand.self
    )
}
