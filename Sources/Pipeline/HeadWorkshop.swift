package import LabelStore

/// The daemon's hands on heads, on the store and model of its stages: adds a stored frame as an example (its
/// stored features of the view; the page offers the frames that have pictures, whose features runs keep by
/// default), trains, removes, and reads what the head pages show. Every call blocks: run it off the event loop.
package struct HeadWorkshop: Sendable {
    private let stages: LabellingStages

    package init(stages: LabellingStages) {
        self.stages = stages
    }

    /// Adds frame `frameID` (seen through `view`) to `className` of `head`, making the head if it is new; returns
    /// what happened in one line. Throws a one-line error when the frame cannot be used.
    package func addFrame(_ frameID: Int64, view: String, to head: String, as className: String) throws -> String {
        try stages.store.defineHead(head, noneClass: nil)
        let collected = try HeadExamples(model: stages.model).frames([(frameID, className)], viewName: view, view: nil, store: stages.store)
        if let refused = collected.refused.first { throw LabelStoreError.invalidHead(refused) }
        let added = try stages.store.addExamples(collected.examples, to: head)
        return added == 1 ? "frame \(frameID) added to \(className)" : "frame \(frameID) was already an example of \(head)"
    }

    /// Trains `head` on its examples (a new version; pipelines applying it take it at the next reload).
    package func train(_ head: String, view: String? = nil) throws -> HeadTraining.Outcome {
        try HeadTraining.train(head, view: view, store: stages.store, model: stages.model)
    }

    package func removeExample(_ id: Int64, of head: String) throws -> Bool {
        try stages.store.removeExample(id, of: head)
    }

    package func heads() throws -> [HeadSummary] {
        try stages.store.heads()
    }

    /// A head's newest version (nil before its first training) and its examples.
    package func head(_ name: String) throws -> (latest: HeadVersionRecord?, examples: [StoredHeadExample]) {
        let examples = try stages.store.examples(of: name)
        return (try stages.store.latestVersion(of: name)?.version, examples)
    }
}
