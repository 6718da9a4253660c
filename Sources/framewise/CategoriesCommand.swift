import ArgumentParser
import GoogLeNet
import WordNet

/// `framewise categories [WORD]`: the WordNet categories above the model's classes (what `--category` and a
/// pipeline's `categories:` accept), searched by word.
struct CategoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "categories",
        abstract: "List or search the WordNet categories a run can score.",
        discussion: """
            A category is a WordNet 3.0 noun covering some of the model's classes (dog covers 118 breeds); its score
            in a frame is the sum of its classes' probabilities. Without WORD: the everyday categories stored by
            default. With WORD: every category one of whose words contains it, the broadest first.
            Reads /usr/share/wordnet (Debian's wordnet-base).
            """)

    @Argument(help: "A word to look for, e.g. dog, car or \"police van\".")
    var word: String?

    @OptionGroup var model: ModelOption

    @Option(help: "At most this many categories.")
    var limit: Int = 40

    func run() async throws {
        try await exitingOnError {
            let directory = try ModelDirectory(path: model.directory)
            let labels = try ClassLabels(contentsOfFile: directory.labelsPath)
            let hierarchy = try CategoryHierarchy(classWnids: labels.classes.map(\.wnid), wordnet: WordNetFiles())
            let found: [Category]
            if let word {
                found = hierarchy.search(word)
                guard !found.isEmpty else { throw ValidationFailure("no category has a word containing '\(word)'") }
            } else {
                found = try CategoryHierarchy.everydayNames.map { try hierarchy.resolve($0) }
            }
            print("wnid       classes  category (its words) — e.g.")
            for category in found.prefix(limit) {
                let example = category.leaves.first.map { labels.classes[$0].label } ?? ""
                let words = category.synset.words.joined(separator: ", ")
                print("\(category.wnid)  \(String(category.leaves.count).leftPadded(to: 7))  \(words) — \(example)")
            }
            if found.count > limit { print("… and \(found.count - limit) more (--limit)") }
        }
    }
}

extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
