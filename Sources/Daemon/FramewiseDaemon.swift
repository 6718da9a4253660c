import Foundation
import GoogLeNet
import Hummingbird
import LabelStore
package import Logging
import Pipeline
package import ServiceLifecycle
import UnixSignals

/// `framewise serve`, assembled: one function builds everything from the configuration file — the model, the
/// database (migrated), the shared stages, the pipelines, the HTTP server and the systemd notifier — as one
/// swift-service-lifecycle `ServiceGroup` (graceful shutdown on SIGTERM and SIGINT). The command line and the
/// tests share it. Everything that can be wrong at start (configuration, token, model, database, pipelines
/// directory, notify socket) throws one line here, before systemd hears `READY=1`.
package enum FramewiseDaemon {
    package static func makeServiceGroup(configurationFile: String, version: String, logger: Logger,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ServiceGroup
    {
        let configuration = try DaemonConfiguration.load(file: configurationFile, environment: environment)
        let token = try configuration.readToken()
        let notifier = try SystemdNotifier(environment: environment)
        _ = try PipelineDirectory(reading: configuration, environment: environment)
        let files = try ModelDirectory(path: configuration.model, environment: environment).load()
        let model = LoadedModel(files, numerics: try files.numerics(for: configuration.precision))
        let location = try LabelDatabaseLocation(configuration.database)
        let check = try checkDatabase(location, notifier: notifier, logger: logger)
        let store = try location.openForWriting()

        let metrics = MetricsExporter(version: version, modelSHA256: files.sha256, precision: configuration.precision.rawValue)
        let failure = ReadinessSignal()
        let stages = try LabellingStages(
            model: model, store: store, workers: configuration.workers, storeFailures: .dropAndRetry,
            metrics: metrics.factory, logger: logger
        ) { error in
            logger.critical("the workers failed: \(error)")
            failure.fire("the workers failed: \(error)")
        }
        let fleet = PipelineFleet(stages: stages, logger: logger)
        let keeper = DatabaseKeeper(store: store, latencies: stages.commitLatencies, configuration: configuration, check: check,
                                    logger: logger) { fleet.pruneScopes }
        let listening = ReadinessSignal()
        let security = PageSecurity(hosts: AcceptedHosts(listen: configuration.listen, allowed: configuration.allowedHosts), token: token)
        let http = HTTPInterface(stages: stages, fleet: fleet, keeper: keeper, metrics: metrics, security: security,
                                 readers: ReadConnectionPool(location: location, capacity: HTTPInterface.readConnections))
        let app = Application(
            router: http.makeRouter(),
            configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port),
                                 serverName: "framewise/\(version)"),
            onServerRunning: { _ in
                logger.info("HTTP listening", metadata: ["address": "\(configuration.listen)"])
                listening.fire()
            },
            logger: logger)
        let daemon = DaemonService(
            configuration: configuration, stages: stages, fleet: fleet, keeper: keeper, notifier: notifier, listening: listening,
            failure: failure, logger: logger, environment: environment)
        // Shut down in reverse order: the pipelines drain first while HTTP still answers, then HTTP stops.
        return ServiceGroup(configuration: .init(
            services: [app, daemon], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }

    /// Bytes of file per second `PRAGMA quick_check` reads at the least: 60–89 MB/s on a 1.54 GB database on the
    /// shared 2-core machine (docs/measurements.md, "Retention in the daemon"); start-up asks systemd for 30 s plus
    /// three times the time this gives (5 GB: 330 s), and runs the check before READY, so that nothing writes a
    /// damaged file.
    static let quickCheckBytesPerSecond = 50_000_000.0

    /// `PRAGMA quick_check` of an SQLite file before anything writes it: a damaged file stops the daemon with one
    /// line (`LabelStoreError.damaged`), untouched. A large file first extends systemd's start timeout
    /// (`EXTEND_TIMEOUT_USEC`). Returns the outcome in words for `/readyz` and the page.
    private static func checkDatabase(_ location: LabelDatabaseLocation, notifier: SystemdNotifier, logger: Logger) throws -> String? {
        if case .sqlite(let path) = location,
           let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.doubleValue,
           size > 256e6
        {
            let seconds = 30 + 3 * size / quickCheckBytesPerSecond
            try? notifier.send(.extendTimeout(microseconds: UInt64(seconds * 1e6)), .status("checking the database (quick_check)"))
        }
        guard let duration = try location.quickCheck() else { return nil }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        logger.info("database checked", metadata: ["quick_check": "ok", "seconds": "\(String(format: "%.2f", seconds))"])
        return String(format: "quick_check ok in %.2f s", seconds)
    }
}
