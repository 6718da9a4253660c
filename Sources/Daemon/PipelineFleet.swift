import Foundation
import Logging
import Pipeline
import Synchronization

/// The pipelines the daemon runs, one per valid file of its directory, each a set of `SupervisedInput`s
/// sharing the one `LabellingStages`. A reload hands it the directory read anew: added files start, removed
/// ones stop, changed ones restart, unchanged ones go on untouched, and a file that became invalid keeps its
/// previous version running. A pipeline whose heads were trained again since it started restarts at a reload.
///
/// Ownership: the fleet owns its supervised inputs; `apply` and `stopAll` are called from one task at a time.
final class PipelineFleet: Sendable {
    private struct RunningPipeline {
        let definition: PipelineDefinition
        let inputs: [SupervisedInput]
        /// The newest version of each of its heads when it started.
        let headVersions: [String: Int]
    }

    private let stages: LabellingStages
    private let logger: Logger
    private let pipelines = Mutex<[String: RunningPipeline]>([:])

    init(stages: LabellingStages, logger: Logger) {
        self.stages = stages
        self.logger = logger
    }

    /// Every input of every pipeline, in file order.
    var inputs: [SupervisedInput] {
        pipelines.withLock { pipelines in
            pipelines.keys.sorted().flatMap { pipelines[$0]!.inputs }
        }
    }

    var pipelineCount: Int { pipelines.withLock { $0.count } }

    /// What each running pipeline's retention covers: its sources and its period.
    var pruneScopes: [PruneScope] {
        pipelines.withLock { pipelines in
            pipelines.keys.sorted().map { file in
                let configuration = pipelines[file]!.definition.configuration
                return PruneScope(pipeline: configuration.name, retention: configuration.retention,
                                  sourceURIs: configuration.inputs.map(\.sourceURI))
            }
        }
    }

    /// Brings the running pipelines in line with `directory` (blocking: stopping a pipeline waits for its
    /// frames in flight). Returns what changed, for the log.
    @discardableResult
    func apply(_ directory: PipelineDirectory) -> (started: Int, stopped: Int, restarted: Int, kept: Int) {
        for (file, message) in directory.errors {
            let keeps = pipelines.withLock { $0[file] != nil }
            logger.error("\(message)", metadata: ["file": "\(file)", "action": keeps ? "keeping the previous version" : "not started"])
        }
        let invalidFiles = Set(directory.errors.map(\.file))
        let wanted = Dictionary(uniqueKeysWithValues: directory.definitions.map { ($0.file, $0) })
        let current = pipelines.withLock { $0 }
        var result = (started: 0, stopped: 0, restarted: 0, kept: 0)

        for (file, running) in current where wanted[file] == nil && !invalidFiles.contains(file) {
            stop(running)
            pipelines.withLock { _ = $0.removeValue(forKey: file) }
            result.stopped += 1
        }
        for (file, definition) in wanted {
            if let running = current[file] {
                let retrained = running.headVersions != stages.newestHeadVersions(of: definition.configuration.heads)
                if retrained {
                    logger.info("a head was trained again: restarting the pipeline that applies it",
                                metadata: ["pipeline": "\(definition.configuration.name)"])
                }
                if running.definition.text == definition.text, !retrained {
                    // Someone may have fixed what failed for good (a password, a file): try those inputs now.
                    for input in running.inputs { input.retryNow() }
                    result.kept += 1
                    continue
                }
                stop(running)
                result.restarted += 1
            } else {
                result.started += 1
            }
            let started = start(definition)
            pipelines.withLock { $0[file] = started }
        }
        return result
    }

    /// Stops every pipeline (frames in flight are finished) and waits for them.
    func stopAll() {
        let all = pipelines.withLock { $0.values }
        for running in all { for input in running.inputs { input.stop() } }
        for running in all { for input in running.inputs { input.waitUntilEnded() } }
    }

    /// Drops the frames still waiting in every pipeline (a stop that must end now).
    func stopAllAtOnce() {
        for input in inputs { input.stopAtOnce() }
    }

    private func start(_ definition: PipelineDefinition) -> RunningPipeline {
        let configuration = definition.configuration
        logger.info("starting pipeline", metadata: [
            "pipeline": "\(configuration.name)", "file": "\(definition.file)", "inputs": "\(configuration.inputs.count)"])
        let inputs = configuration.inputs.map { SupervisedInput($0, of: configuration, stages: stages, logger: logger) }
        for input in inputs { input.start() }
        return RunningPipeline(definition: definition, inputs: inputs,
                               headVersions: stages.newestHeadVersions(of: configuration.heads))
    }

    private func stop(_ running: RunningPipeline) {
        logger.info("stopping pipeline", metadata: ["pipeline": "\(running.definition.configuration.name)"])
        for input in running.inputs { input.stop() }
        for input in running.inputs { input.waitUntilEnded() }
    }
}
