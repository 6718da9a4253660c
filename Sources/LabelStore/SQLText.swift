import Foundation
/// SQL text as PostgreSQL reads it: which parts are code and which are quoted strings ('…', E'…', $tag$…$tag$),
/// quoted names ("…") or comments (-- and nested /* */). PostgresNIO sends one statement at a time with `$n`
/// placeholders, so migrations are split into statements and SQLite-style `?`/`?NNN` placeholders numbered.
struct SQLText {
    let sql: String

    init(_ sql: String) { self.sql = sql }

    /// The statements, split at semicolons in code; empty ones (only blanks and comments) are left out.
    var statements: [String] {
        var statements: [String] = []
        var start = sql.startIndex
        var hasCode = false
        for (index, character) in codeCharacters() {
            if character == ";" {
                if hasCode { statements.append(String(sql[start..<index])) }
                start = sql.index(after: index)
                hasCode = false
            } else if !character.isWhitespace {
                hasCode = true
            }
        }
        if hasCode { statements.append(String(sql[start...])) }
        return statements
    }

    /// The text with SQLite's placeholders in PostgreSQL's words: `?NNN` becomes `$NNN`, and a bare `?` the
    /// number after the largest one so far (SQLite's rule). `$n` placeholders are kept as they are.
    var withNumberedPlaceholders: String {
        var result = ""
        var copied = sql.startIndex
        var largest = 0
        for (index, character) in codeCharacters() where character == "?" && index >= copied {
            let digits = sql[sql.index(after: index)...].prefix(while: \.isASCII).prefix(while: \.isNumber)
            let number = Int(digits) ?? largest + 1
            largest = max(largest, number)
            result += sql[copied..<index] + "$\(number)"
            copied = digits.endIndex
        }
        return result + sql[copied...]
    }

    /// Each character outside quotes and comments, with its index.
    private func codeCharacters() -> [(String.Index, Character)] {
        var code: [(String.Index, Character)] = []
        var index = sql.startIndex
        func rest(from position: String.Index) -> Substring { sql[position...] }
        while index < sql.endIndex {
            let character = sql[index]
            let next = sql.index(after: index)
            let remaining = rest(from: index)
            if remaining.hasPrefix("--") {
                index = remaining.firstIndex(of: "\n") ?? sql.endIndex
            } else if remaining.hasPrefix("/*") {
                index = endOfBlockComment(from: index)
            } else if character == "'" {
                let escapes = index > sql.startIndex && "eE".contains(sql[sql.index(before: index)])
                index = endOfQuoted(from: next, quote: "'", backslashEscapes: escapes)
            } else if character == "\"" {
                index = endOfQuoted(from: next, quote: "\"", backslashEscapes: false)
            } else if character == "$", let tag = dollarTag(at: index) {
                let body = sql.index(index, offsetBy: tag.count)
                index = rest(from: body).range(of: tag)?.upperBound ?? sql.endIndex
            } else {
                code.append((index, character))
                index = next
            }
        }
        return code
    }

    /// Past the closing quote of a quoted run starting at `start` (a doubled quote is a quote inside).
    private func endOfQuoted(from start: String.Index, quote: Character, backslashEscapes: Bool) -> String.Index {
        var index = start
        while index < sql.endIndex {
            let character = sql[index]
            index = sql.index(after: index)
            if backslashEscapes, character == "\\", index < sql.endIndex {
                index = sql.index(after: index)
            } else if character == quote {
                guard index < sql.endIndex, sql[index] == quote else { return index }
                index = sql.index(after: index)
            }
        }
        return index
    }

    /// Past the end of a (nested) block comment starting at `start`.
    private func endOfBlockComment(from start: String.Index) -> String.Index {
        var depth = 0
        var index = start
        while index < sql.endIndex {
            let remaining = sql[index...]
            if remaining.hasPrefix("/*") {
                depth += 1
                index = sql.index(index, offsetBy: 2)
            } else if remaining.hasPrefix("*/") {
                depth -= 1
                index = sql.index(index, offsetBy: 2)
                if depth == 0 { return index }
            } else {
                index = sql.index(after: index)
            }
        }
        return index
    }

    /// `$tag$` (or `$$`) starting at `index`; nil for a `$n` placeholder or a lone `$`.
    private func dollarTag(at index: String.Index) -> String? {
        let afterDollar = sql[sql.index(after: index)...]
        let name = afterDollar.prefix { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard name.first?.isNumber != true, name.endIndex < sql.endIndex, sql[name.endIndex] == "$" else { return nil }
        return "$" + name + "$"
    }
}
