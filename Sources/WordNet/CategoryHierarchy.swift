import Foundation

/// A WordNet noun that covers some of the model's classes — one of them, or an ancestor of several (*dog*: 118
/// breeds) — and so can be scored in every frame as the sum of its leaves' probabilities.
package struct Category: Hashable, Sendable {
    package let synset: NounSynset
    /// The model's class indices under it (itself included, if it is one), ascending.
    package let leaves: [Int]

    /// What it is called: the synset's first word (`car` for n02958343).
    package var name: String { synset.words[0] }
    package var wnid: String { synset.wnid }

    /// `car (n02958343: car, auto, automobile, machine, motorcar — 10 classes)`, to tell candidates apart.
    package var candidateDescription: String {
        "\(name) (\(wnid): \(synset.words.joined(separator: ", ")) — \(leaves.count) class\(leaves.count == 1 ? "" : "es"))"
    }
}

/// Why a category name could not be resolved: one line, with the candidates.
package struct CategoryLookupError: Error, CustomStringConvertible, Equatable {
    package let description: String
}

/// The WordNet hierarchy above a model's classes: every class (a noun synset, by its wnid) and all of its
/// hypernyms (`@` and `@i`, up to *entity*), each with the classes below it. Derived from the real WordNet files,
/// never from lists of class indices.
package struct CategoryHierarchy: Sendable {
    /// The categories stored for every frame unless a pipeline says otherwise: what cameras and home videos show
    /// and people ask for, each a WordNet word naming exactly one category (checked by the tests). Not *person*:
    /// in WordNet its ImageNet leaves are a ballplayer, a groom and a scuba diver, so its score would be
    /// confident nonsense (trained heads answer that). Not *vehicle* either: its 67 leaves include sleds, a
    /// space shuttle and shopping carts, so it says little a camera user can act on.
    package static let everydayNames = [
        "dog", "domestic cat", "bird", "horse", "automobile", "truck", "bus", "motor vehicle", "bicycle", "watercraft",
        "aircraft", "train", "furniture",
    ]

    /// Every category, by synset offset.
    package let categories: [Int: Category]
    /// The words naming them: WordNet's index, searched when a name is resolved.
    private let index: WordNetIndex

    /// Builds the hierarchy over `classWnids` (the model's classes in index order) from `wordnet`.
    package init(classWnids: [String], wordnet: WordNetFiles) throws(WordNetError) {
        var leaves: [Int: Set<Int>] = [:]
        var synsets: [Int: NounSynset] = [:]
        for (classIndex, wnid) in classWnids.enumerated() {
            guard let start = NounSynset.offset(ofWnid: wnid) else {
                throw WordNetError("class \(classIndex) has no WordNet id ('\(wnid)')")
            }
            var pending = [start], seen = Set<Int>()
            while let offset = pending.popLast() {
                guard seen.insert(offset).inserted else { continue }
                let synset: NounSynset
                if let known = synsets[offset] {
                    synset = known
                } else {
                    synset = try wordnet.synset(at: offset)
                    synsets[offset] = synset
                }
                leaves[offset, default: []].insert(classIndex)
                pending.append(contentsOf: synset.hypernyms)
            }
        }
        categories = leaves.reduce(into: [:]) { result, entry in
            result[entry.key] = Category(synset: synsets[entry.key]!, leaves: entry.value.sorted())
        }
        index = try wordnet.index()
    }

    /// The category a pipeline or a command names: a wnid (`n02958343`) or a word (`dog`, `police van`). An
    /// unknown or ambiguous name is one line naming the candidates.
    package func resolve(_ name: String) throws(CategoryLookupError) -> Category {
        if let offset = NounSynset.offset(ofWnid: name.trimmingCharacters(in: .whitespaces)) {
            guard let category = categories[offset] else {
                throw CategoryLookupError(description: "\(name) covers none of the model's classes")
            }
            return category
        }
        let lemma = name.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "_")
        let candidates = index.synsets(ofLemma: lemma).compactMap { categories[$0] }
        switch candidates.count {
        case 1:
            return candidates[0]
        case 0:
            let near = search(name).prefix(5).map(\.name)
            throw CategoryLookupError(description: "unknown category '\(name)': no WordNet noun of that name covers the model's classes"
                + (near.isEmpty ? "" : " (did you mean: \(near.joined(separator: ", "))?)"))
        default:
            throw CategoryLookupError(description: "ambiguous category '\(name)': "
                + candidates.map(\.candidateDescription).joined(separator: " or ")
                + "; name one by its wnid or another of its words")
        }
    }

    /// Categories one of whose words contains `word` (case-insensitive): those with the word itself first,
    /// then a word starting with it, then the rest, each group the broadest first.
    package func search(_ word: String) -> [Category] {
        let needle = word.trimmingCharacters(in: .whitespaces).lowercased()
        func closeness(_ category: Category) -> Int? {
            let words = category.synset.words.map { $0.lowercased() }
            if needle.isEmpty || words.contains(needle) { return 0 }
            if words.contains(where: { $0.hasPrefix(needle) }) { return 1 }
            return words.contains { $0.contains(needle) } ? 2 : nil
        }
        return categories.values
            .compactMap { category in closeness(category).map { (category, $0) } }
            .sorted { ($0.1, $1.0.leaves.count, $0.0.name) < ($1.1, $0.0.leaves.count, $1.0.name) }
            .map(\.0)
    }
}
