import Foundation
package import Yams

/// A problem in a YAML settings file (a pipeline file, the daemon's configuration), located by file, line and key.
package struct YAMLFileError: Error, CustomStringConvertible, Sendable {
    package let file: String
    package let line: Int?
    package let key: String?
    package let message: String

    package init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    package var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        if let key { return "\(location): \(key): \(message)" }
        return "\(location): \(message)"
    }
}

/// Reads the fields of one YAML mapping, remembering which keys were used so that unknown keys can be
/// reported (with their line) instead of silently ignored. `${NAME}` in string values is replaced by the
/// environment variable NAME. Shared by pipeline files and the daemon's configuration.
package struct YAMLFields {
    private let file: String
    private let path: String
    private let node: Node
    private let pairs: [(key: String, value: Node)]
    private let environment: [String: String]
    private var used: Set<String> = []

    package init(_ node: Node, path: String, file: String, environment: [String: String]) throws {
        guard case .mapping(let mapping) = node else {
            throw YAMLFileError(file: file, line: node.mark?.line, key: path.isEmpty ? nil : path,
                                    message: "expected a mapping of keys to values")
        }
        self.file = file
        self.path = path
        self.node = node
        self.environment = environment
        self.pairs = mapping.map { (key: $0.key.string ?? "\($0.key)", value: $0.value) }
    }

    /// The top-level mapping of the YAML document in `file` (read as UTF-8); an unreadable, empty or malformed
    /// file is a `YAMLFileError` with the line YAML's parser gives.
    package static func document(file: String, environment: [String: String]) throws -> YAMLFields {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw YAMLFileError(file: file, line: nil, key: nil, message: "cannot read the file")
        }
        return try document(text, file: file, environment: environment)
    }

    /// The top-level mapping of the YAML document `text`, named `file` in errors.
    package static func document(_ text: String, file: String, environment: [String: String]) throws -> YAMLFields {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw YAMLFileError(file: file, line: nil, key: nil, message: "the file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw YAMLFileError(file: file, line: line(of: error), key: nil, message: "not valid YAML: \(summary(of: error))")
        }
        return try YAMLFields(root, path: "", file: file, environment: environment)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
        }
    }

    /// The full dotted name of a key in this mapping, for messages.
    package func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    package func error(_ key: String, _ message: String) -> YAMLFileError {
        let line = pairs.first { $0.key == key }?.value.mark?.line ?? node.mark?.line
        return YAMLFileError(file: file, line: line, key: name(key), message: message)
    }

    package mutating func node(_ key: String) -> Node? {
        used.insert(key)
        guard let value = pairs.first(where: { $0.key == key })?.value else { return nil }
        if case .scalar(let scalar) = value, scalar.tag == .implicit, scalar.string == "~" || scalar.string == "null" { return nil }
        return value
    }

    package mutating func mapping(_ key: String) throws -> YAMLFields? {
        guard let value = node(key) else { return nil }
        return try fields(of: value, key: key)
    }

    /// The fields of a mapping found under `key` (for values that may be a mapping or a scalar).
    package func fields(of value: Node, key: String) throws -> YAMLFields {
        try YAMLFields(value, path: name(key), file: file, environment: environment)
    }

    package mutating func list(_ key: String) throws -> [YAMLFields]? {
        guard let value = node(key) else { return nil }
        guard case .sequence(let sequence) = value else { throw error(key, "expected a list") }
        return try sequence.enumerated().map { index, item in
            try YAMLFields(item, path: "\(name(key))[\(index)]", file: file, environment: environment)
        }
    }

    package mutating func string(_ key: String) throws -> String? {
        guard let value = node(key) else { return nil }
        guard case .scalar(let scalar) = value else { throw error(key, "expected a text value") }
        return try expanded(scalar.string, key: key)
    }

    /// `text` with its `${NAME}` references replaced, or the key's error naming the one that is unset.
    private func expanded(_ text: String, key: String) throws -> String {
        do {
            return try EnvironmentReferences.expand(text, environment: environment)
        } catch {
            throw self.error(key, error.description)
        }
    }

    /// A list of text values (a single value counts as a list of one).
    package mutating func strings(_ key: String) throws -> [String]? {
        guard let value = node(key) else { return nil }
        let items: [Node]
        switch value {
        case .sequence(let sequence): items = Array(sequence)
        case .scalar: items = [value]
        case .mapping, .alias: throw error(key, "expected a list of text values")
        }
        return try items.map { item in
            guard case .scalar(let scalar) = item else { throw error(key, "expected a list of text values") }
            return try expanded(scalar.string, key: key)
        }
    }

    /// A list of numbers, each within `limit`.
    package mutating func doubles(_ key: String, in limit: NumberLimit) throws -> [Double]? {
        guard let texts = try strings(key) else { return nil }
        return try texts.map { text in
            guard let value = Double(text) else { throw error(key, "expected numbers, found '\(text)'") }
            if let violation = limit.violation(of: value) { throw error(key, violation) }
            return value
        }
    }

    /// The keys of this mapping, in the file's order (for mappings whose keys are names, like `regions`).
    package var keys: [String] { pairs.map(\.key) }

    package mutating func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text) else { throw error(key, "expected a whole number, found '\(text)'") }
        if let violation = range.violation(of: value) { throw error(key, violation) }
        return value
    }

    package mutating func double(_ key: String, in limit: NumberLimit) throws -> Double? {
        guard let text = try string(key) else { return nil }
        guard let value = Double(text) else { throw error(key, "expected a number, found '\(text)'") }
        if let violation = limit.violation(of: value) { throw error(key, violation) }
        return value
    }

    /// A retention period: `30d`, `12h`, `10m`, `45s`.
    package mutating func period(_ key: String) throws -> RetentionPeriod? {
        guard let text = try string(key) else { return nil }
        do {
            return try RetentionPeriod(text)
        } catch {
            throw self.error(key, error.message)
        }
    }

    /// An amount of storage (`500MB`, `10GiB`) within `range` bytes.
    package mutating func byteSize(_ key: String, in range: ClosedRange<Int64>) throws -> ByteSize? {
        guard let text = try string(key) else { return nil }
        let size: ByteSize
        do {
            size = try ByteSize(text)
        } catch {
            throw self.error(key, error.message)
        }
        guard range.contains(size.bytes) else {
            throw self.error(key, "must be between \(ByteSize.readable(range.lowerBound)) and \(ByteSize.readable(range.upperBound)), found \(text)")
        }
        return size
    }

    package mutating func bool(_ key: String) throws -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(key, "expected true or false, found '\(text)'")
        }
    }

    package mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, of: Choice.Type) throws -> Choice?
    where Choice.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = Choice(rawValue: text) else {
            let allowed = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key, "expected one of \(allowed), found '\(text)'")
        }
        return value
    }

    /// Throws for the first key of this mapping that no reader asked for.
    package func rejectUnknownKeys() throws {
        if let unknown = pairs.first(where: { !used.contains($0.key) }) {
            throw YAMLFileError(file: file, line: unknown.value.mark?.line ?? node.mark?.line,
                                    key: name(unknown.key), message: "unknown key")
        }
    }
}
