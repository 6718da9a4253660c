import Foundation
import LabelStore
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

    /// Resolves `names` (WordNet words or wnids), stores the categories and returns how the workers score them
    /// and the name each id is stored under. An unknown or ambiguous name, or WordNet missing, is one line
    /// (an `InputFailure` that trying again will not mend).
    func scoring(for names: [String], in store: LabelStore) throws -> (scoring: CategoryScoring, names: [Int64: String]) {
        guard !names.isEmpty else { return (.none, [:]) }
        var categories: [Category] = []
        do {
            let hierarchy = try loadedHierarchy()
            for name in names {
                let category = try hierarchy.resolve(name)
                if !categories.contains(category) { categories.append(category) }
            }
        } catch let error as CategoryLookupError {
            throw InputFailure("categories: \(error)", isPermanent: true)
        } catch let error as WordNetError {
            throw InputFailure("categories: \(error)", isPermanent: true)
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

    private func loadedHierarchy() throws(WordNetError) -> CategoryHierarchy {
        try hierarchy.withLock { (cached: inout CategoryHierarchy?) throws(WordNetError) -> CategoryHierarchy in
            if let cached { return cached }
            let built = try CategoryHierarchy(classWnids: classWnids, wordnet: WordNetFiles(directory: wordnetDirectory))
            cached = built
            return built
        }
    }
}
