import Foundation
import LabelStore
import Logging
import Synchronization
import WordNet

/// The WordNet categories runs score: the hierarchy above the model's classes, read from WordNet once (when the
/// first input that scores categories opens), and each input's choice of categories resolved, stored and
/// turned into the `CategoryScoring` its frames carry to the workers.
final class CategoryCatalog: Sendable {
    private let classWnids: [String]
    private let wordnetDirectory: URL
    private let hierarchy = Mutex<CategoryHierarchy?>(nil)

    init(classWnids: [String], wordnetDirectory: URL = WordNetFiles.debianDirectory) {
        self.classWnids = classWnids
        self.wordnetDirectory = wordnetDirectory
    }

    /// Resolves `names` (WordNet words or wnids; `nil`: the everyday set), stores the categories and returns how
    /// the workers score them and the name each id is stored under. An unknown or ambiguous name, or WordNet
    /// missing for named categories, is one line (an `InputFailure` that trying again will not mend); without
    /// WordNet the everyday set is left out with a warning, and the frames are labelled all the same.
    func scoring(for names: [String]?, in store: LabelStore, logger: Logger) throws
        -> (scoring: CategoryScoring, names: [Int64: String])
    {
        guard names?.isEmpty != true else { return (.none, [:]) }
        let hierarchy: CategoryHierarchy
        switch loadedHierarchy() {
        case .success(let loaded):
            hierarchy = loaded
        case .failure(let error) where names == nil:
            logger.warning("no categories scored: \(error)")
            return (.none, [:])
        case .failure(let error):
            throw InputFailure("categories: \(error)", isPermanent: true)
        }
        var categories: [Category] = []
        for name in names ?? CategoryHierarchy.everydayNames {
            let category: Category
            do {
                category = try hierarchy.resolve(name)
            } catch {
                throw InputFailure("categories: \(error)", isPermanent: true)
            }
            if !categories.contains(category) { categories.append(category) }
        }
        let ids = try store.storeCategories(categories.map {
            CategoryRecord(wnid: $0.wnid, name: $0.name, names: $0.synset.words.joined(separator: ", "), leaves: $0.leaves.count)
        })
        var entries: [CategoryScoring.Entry] = []
        var stored: [Int64: String] = [:]
        for category in categories {
            guard let id = ids[category.wnid] else { continue }
            entries.append(CategoryScoring.Entry(id: Int(id), leaves: category.leaves))
            stored[id] = category.name
        }
        return (CategoryScoring(entries), stored)
    }

    /// The hierarchy, built on the first call (a failure is not kept: WordNet may be installed meanwhile).
    private func loadedHierarchy() -> Result<CategoryHierarchy, WordNetError> {
        hierarchy.withLock { cached in
            if let cached { return .success(cached) }
            let built = Result { () throws(WordNetError) in
                try CategoryHierarchy(classWnids: classWnids, wordnet: WordNetFiles(directory: wordnetDirectory))
            }
            if case .success(let hierarchy) = built { cached = hierarchy }
            return built
        }
    }
}
