package import Foundation

/// One noun synset of WordNet: its offset (the `wnid` is `n` and the offset in eight digits), its words and its
/// hypernyms (`@` and, for instances, `@i`).
package struct NounSynset: Hashable, Sendable {
    package let offset: Int
    /// The synset's words, first the one it is usually called by, with spaces (WordNet writes underscores).
    package let words: [String]
    package let hypernyms: [Int]
    /// The definition and examples.
    package let gloss: String

    package var wnid: String { Self.wnid(offset) }

    package static func wnid(_ offset: Int) -> String {
        "n" + String(repeating: "0", count: max(0, 8 - String(offset).count)) + String(offset)
    }

    /// The offset of a `wnid` such as `n02084071`, or `nil` if it is not one.
    package static func offset(ofWnid wnid: String) -> Int? {
        guard wnid.count == 9, wnid.first == "n", let offset = Int(wnid.dropFirst()), offset >= 0 else { return nil }
        return offset
    }
}

/// Why WordNet could not be read.
package struct WordNetError: Error, CustomStringConvertible, Equatable {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// The noun part of a WordNet 3.0 database as Debian's `wordnet-base` installs it (`data.noun`, `index.noun`).
///
/// `data.noun` is read by seeking: a synset's offset is the byte offset of its line, so the few thousand synsets
/// above ImageNet's classes are read without parsing the 30 MB file. `index.noun` (lemma → synsets) is read
/// once, on the first lookup of a word.
package final class WordNetFiles {
    /// Where Debian's `wordnet-base` puts the database.
    package static let debianDirectory = URL(fileURLWithPath: "/usr/share/wordnet")

    package let directory: URL
    private let data: FileHandle
    private var synsets: [Int: NounSynset] = [:]
    private var index: [String: [Int]]?

    /// Opens `directory`'s `data.noun`; one line saying what to install when it is missing.
    package init(directory: URL = WordNetFiles.debianDirectory) throws(WordNetError) {
        self.directory = directory
        let path = directory.appendingPathComponent("data.noun").path
        guard let data = FileHandle(forReadingAtPath: path) else {
            throw WordNetError("WordNet is not installed: \(path) cannot be read (Debian: apt-get install wordnet-base)")
        }
        self.data = data
    }

    deinit { try? data.close() }

    /// The noun synset at `offset`.
    package func synset(at offset: Int) throws(WordNetError) -> NounSynset {
        if let known = synsets[offset] { return known }
        let line: String
        do {
            try data.seek(toOffset: UInt64(offset))
            // The longest line of WordNet 3.0's data.noun is under 12 KB.
            guard let bytes = try data.read(upToCount: 16_384),
                  let text = String(data: bytes.prefix { $0 != 0x0A }, encoding: .isoLatin1) else {
                throw WordNetError("\(directory.path)/data.noun has no synset at offset \(offset)")
            }
            line = text
        } catch let error as WordNetError {
            throw error
        } catch {
            throw WordNetError("\(directory.path)/data.noun cannot be read: \(error.localizedDescription)")
        }
        guard let synset = Self.parse(line), synset.offset == offset else {
            throw WordNetError("\(directory.path)/data.noun has no synset at offset \(offset) (not WordNet 3.0?)")
        }
        synsets[offset] = synset
        return synset
    }

    /// The noun synsets a word names (`index.noun`), most frequent sense first; spaces and case as people type.
    package func synsets(named word: String) throws(WordNetError) -> [Int] {
        let lemma = word.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "_")
        return try lemmaIndex()[lemma] ?? []
    }

    /// Every lemma of the index with its synsets (for searching).
    package func lemmaIndex() throws(WordNetError) -> [String: [Int]] {
        if let index { return index }
        let path = directory.appendingPathComponent("index.noun").path
        guard let contents = FileManager.default.contents(atPath: path),
              let text = String(data: contents, encoding: .isoLatin1) else {
            throw WordNetError("WordNet is not installed: \(path) cannot be read (Debian: apt-get install wordnet-base)")
        }
        var parsed: [String: [Int]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
            // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
            let fields = line.split(separator: " ")
            guard fields.count > 4, let synsetCount = Int(fields[2]), let pointerCount = Int(fields[3]) else { continue }
            let offsets = fields.dropFirst(4 + pointerCount + 2).prefix(synsetCount).compactMap { Int($0) }
            parsed[String(fields[0])] = offsets
        }
        index = parsed
        return parsed
    }

    /// One `data.noun` line: offset lex_filenum ss_type w_cnt (word lex_id)... p_cnt (symbol offset pos st)... | gloss
    static func parse(_ line: String) -> NounSynset? {
        let parts = line.split(separator: "|", maxSplits: 1)
        let fields = parts[0].split(separator: " ")
        guard fields.count > 4, let offset = Int(fields[0]), let wordCount = Int(fields[3], radix: 16) else { return nil }
        var position = 4
        var words: [String] = []
        for _ in 0..<wordCount {
            guard position < fields.count else { return nil }
            words.append(Self.readable(fields[position]))
            position += 2
        }
        guard position < fields.count, let pointerCount = Int(fields[position]) else { return nil }
        position += 1
        var hypernyms: [Int] = []
        for _ in 0..<pointerCount {
            guard position + 3 < fields.count else { return nil }
            let symbol = fields[position], target = fields[position + 1], pos = fields[position + 2]
            if (symbol == "@" || symbol == "@i"), pos == "n", let targetOffset = Int(target) { hypernyms.append(targetOffset) }
            position += 4
        }
        let gloss = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        return NounSynset(offset: offset, words: words, hypernyms: hypernyms, gloss: gloss)
    }

    /// `police_van` → `police van`; adjective markers such as `(a)` dropped.
    private static func readable(_ word: Substring) -> String {
        let name = word.split(separator: "(").first.map(String.init) ?? String(word)
        return name.replacingOccurrences(of: "_", with: " ")
    }
}
