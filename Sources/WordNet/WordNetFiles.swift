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
/// above ImageNet's classes are read without parsing the 15 MB file. `index.noun` (lemma → synsets, sorted by
/// lemma) is loaded on the first lookup of a word and searched by bisection, as WordNet's own library does.
package final class WordNetFiles {
    /// Where Debian's `wordnet-base` puts the database.
    package static let debianDirectory = URL(fileURLWithPath: "/usr/share/wordnet")

    package let directory: URL
    private let data: FileHandle
    private var synsets: [Int: NounSynset] = [:]
    private var loadedIndex: WordNetIndex?

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
        guard let line = try line(at: offset), let synset = Self.parse(line), synset.offset == offset else {
            throw WordNetError("\(directory.path)/data.noun has no synset at offset \(offset) (not WordNet 3.0?)")
        }
        synsets[offset] = synset
        return synset
    }

    /// The line of `data.noun` starting at `offset`: most are a few hundred bytes, the longest under 12 KB.
    private func line(at offset: Int) throws(WordNetError) -> String? {
        do {
            try data.seek(toOffset: UInt64(offset))
            var bytes = Data()
            while bytes.count < 65_536, let chunk = try data.read(upToCount: bytes.isEmpty ? 1_024 : 8_192), !chunk.isEmpty {
                if let end = chunk.firstIndex(of: 0x0A) {
                    bytes.append(chunk[chunk.startIndex..<end])
                    return String(data: bytes, encoding: .isoLatin1)
                }
                bytes.append(chunk)
            }
            return nil
        } catch {
            throw WordNetError("\(directory.path)/data.noun cannot be read: \(error.localizedDescription)")
        }
    }

    /// `index.noun`, read on first use.
    func index() throws(WordNetError) -> WordNetIndex {
        if let loadedIndex { return loadedIndex }
        let path = directory.appendingPathComponent("index.noun").path
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw WordNetError("WordNet is not installed: \(path) cannot be read (Debian: apt-get install wordnet-base)")
        }
        let loaded = WordNetIndex(bytes: [UInt8](contents))
        loadedIndex = loaded
        return loaded
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

/// `index.noun` in memory: one line per lemma, sorted by lemma (bytewise), after a licence whose lines start with
/// spaces. `lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...`
struct WordNetIndex {
    let bytes: [UInt8]

    /// The synsets of `lemma` (lowercase, words joined by `_`), most frequent first; none for an unknown lemma.
    func synsets(ofLemma lemma: String) -> [Int] {
        let key = Array(lemma.utf8)
        var low = 0, high = bytes.count
        while low < high {
            let middle = (low + high) / 2
            let start = lineStart(atOrBefore: middle)
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let field = bytes[start..<end].prefix { $0 != 0x20 }
            if field.isEmpty || field.lexicographicallyPrecedes(key) {
                low = end + 1
            } else if field.elementsEqual(key) {
                return Self.offsets(in: String(decoding: bytes[start..<end], as: UTF8.self))
            } else {
                high = start
            }
        }
        return []
    }

    private func lineStart(atOrBefore position: Int) -> Int {
        var start = min(position, bytes.count - 1)
        while start > 0, bytes[start - 1] != 0x0A { start -= 1 }
        return start
    }

    private static func offsets(in line: String) -> [Int] {
        let fields = line.split(separator: " ")
        guard fields.count > 4, let synsetCount = Int(fields[2]), let pointerCount = Int(fields[3]) else { return [] }
        return fields.dropFirst(4 + pointerCount + 2).prefix(synsetCount).compactMap { Int($0) }
    }
}
