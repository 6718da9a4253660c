import Logging
import Pipeline
import ServiceLifecycle
import UnixSignals

extension PipelineService {
    /// Runs the service alone in a `ServiceGroup` that owns SIGINT and SIGTERM: the first is the group's graceful
    /// shutdown, the service takes a second one as "at once"; the work ending by itself ends the group.
    func runUntilDone(logger: Logger) async throws {
        var group = ServiceGroupConfiguration(
            services: [.init(service: self, successTerminationBehavior: .gracefullyShutdownGroup)], logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        try await ServiceGroup(configuration: group).run()
    }
}
