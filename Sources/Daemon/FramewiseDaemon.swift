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
        let listening = ReadinessSignal()
        let http = HTTPInterface(stages: stages, fleet: fleet, metrics: metrics, token: token,
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
            configuration: configuration, stages: stages, fleet: fleet, notifier: notifier, listening: listening,
            failure: failure, logger: logger, environment: environment)
        // Shut down in reverse order: the pipelines drain first while HTTP still answers, then HTTP stops.
        return ServiceGroup(configuration: .init(
            services: [app, daemon], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    }
}
