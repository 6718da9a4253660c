import Foundation
/// `${NAME}` references in a text, replaced by environment variables: pipeline files and command-line URLs
/// take credentials this way, so that no password needs to sit in a file or in the process's arguments.
package enum EnvironmentReferences {
    /// Why a text could not be expanded.
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case unterminated
        case unset(String)

        package var description: String {
            switch self {
            case .unterminated: "unterminated ${ in value"
            case .unset(let name): "environment variable \(name) is not set"
            }
        }
    }

    /// Whether `text` is made of `${NAME}` references alone (so it holds no literal value).
    package static func isOnlyReferences(_ text: some StringProtocol) -> Bool {
        var rest = Substring(text)
        while !rest.isEmpty {
            guard rest.hasPrefix("${"), let end = rest.firstIndex(of: "}") else { return false }
            rest = rest[rest.index(after: end)...]
        }
        return true
    }

    /// `text` with every `${NAME}` replaced by `environment[NAME]`.
    package static func expand(_ text: String, environment: [String: String]) throws(Failure) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw .unterminated }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment[name] else { throw .unset(name) }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
