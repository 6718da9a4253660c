import Foundation

/// One of GoogLeNet's output classes: an ImageNet synset.
package struct ImageNetClass: Sendable, Equatable {
    /// The WordNet id, e.g. `n07920052`.
    package let wnid: String
    /// All names of the synset, e.g. `["espresso"]`, `["tabby", "tabby cat"]`.
    package let names: [String]
    /// The display label: the first name.
    package var label: String { names.first ?? wnid }
}

/// The names of GoogLeNet's 1000 output classes, read from `synset_words.txt` (`n01440764 tench, Tinca tinca`:
/// a WordNet id, then comma-separated names). The display label of a class is its first name.
package struct ClassLabels: Sendable {
    /// The classes in the network's output order.
    package let classes: [ImageNetClass]

    /// Reads a synset file; it must have one line per class.
    package init(contentsOfFile path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClassLabelsError(message: "cannot read labels \(path): \((error as NSError).localizedDescription)")
        }
        try self.init(synsetWords: text, path: path)
    }

    init(synsetWords text: String, path: String) throws {
        let lines = text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        guard lines.count == GoogLeNetArchitecture.classCount else {
            throw ClassLabelsError(message: "\(path) has \(lines.count) labels, GoogLeNet has \(GoogLeNetArchitecture.classCount) classes")
        }
        classes = lines.map { line in
            let wnid = line.prefix { !$0.isWhitespace }
            let names = line.dropFirst(wnid.count).split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return ImageNetClass(wnid: String(wnid), names: names)
        }
    }

    /// The display label of a class.
    package subscript(classIndex: Int) -> String { classes[classIndex].label }
}

/// A labels file that cannot be used, with a one-line explanation.
package struct ClassLabelsError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
