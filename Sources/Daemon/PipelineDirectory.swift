import Foundation
import Pipeline

/// One pipeline file of the daemon's directory, read and checked against the daemon's configuration: the
/// pipeline's name, its file, the text it was read from (what "changed" means on a reload) and its configuration.
struct PipelineDefinition: Sendable {
    let file: String
    let text: String
    let configuration: PipelineConfiguration
}

/// The daemon's directory of pipeline files, read in one pass: the definitions that are valid and, for each
/// file that is not, its one-line error (`file:line: key: why`).
struct PipelineDirectory {
    var definitions: [PipelineDefinition] = []
    var errors: [(file: String, message: String)] = []

    /// Reads every `*.yaml`/`*.yml` file of the configured directory. An unreadable directory throws.
    init(reading daemon: DaemonConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: daemon.pipelines)
        } catch {
            throw DaemonError("\(daemon.file): pipelines: cannot read the directory \(daemon.pipelines)")
        }
        var seenNames: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let file = daemon.pipelines + "/" + name
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                var configuration = try PipelineFile.parse(text, file: file, environment: environment)
                try Self.check(&configuration, file: file, against: daemon)
                if let other = seenNames[configuration.name] {
                    throw DaemonError("\(file): name: '\(configuration.name)' is already the name of \(other)")
                }
                seenNames[configuration.name] = file
                definitions.append(PipelineDefinition(file: file, text: text, configuration: configuration))
            } catch {
                errors.append((file, "\(error)"))
            }
        }
    }

    /// The daemon's settings win over the pipeline's: one database, one model, one worker pool; the daemon's
    /// retention is the default of a pipeline that sets none.
    private static func check(_ configuration: inout PipelineConfiguration, file: String, against daemon: DaemonConfiguration) throws {
        if let database = configuration.databasePath, !Self.samePath(database, daemon.database) {
            throw DaemonError("\(file): sink.database: names \(database), but the daemon writes every pipeline to \(daemon.database)")
        }
        if let model = configuration.modelDirectory, let daemonModel = daemon.model, !Self.samePath(model, daemonModel) {
            throw DaemonError("\(file): model.directory: names \(model), but the daemon runs one model, \(daemonModel)")
        }
        try configuration.validate()
        configuration.databasePath = daemon.database
        configuration.workers = daemon.workers
        configuration.precision = daemon.precision
        configuration.restart = false
        configuration.retention = configuration.retention ?? daemon.retention
    }

    private static func samePath(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
