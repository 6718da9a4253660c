package import Foundation
package import GoogLeNet
package import LabelStore
package import Logging
import Synchronization
import VideoDecoding

/// The model a run labels with: weights shared read-only by every worker, the precision they run at (with its
/// calibration), the class labels, and the fingerprint recorded with each run.
package struct LoadedModel: Sendable {
    package let weights: ModelWeights
    package let numerics: EngineNumerics
    package let classes: [ClassLabel]
    package let sha256: String

    package init(weights: ModelWeights, numerics: EngineNumerics = .fp32, classes: [ClassLabel], sha256: String) {
        self.weights = weights
        self.numerics = numerics
        self.classes = classes
        self.sha256 = sha256
    }

    /// A model read from its directory, to run at `numerics`, with its labels in the store's terms.
    package init(_ files: LoadedModelFiles, numerics: EngineNumerics) {
        self.init(
            weights: files.weights, numerics: numerics,
            classes: files.labels.classes.enumerated().map { index, imageNetClass in
                ClassLabel(index: index, wnid: imageNetClass.wnid, label: imageNetClass.label,
                           names: imageNetClass.names.joined(separator: ", "))
            },
            sha256: files.sha256)
    }
}

/// How one input of a run ended.
package struct InputReport: Sendable {
    package enum Status: Sendable, Equatable {
        case completed
        case interrupted
        case failed(InputFailure)
    }

    /// The input as given, redacted.
    package let input: String
    package let status: Status
    /// A live stream's session rather than a file.
    package let isLive: Bool
    /// The final counters: `sampled == labeled + dropped + skipped`.
    package let progress: InputProgress
    /// Top-1 classes of this run's frames with their frame counts, most frequent first.
    package let topClasses: [(classIndex: Int, frames: Int)]
}

/// One run of a pipeline configuration from start to end (the command line's `framewise run`): builds the
/// shared stages, opens every input into them — one decoder per input → the GoogLeNet worker pool → the
/// SQLite sink — runs them all to their end (or to a stop) and reports how each ended.
package final class PipelineRunner: Sendable {
    private let configuration: PipelineConfiguration
    private let model: LoadedModel
    private let store: LabelStore
    private let logger: Logger

    package init(configuration: PipelineConfiguration, model: LoadedModel, store: LabelStore, logger: Logger) {
        self.configuration = configuration
        self.model = model
        self.store = store
        var logger = logger
        logger[metadataKey: "pipeline"] = "\(configuration.name)"
        self.logger = logger
    }

    /// Runs every input to its end. `progress` is called about every `progressInterval` seconds with the
    /// counters of the inputs that opened (in input order) while the run goes on. An input that cannot be
    /// opened is reported as failed and the others run; a database error while starting the inputs finishes
    /// the runs already begun (as failed) and is thrown. A worker's failure, or the store's, stops the run.
    package func run(stop: StopRequest, progressInterval: TimeInterval = 1,
                    progress: (@Sendable ([InputProgress]) -> Void)? = nil) throws -> [InputReport]
    {
        let stages = try LabellingStages(
            model: model, store: store, workers: configuration.workers, batch: configuration.batch,
            batchDeadline: configuration.batchDeadline, storeFailures: .stopRun, logger: logger
        ) { _ in stop.request(.immediate) }

        var inputs: [InputSession] = []
        var reports: [Int: InputReport] = [:]
        for (position, input) in configuration.inputs.enumerated() {
            do {
                inputs.append(try InputSession.open(input, position: position, of: configuration, into: stages))
            } catch let failure as InputFailure {
                // The report carries the failure (the command line prints it as its one `error:` line).
                logger.debug("cannot start input", metadata: ["input": "\(input.location)", "error": "\(failure)"])
                reports[position] = InputReport(input: input.location.description, status: .failed(failure),
                                                isLive: false, progress: InputProgress(), topClasses: [])
            } catch {
                for begun in inputs { begun.abandon(because: error) }
                stages.finish()
                throw error
            }
        }

        stages.start()
        let inputsDone = DispatchGroup()
        let finished = Mutex<[Int: InputReport]>([:])
        for input in inputs {
            inputsDone.enter()
            StageThread.start(StageThread.input) {
                let report = input.run(stop: stop)
                finished.withLock { $0[input.position] = report }
                inputsDone.leave()
            }
        }
        while inputsDone.wait(timeout: .now() + progressInterval) == .timedOut {
            progress?(inputs.map(\.counters.snapshot))
        }
        stages.finish()
        reports.merge(finished.withLock { $0 }) { first, _ in first }
        return configuration.inputs.indices.compactMap { reports[$0] }
    }
}
