import FeatureSpace
import Foundation
import GoogLeNet
import LabelStore
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
            let latest: (version: HeadVersionRecord, classIDs: [Int64], noneClass: String?)?
            do {
                latest = try store.latestVersion(of: use.head)
            } catch LabelStoreError.invalidHead(let reason) {
                throw InputFailure("heads: \(reason)", isPermanent: true)
            }
            guard let (version, classIDs, noneClass) = latest else {
                throw InputFailure("heads: \(use.head) has examples but was never trained (framewise train \(use.head))", isPermanent: true)
            }
            guard version.modelSHA256 == model.sha256 else {
                throw InputFailure("heads: \(use.head) was trained on the features of another model (SHA-256 \(version.modelSHA256.prefix(12))…, "
                    + "this one is \(model.sha256.prefix(12))…): train it again with this model", isPermanent: true)
            }
            let view = use.view ?? (views.contains(version.view) ? version.view : views[0])
            guard views.contains(view) else {
                throw InputFailure("heads: \(use.head) is to read the view \(view), which the input does not have (its views: "
                    + "\(views.joined(separator: ", ")))", isPermanent: true)
            }
            if version.precision != model.numerics.precision.rawValue {
                logger.warning("head \(use.head) was trained on \(version.precision) features and reads \(model.numerics.precision.rawValue) ones here: its answers may differ a little (train it at this precision to match)")
            }
            guard let classifier = SoftmaxRegression(classNames: version.classes, width: StoredFeatures.width, parameters: version.parameters)
            else { throw InputFailure("heads: \(use.head) version \(version.version) is damaged (its parameters do not fit its classes)", isPermanent: true) }
            let folded = classifier.foldedIntoRawFeatures()
            resolved.scorings.append(HeadScoring(view: view, classIDs: classIDs.map { Int($0) }, weights: folded.weights, biases: folded.biases))
            for (name, id) in zip(version.classes, classIDs) where name != noneClass {
                resolved.names[id] = "\(use.head)/\(name)"
            }
            applied.append("\(view)=\(use.head)@\(version.version)")
        }
        resolved.description = applied.joined(separator: ",")
        return resolved
    }
}

extension LabellingStages {
    /// The newest version of each head `uses` names in the stages' store (0: never trained, or no such head).
    package func newestHeadVersions(of uses: [HeadUse]) -> [String: Int] {
        HeadCatalog.newestVersions(of: uses, in: store)
    }
}
