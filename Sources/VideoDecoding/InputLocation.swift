import Foundation
/// Where a video comes from: a file path or a URL FFmpeg opens (`rtsp://`, `http(s)://`, HLS, `udp://` ...).
///
/// `description` is the redacted form: the whole user info (`rtsp://***@host/...`: a user name can be a token
/// too) and the values of query parameters that carry credentials (`?sig=***`, `?access_token=***`) are replaced. Use it in every log
/// line, error, event and stored value; only the decoder itself ever sees the real URL.
package struct InputLocation: Sendable, Hashable, CustomStringConvertible {
    /// What kind of source this is; it decides the protocol options and whether the input is live.
    package enum Kind: Sendable, Hashable {
        case file
        case rtsp
        case http
        case otherURL
    }

    package let kind: Kind
    /// The redacted form, safe to print and store.
    package let description: String
    /// The location as FFmpeg must receive it (password included). Never print it.
    let ffmpegURL: String

    /// Parses a file path or a URL. Throws `DecodingError` (`.invalidURL`) for a URL without a host, with
    /// an empty scheme or with characters FFmpeg cannot take (spaces, control characters).
    package init(_ string: String) throws {
        guard let schemeEnd = string.range(of: "://") else {
            kind = .file
            description = string
            // The `file:` prefix stops FFmpeg from reading `a:b.mp4` as protocol `a`.
            ffmpegURL = "file:" + string
            return
        }
        let scheme = string[..<schemeEnd.lowerBound].lowercased()
        let redacted = Self.redact(string, authorityStart: schemeEnd.upperBound)
        let schemeIsValid = scheme.first?.isLetter == true
            && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
        guard schemeIsValid else {
            throw DecodingError(.invalidURL, input: redacted, detail: "the URL scheme is not valid")
        }
        guard !string.contains(where: { $0 == " " || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else {
            throw DecodingError(.invalidURL, input: redacted, detail: "the URL contains spaces or control characters")
        }
        let authority = Self.authority(of: string, from: schemeEnd.upperBound)
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        guard !host.isEmpty, !host.hasPrefix(":") else {
            throw DecodingError(.invalidURL, input: redacted, detail: "the URL has no host")
        }
        switch scheme {
        case "rtsp", "rtsps": kind = .rtsp
        case "http", "https": kind = .http
        default: kind = .otherURL
        }
        description = redacted
        ffmpegURL = string
    }

    /// Whether FFmpeg reaches the input over a network protocol (it may still be a file with an end: see
    /// `FrameReader.isLive`).
    package var isNetwork: Bool { kind != .file }

    /// The host name of a URL (without user info and port), `nil` for a file.
    var host: String? {
        guard isNetwork, let schemeEnd = ffmpegURL.range(of: "://") else { return nil }
        var host = Substring(Self.authority(of: ffmpegURL, from: schemeEnd.upperBound))
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            return String(host[host.index(after: host.startIndex)..<close])
        }
        return String(host.split(separator: ":").first ?? host)
    }

    package static func == (lhs: InputLocation, rhs: InputLocation) -> Bool { lhs.ffmpegURL == rhs.ffmpegURL }
    package func hash(into hasher: inout Hasher) { hasher.combine(ffmpegURL) }

    /// Query parameter names whose values are secrets: these names exactly, or any name containing one of
    /// `secretNameParts` (so `X-Amz-Signature`, `api_key` and `session_token` are caught too).
    private static let secretParameterNames: Set<String> = [
        "key", "sig", "pass", "pw", "pwd", "auth", "code", "jwt",
    ]
    private static let secretNameParts = [
        "token", "secret", "passw", "passwd", "signature", "credential", "auth", "apikey", "api_key", "api-key",
        "access_key", "private",
    ]

    static func isSecretParameter(_ name: Substring) -> Bool {
        let name = name.lowercased()
        return secretParameterNames.contains(name) || secretNameParts.contains { name.contains($0) }
    }

    /// The authority (`userinfo@host:port`) of a URL whose scheme ends before `start`: up to the first `/`, `?`
    /// or `#` after the user info. The user info ends at the last `@` before the query, so a password with an
    /// unencoded `/`, `@` or `:` is still taken whole (a path holding `@` is then redacted too: safe).
    private static func authority(of url: String, from start: String.Index) -> Substring {
        let rest = url[start...]
        let beforeQuery = rest[..<(rest.firstIndex(where: { "?#".contains($0) }) ?? rest.endIndex)]
        let hostStart = beforeQuery.lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        let end = rest[hostStart...].firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex
        return rest[..<end]
    }

    /// The parts of a URL that hold secrets: the password of its user info (all of the user info when it has no
    /// `:`, as it may be a token) and the values of credential-carrying query parameters. Empty for a file path.
    package static func secretParts(of url: String) -> [Substring] {
        guard let schemeEnd = url.range(of: "://") else { return [] }
        let authority = authority(of: url, from: schemeEnd.upperBound)
        var parts: [Substring] = []
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            parts.append(userInfo.firstIndex(of: ":").map { userInfo[userInfo.index(after: $0)...] } ?? userInfo)
        }
        let rest = url[authority.endIndex...]
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)..<(rest[question...].firstIndex(of: "#") ?? rest.endIndex)]
            for parameter in query.split(separator: "&") {
                if let equals = parameter.firstIndex(of: "="), isSecretParameter(parameter[..<equals]) {
                    parts.append(parameter[parameter.index(after: equals)...])
                }
            }
        }
        return parts.filter { !$0.isEmpty }
    }

    /// The URL with its whole user info replaced by `***` and the values of secret query parameters too.
    private static func redact(_ url: String, authorityStart: String.Index) -> String {
        let authority = authority(of: url, from: authorityStart)
        var result = String(url[..<authorityStart])
        if let at = authority.lastIndex(of: "@") {
            result += "***" + authority[at...]
        } else {
            result += authority
        }
        let rest = url[authority.endIndex...]
        guard let question = rest.firstIndex(of: "?") else { return result + rest }
        result += rest[...question]
        let queryEnd = rest[question...].firstIndex(of: "#") ?? rest.endIndex
        let parameters = rest[rest.index(after: question)..<queryEnd].split(separator: "&", omittingEmptySubsequences: false)
        result += parameters.map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "=") else { return String(parameter) }
            return isSecretParameter(parameter[..<equals]) ? parameter[...equals] + "***" : String(parameter)
        }.joined(separator: "&")
        return result + rest[queryEnd...]
    }
}
