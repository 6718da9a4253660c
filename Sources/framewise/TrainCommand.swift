import ArgumentParser
import FeatureSpace
import Foundation
import GoogLeNet
import LabelStore
import Pipeline
import VideoDecoding

/// `framewise train HEAD`: adds examples to a head (picture files, stored frames chosen by SQL) and trains it on
/// all of its examples, printing the honest (nested cross-validated) accuracy and storing the new version.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Teach Framewise your own classes: a head on GoogLeNet's features, trained in seconds.",
        discussion: """
            Examples are added to the head's stored ones, then the head is trained on all of them: a multinomial
            logistic regression on the standardised pool5 features, its L2 strength chosen by cross-validation inside
            each of 5 folds (so the accuracy printed is that of examples it never saw), then fitted on all of them.
            Examples:
              framewise train gate --examples ./gate-pictures          (./gate-pictures/open/*.jpg, ./gate-pictures/closed/*.jpg)
              framewise train gate --view gate --region gate=0.6,0.3,0.3,0.5 \\
                --frames "SELECT frame_id, CASE WHEN pts < 60 THEN 'open' ELSE 'closed' END FROM predictions WHERE rank = 1"
            """
    )

    @OptionGroup var database: DatabaseLocation
    @OptionGroup var model: ModelOption
    @OptionGroup var precision: PrecisionOption

    @Argument(help: "The head's name (one word).")
    var head: String

    @Option(help: "A folder with one subfolder of pictures per class (DIR/CLASS/*.jpg).")
    var examples: String?
    @Option(name: .customLong("class"), help: "A class's picture: CLASS=PATH (repeatable).")
    var classPictures: [String] = []
    @Option(help: "SQL returning (frame_id, class) of stored frames to learn from (read-only).")
    var frames: String?
    @Option(help: "The class that means \"none of these\" (it gets no appearances).")
    var none: String?
    @Option(help: "The view the head reads: center, full, tiles or a region's name (default: the one its frame examples were seen through).")
    var view: String?
    @Option(name: .customLong("region"), help: "Define the region --view names: NAME=x,y,width,height (fractions of the frame).")
    var regions: [String] = []
    @Flag(help: "Only add the examples; do not train.")
    var noTraining = false

    func run() async throws {
        try await exitingOnError {
            let loaded = try model.load()
            let model = LoadedModel(loaded, numerics: try loaded.numerics(for: precision.precision))
            let location = try database.location()
            let frameView = try resolvedView()
            let viewName = view ?? frameView?.name ?? "center"
            let chosenFrames = try frames.map { try Self.frameChoices(from: $0, in: location) } ?? []
            let pictures = try picturePaths()
            let store = try location.openForWriting()
            defer { try? store.close() }
            try store.defineHead(head, noneClass: none)
            if !pictures.isEmpty || !chosenFrames.isEmpty {
                let collector = HeadExamples(model: model)
                var collected = collector.pictures(pictures, viewName: viewName)
                let fromFrames = try collector.frames(chosenFrames, viewName: viewName, view: frameView, store: store)
                collected.examples += fromFrames.examples
                collected.refused += fromFrames.refused
                for line in collected.refused { FileHandle.standardError.write(Data("not used: \(line)\n".utf8)) }
                let added = try store.addExamples(collected.examples, to: head)
                print("\(added) example\(added == 1 ? "" : "s") added (\(collected.examples.count - added) already there, \(collected.refused.count) not usable)")
            }
            guard !noTraining else { return }
            let started = ContinuousClock.now
            let outcome = try HeadTraining.train(head, view: view, store: store, model: model)
            print(outcome.report)
            print("stored as \(head) version \(outcome.version.version) (view \(outcome.version.view), \(outcome.version.precision) features); trained in "
                  + String(format: "%.2f s", (ContinuousClock.now - started) / .seconds(1)))
            try printAgreement(outcome.version, examples: try store.examples(of: head), view: frameView, loaded: loaded, model: model)
        }
    }

    /// How the head's answers change at the other precisions this machine runs: its examples' pictures classified
    /// at each, against the head's own precision (runs at another precision apply it with a warning).
    private func printAgreement(_ version: HeadVersionRecord, examples: [StoredHeadExample], view: FrameView?,
                                loaded: LoadedModelFiles, model: LoadedModel) throws {
        let seenAs = view ?? FrameView(builtIn: version.view)
        for other in Precision.allCases where other != model.numerics.precision {
            guard let numerics = try? loaded.numerics(for: other) else { continue }
            guard let seenAs else {
                print("at \(other): not measured (the region \(version.view) is not defined here: --region \(version.view)=x,y,w,h)")
                continue
            }
            let (same, compared) = try HeadTraining.agreement(of: version, examples: examples, view: seenAs, reference: model,
                                                               other: LoadedModel(loaded, numerics: numerics))
            guard compared > 0 else { continue }
            print("at \(other): the same answer as at \(model.numerics.precision) for \(same) of \(compared) example pictures"
                  + String(format: " (%.1f%%)", 100 * Double(same) / Double(compared)))
        }
    }

    /// The view examples are seen through: a built-in one, or a region defined by `--region`; nil for a region
    /// named by `--view` alone (frames' stored features of it can still be used).
    private func resolvedView() throws -> FrameView? {
        let regionViews = Dictionary(try regions.map(regionView).map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        let name = view ?? "center"
        if let unused = regionViews.keys.first(where: { $0 != name }) {
            throw ConfigurationError(message: "--region \(unused) is not the view the head reads (--view \(name))")
        }
        return FrameView(builtIn: name) ?? regionViews[name]
    }

    /// `(class, path)` of every picture named by `--examples` and `--class`.
    private func picturePaths() throws -> [(className: String, path: String)] {
        var pictures: [(className: String, path: String)] = []
        if let examples {
            let root = URL(fileURLWithPath: examples)
            let classes = try FileManager.default.contentsOfDirectory(atPath: examples).filter { !$0.hasPrefix(".") }.sorted()
            for name in classes where (try? root.appendingPathComponent(name).resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(name).path)
                    .filter { !$0.hasPrefix(".") }.sorted()
                pictures += files.map { (name, root.appendingPathComponent(name).appendingPathComponent($0).path) }
            }
            if pictures.isEmpty { throw ConfigurationError(message: "--examples \(examples): no CLASS/picture files in it") }
        }
        for text in classPictures {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ConfigurationError(message: "--class must be CLASS=PATH, found '\(text)'") }
            pictures.append((parts[0], parts[1]))
        }
        return pictures
    }

    /// The `(frame_id, class)` rows of the user's SQL, run read-only.
    private static func frameChoices(from sql: String, in location: LabelDatabaseLocation) throws -> [(frameID: Int64, className: String)] {
        let rows = RowCollector()
        try location.openReadOnly().run(sql, arguments: [], into: rows)
        return try rows.rows.map { row in
            guard row.count >= 2, let frameID = row[0].int64, let className = row[1].text ?? row[1].int64.map(String.init), !className.isEmpty
            else { throw ConfigurationError(message: "--frames must return (frame_id, class) rows: an integer and a class name") }
            return (frameID, className)
        }
    }
}

/// Keeps every row of a result.
final class RowCollector: ResultSink {
    private(set) var rows: [[QueryValue]] = []
    func begin(columns: [String]) {}
    func write(row: [QueryValue]) { rows.append(row) }
    func end() {}
}
