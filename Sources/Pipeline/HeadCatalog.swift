package import FeatureSpace
import Foundation
import GoogLeNet
package import LabelStore
import Logging

/// The heads an input applies, read from the store when it opens: each use resolved to its head's newest
/// version and a view of the input, checked against the model the workers run, and turned into the
/// `HeadScoring` its frames carry — with the names its classes' appearances are stored under (`head/class`; the
/// "none of these" class has no appearances) and what the run records (`runs.heads`). A head is read again at
/// each input's opening: a camera takes a retrained head at its next session, and a daemon's reload restarts the
/// pipelines whose heads were trained again since they started (`newestVersions`).
enum HeadCatalog {
    /// The newest version of each head `uses` names (0: never trained, or no such head), to notice retraining.
    static func newestVersions(of uses: [HeadUse], in store: LabelStore) -> [String: Int] {
        Dictionary(uses.map { use in (use.head, (try? store.latestVersion(of: use.head))??.version.version ?? 0) },
                   uniquingKeysWith: { first, _ in first })
    }

    /// What an input's heads come to.
    struct Resolved {
        var scorings: [HeadScoring] = []
        var names: [Int64: String] = [:]
        /// `view=name@version`, joined by commas.
        var description = ""
    }

    /// One line each for a head never trained, made for another model, or on a view the input lacks; a
    /// warning for a head trained at another precision.
    static func resolve(_ uses: [HeadUse], views: [String], model: LoadedModel, store: LabelStore, logger: Logger) throws -> Resolved {
        var resolved = Resolved(), applied: [String] = []
        for use in uses {
            let head: UsableHead
            do {
                head = try UsableHead(use.head, for: model, in: store)
            } catch LabelStoreError.invalidHead(let reason) {
                throw InputFailure("heads: \(reason)", isPermanent: true)
            }
            let version = head.version
            let view = use.view ?? (views.contains(version.view) ? version.view : views[0])
            guard views.contains(view) else {
                throw InputFailure("heads: \(use.head) is to read the view \(view), which the input does not have (its views: "
                    + "\(views.joined(separator: ", ")))", isPermanent: true)
            }
            if let warning = head.precisionWarning { logger.warning("\(warning)") }
            let folded = head.classifier.foldedIntoRawFeatures()
            resolved.scorings.append(HeadScoring(view: view, classIDs: head.classIDs.map { Int($0) }, weights: folded.weights, biases: folded.biases))
            for (name, id) in zip(version.classes, head.classIDs) where name != head.noneClass {
                resolved.names[id] = "\(use.head)/\(name)"
            }
            applied.append("\(view)=\(use.head)@\(version.version)")
        }
        resolved.description = applied.joined(separator: ",")
        return resolved
    }
}

/// A head's newest version, checked for use with a model: trained, made for that model's weights, its parameters
/// readable — else `LabelStoreError.invalidHead` with the one line that says which (runs, `classify --head`).
package struct UsableHead {
    package let version: HeadVersionRecord
    /// The ids of its classes (`head_classes.id`), in `version.classes` order.
    package let classIDs: [Int64]
    package let noneClass: String?
    package let classifier: SoftmaxRegression
    /// What to warn when the head was trained at another precision than the model computes.
    package let precisionWarning: String?

    package init(_ head: String, for model: LoadedModel, in store: LabelStore) throws {
        guard let (version, classIDs, noneClass) = try store.latestVersion(of: head) else {
            throw LabelStoreError.invalidHead("\(head) has not been trained yet (framewise train \(head))")
        }
        guard version.modelSHA256 == model.sha256 else {
            throw LabelStoreError.invalidHead("\(head) was trained on the features of another model (SHA-256 \(version.modelSHA256.prefix(12))…, "
                + "this one is \(model.sha256.prefix(12))…): train it again with this model")
        }
        guard let classifier = SoftmaxRegression(classNames: version.classes, width: StoredFeatures.width, parameters: version.parameters)
        else { throw LabelStoreError.invalidHead("\(head) version \(version.version) is damaged (its parameters do not fit its classes)") }
        self.version = version
        self.classIDs = classIDs
        self.noneClass = noneClass
        self.classifier = classifier
        let precision = model.numerics.precision.rawValue
        precisionWarning = version.precision == precision ? nil
            : "head \(head) was trained on \(version.precision) features and reads \(precision) ones here: its answers may differ a little "
              + "(framewise train prints by how much; train it at this precision to match)"
    }
}

extension LabellingStages {
    /// The newest version of each head `uses` names in the stages' store (0: never trained, or no such head).
    package func newestHeadVersions(of uses: [HeadUse]) -> [String: Int] {
        HeadCatalog.newestVersions(of: uses, in: store)
    }
}
