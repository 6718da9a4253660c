import ContentDigest
package import FeatureSpace
import Foundation
package import LabelStore
package import VideoDecoding

/// Trains a head on its stored examples (`HeadTrainer`: nested cross-validation, then a fit on all of them) and
/// stores the new version with the report `framewise train` prints — its held-out accuracy, per-class precision
/// and recall, the confusion matrix and the examples it got wrong.
package enum HeadTraining {
    /// The stored version and the report.
    package struct Outcome: Sendable {
        package let version: HeadVersionRecord
        package let trained: TrainedHead
        package let report: String
    }

    /// Refuses (one line) a head whose examples were computed by another model than `model`, or of fewer than
    /// two classes with two examples each. `view` names the view runs apply it to (default: the one most of
    /// its frame examples were seen through, else `center`).
    package static func train(_ head: String, view: String?, store: LabelStore, model: LoadedModel,
                              trainer: HeadTrainer = HeadTrainer()) throws -> Outcome {
        let examples = try store.examples(of: head)
        let foreign = examples.filter { $0.record.modelSHA256 != model.sha256 }
        guard foreign.isEmpty else {
            throw LabelStoreError.invalidHead("\(foreign.count) of \(head)'s examples were computed by another model "
                + "(\(foreign[0].record.modelSHA256.prefix(12))…, this one is \(model.sha256.prefix(12))…): remove them or add them again")
        }
        let classNames = Array(Set(examples.map(\.record.className))).sorted()
        let labels = examples.map { classNames.firstIndex(of: $0.record.className)! }
        let features: FeatureSet
        do {
            features = try FeatureSet(width: StoredFeatures.width, classNames: classNames,
                                      values: examples.flatMap(\.record.features), labels: labels)
        } catch {
            throw LabelStoreError.invalidHead("\(head): \(error)")
        }
        let trained: TrainedHead
        do {
            trained = try trainer.train(features)
        } catch {
            throw LabelStoreError.invalidHead("\(head): \(error)")
        }
        let precisions = Set(examples.map(\.record.precision))
        let version = try store.storeVersion(HeadVersionRecord(
            head: head, version: 0, view: view ?? usualView(of: examples), classes: classNames, modelSHA256: model.sha256,
            precision: precisions.count == 1 ? precisions.first! : precisions.sorted().joined(separator: "+"),
            parameters: trained.model.parameters, examples: examples.count, examplesDigest: digest(of: examples),
            accuracy: trained.evaluation.accuracy, folds: trained.folds, strength: trained.strength,
            report: report(head, examples: examples, trained: trained), trainedAt: Date()))
        return Outcome(version: version, trained: trained, report: version.report)
    }

    /// How a head's answers change at another precision: each example's picture seen through `view` by
    /// `reference` (the model at the head's precision) and by `other`, classified by the head; how many of the
    /// pictures get the same best class. Examples without a picture are left out.
    package static func agreement(of version: HeadVersionRecord, examples: [StoredHeadExample], view: FrameView,
                                  reference: LoadedModel, other: LoadedModel) throws -> (same: Int, of: Int) {
        guard let classifier = SoftmaxRegression(classNames: version.classes, width: StoredFeatures.width, parameters: version.parameters)
        else { return (0, 0) }
        let atReference = HeadExamples(model: reference), atOther = HeadExamples(model: other)
        var same = 0, compared = 0
        for example in examples {
            guard let picture = example.record.picture else { continue }
            let expected = classifier.probabilities(of: try atReference.features(ofJPEG: picture, view: view))
            let found = classifier.probabilities(of: try atOther.features(ofJPEG: picture, view: view))
            compared += 1
            if SoftmaxRegression.mostProbable(expected) == SoftmaxRegression.mostProbable(found) { same += 1 }
        }
        return (same, compared)
    }

    /// The view most frame examples were seen through (`frame:V`, `thumbnail:V`), else `center`.
    private static func usualView(of examples: [StoredHeadExample]) -> String {
        let views = examples.compactMap { example -> String? in
            let parts = example.record.view.split(separator: ":", maxSplits: 1)
            return parts.count == 2 && parts[0] != "picture" ? String(parts[1]) : nil
        }
        let counts = Dictionary(views.map { ($0, 1) }, uniquingKeysWith: +)
        return counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? "center"
    }

    /// SHA-256 over the examples' feature digests and classes, in a fixed order: the same examples, the same digest.
    private static func digest(of examples: [StoredHeadExample]) -> String {
        SHA256Digest.hex(of: Data(examples.map { "\($0.record.digest) \($0.record.className)\n" }.sorted().joined().utf8))
    }

    private static func report(_ head: String, examples: [StoredHeadExample], trained: TrainedHead) -> String {
        let evaluation = trained.evaluation
        let names = evaluation.classNames
        let sources = Dictionary(examples.map { ($0.record.view, 1) }, uniquingKeysWith: +)
            .sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "–" }
        let correct = evaluation.truth.count - evaluation.misclassified.count
        var lines = [
            "head \(head): \(names.count) classes, \(examples.count) examples (\(sources))",
            "nested \(trained.folds)-fold cross-validation (L2 strength chosen inside each fold): accuracy "
                + "\(percent(evaluation.accuracy)) (\(correct)/\(evaluation.truth.count)); C chosen per fold: "
                + trained.strengthsPerFold.map { String(format: "%.3g", $0) }.joined(separator: ", "),
        ]
        let width = max(names.map(\.count).max() ?? 5, 5)
        func padded(_ text: String, _ size: Int) -> String { text.padding(toLength: max(size, text.count), withPad: " ", startingAt: 0) }
        func right(_ text: String, _ size: Int) -> String { String(repeating: " ", count: max(size - text.count, 0)) + text }
        lines.append(padded("class", width) + "  examples  precision  recall")
        let confusion = evaluation.confusion
        for (index, name) in names.enumerated() {
            lines.append(padded(name, width) + right("\(confusion[index].reduce(0, +))", 10)
                         + right(percent(evaluation.precision(of: index)), 11) + right(percent(evaluation.recall(of: index)), 8))
        }
        lines.append("confusion (rows: the class, columns: the answer)")
        let cell = max(width, 6)
        lines.append(padded("", width) + names.map { right($0, cell + 2) }.joined())
        for (index, name) in names.enumerated() {
            lines.append(padded(name, width) + confusion[index].map { right("\($0)", cell + 2) }.joined())
        }
        let wrong = evaluation.misclassified
        lines.append(wrong.isEmpty ? "misclassified: none" : "misclassified (\(wrong.count)):")
        for index in wrong {
            let example = examples[index].record
            lines.append("  \(example.origin) [example \(examples[index].id)]: \(example.className), answered \(names[evaluation.predicted[index]])")
        }
        let fitSeconds = trained.finalFit / .seconds(1)
        lines.append("kept: fitted on all \(examples.count) examples with C = \(String(format: "%.3g", trained.strength)) "
                     + "(chosen by \(trained.folds)-fold cross-validation of all of them) in \(String(format: "%.2f s", fitSeconds))")
        return lines.joined(separator: "\n")
    }
}
