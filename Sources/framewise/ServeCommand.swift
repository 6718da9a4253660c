public import ArgumentParser
import Daemon
import Foundation
import Logging
import ServiceLifecycle

/// `framewise serve`: the daemon — every pipeline of a directory labelled around the clock into one database,
/// with health, readiness, Prometheus metrics and the streams API over HTTP, and systemd's notify protocol.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run as a daemon: every pipeline in a directory, HTTP health and metrics, systemd notifications.",
        discussion: """
            The configuration file (YAML) names the database, the pipelines directory, where HTTP listens and the
            worker pool; see deploy/README.md. SIGHUP reloads the configuration and the pipelines directory,
            SIGTERM (or Ctrl-C) stops after finishing the frames in flight. Example:
              framewise serve --config /etc/framewise/framewise.yaml
            """)

    /// The version reported in `framewise_build_info` and the HTTP `Server` header.
    static let version = "0.3.0"

    @Option(help: "The daemon's configuration file.")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        var logger = Logger(label: "framewise.serve") { JournalStream.makeLogHandler(label: $0) }
        logger.logLevel = logLevel
        try await exitingOnError {
            let group = try FramewiseDaemon.makeServiceGroup(configurationFile: config, version: Self.version, logger: logger)
            try await group.run()
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
