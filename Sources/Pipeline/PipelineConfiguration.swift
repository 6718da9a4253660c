package import Foundation
package import GoogLeNet
package import VideoDecoding

/// Everything one pipeline run needs: its inputs, how they are sampled and decoded, the worker pool, the
/// model and the database. Built from command-line options or read from a pipeline file.
package struct PipelineConfiguration: Sendable {
    /// One input of the run and how to read it.
    package struct Input: Sendable {
        package var location: InputLocation
        package var decoder: DecoderOptions

        package init(location: InputLocation, decoder: DecoderOptions) {
            self.location = location
            self.decoder = decoder
        }

        /// The decoder options an input starts from: the defaults, plus reconnecting for network inputs (a live
        /// stream as its policy says, a network file a few times after a failure in the middle).
        /// How the input's source is known in the database (`sources.uri`): a file by its canonical path, a
        /// stream by its redacted URL.
        package var sourceURI: String {
            location.kind == .file ? SourceIdentity.canonicalPath(location.description) : location.description
        }

        package static func defaultDecoderOptions(for location: InputLocation) -> DecoderOptions {
            var options = DecoderOptions()
            if location.isNetwork { options.reconnect = ReconnectPolicy() }
            return options
        }
    }

    package var name: String
    package var inputs: [Input]
    /// The model directory; `nil` means the default location (environment, then the user's data directory).
    package var modelDirectory: String?
    /// The number format the engines compute in (int8 needs the model's calibration file).
    package var precision: Precision
    /// Number of GoogLeNet workers, each with its own engine.
    package var workers: Int
    /// Frames per inference call; with more than one, a worker waits at most `batchDeadline` to fill a batch.
    package var batch: Int
    package var batchDeadline: TimeInterval
    /// Frames that may wait between one input's decoder and the workers.
    package var queueCapacity: Int
    /// What a full queue does for live inputs (files, local or over the network, always wait).
    package var liveBackpressure: BackpressurePolicy
    /// The SQLite database the answers go to; `nil`: the default location (`$FRAMEWISE_DB`, else
    /// `./framewise.sqlite`, decided by the command line).
    package var databasePath: String?
    /// Redo frames that are already stored instead of skipping them.
    package var restart: Bool
    /// Which labelled frames keep a small JPEG in the database.
    package var thumbnails: ThumbnailPolicy
    /// The WordNet categories scored in every view of every frame (words or wnids); `nil`: the everyday ones,
    /// when WordNet is installed (without it the run labels on with a warning; named categories need it).
    package var categories: [String]?
    /// When a label or category counts as there (`appearances`).
    package var appearances = AppearanceThresholds()
    /// Which frames' feature vectors (pool5, every view) are stored, for `framewise similar` and examples.
    package var features = FeatureStorage.thumbnails
    /// The heads applied, each on one view (nil: the view it was trained on if the input has it, else the
    /// input's first view).
    package var heads: [HeadUse] = []
    /// How long the daemon keeps the frames of this pipeline's sources (`retention:`); nil: the daemon's default,
    /// and without one, for ever.
    package var retention: RetentionPeriod?

    package init(
        name: String, inputs: [Input], modelDirectory: String? = nil, precision: Precision = .fp32,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, batch: Int = 1, batchDeadline: TimeInterval = 0.05,
        queueCapacity: Int = 8, liveBackpressure: BackpressurePolicy = .dropOldest,
        databasePath: String? = nil, restart: Bool = false, thumbnails: ThumbnailPolicy = .segments,
        retention: RetentionPeriod? = nil
    ) {
        self.name = name
        self.inputs = inputs
        self.modelDirectory = modelDirectory
        self.precision = precision
        self.workers = workers
        self.batch = batch
        self.batchDeadline = batchDeadline
        self.queueCapacity = queueCapacity
        self.liveBackpressure = liveBackpressure
        self.databasePath = databasePath
        self.restart = restart
        self.thumbnails = thumbnails
        self.retention = retention
    }

    /// Checks what can be checked before any input is opened (each value's range is checked where it is read,
    /// against `OptionLimits`): the same input given twice, `--restart` on an RTSP camera, decoder options that
    /// do not go together.
    package func validate() throws(ConfigurationError) {
        var seen: Set<InputLocation> = []
        for input in inputs {
            if !seen.insert(input.location).inserted {
                throw ConfigurationError(message: "\(input.location) is given twice")
            }
            if restart, input.location.kind == .rtsp {
                throw .restartOfLiveInput(input.location)
            }
            if let conflict = input.decoder.conflict {
                throw ConfigurationError(message: "\(input.location): \(conflict)")
            }
            if input.decoder.views.isEmpty {
                throw ConfigurationError(message: "\(input.location): no view to label")
            }
            if Set(input.decoder.views.map(\.name)).count != input.decoder.views.count {
                throw ConfigurationError(message: "\(input.location): a view is given twice")
            }
        }
        if let conflict = appearances.conflict {
            throw ConfigurationError(message: "appearances: \(conflict)")
        }
    }
}

/// Which frames' feature vectors a run stores (`frame_features`).
package enum FeatureStorage: String, Sendable, CaseIterable {
    /// None.
    case off
    /// The frames that get a thumbnail (an appearance's first frame, a segment's): enough to search by picture.
    case thumbnails
    /// Every labelled frame (2 KB each).
    case all
}

/// A head applied by a run: its name, and the view it reads (nil: chosen when the input opens).
package struct HeadUse: Hashable, Sendable, CustomStringConvertible {
    package let head: String
    package let view: String?

    package init(head: String, view: String?) {
        self.head = head
        self.view = view
    }

    /// `HEAD` or `VIEW=HEAD`.
    package init(_ text: String) throws(ConfigurationError) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
            throw ConfigurationError(message: "a head is HEAD or VIEW=HEAD, not '\(text)'")
        }
        self.init(head: parts.last!, view: parts.count == 2 ? parts[0] : nil)
    }

    package var description: String { view.map { "\($0)=\(head)" } ?? head }
}

/// A pipeline configuration that cannot run, in one line.
package struct ConfigurationError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
    package init(message: String) { self.message = message }

    /// `--restart` given for a live input: its runs are sessions, there is nothing to redo. Checked before
    /// opening for RTSP and after opening for inputs found live then.
    static func restartOfLiveInput(_ location: InputLocation) -> ConfigurationError {
        ConfigurationError(message: "\(location): --restart applies to files; every run of a live stream is a new session")
    }
}
