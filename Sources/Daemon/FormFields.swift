import Foundation
import Hummingbird

/// The fields of a form a browser posts (`application/x-www-form-urlencoded`): `name=value&…`, `+` for a space,
/// `%XX` for a byte. The body is read once, at most `maximumBytes`, and stays readable for the route.
struct FormFields {
    static let maximumBytes = 64 * 1024

    private let values: [String: String]

    /// The request's form, or nil when its body is not a form (another content type).
    static func read(_ request: inout Request) async throws -> FormFields? {
        guard let type = request.headers[.contentType]?.lowercased(),
              type.hasPrefix("application/x-www-form-urlencoded")
        else { return nil }
        let body = try await request.collectBody(upTo: maximumBytes)
        return FormFields(String(buffer: body))
    }

    init(_ text: String) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decoded(parts[0]) else { continue }
            values[name] = parts.count == 2 ? Self.decoded(parts[1]) : ""
        }
        self.values = values
    }

    subscript(_ name: String) -> String? { values[name] }

    private static func decoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
