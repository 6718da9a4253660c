import Foundation
#if PostgreSQL
import PostgresNIO
#endif

/// A PostgreSQL database named by `postgres://user[:password]@host[:port]/database[?sslmode=MODE]` (or
/// `postgresql://`). The password comes from the URL, else `$PGPASSWORD`, else the first matching line of
/// `~/.pgpass` (`$PGPASSFILE`; ignored unless only its owner may read it, as libpq does). `description` is the
/// URL without its password: the only form that reaches messages.
package struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode` values: whether TLS is tried, required, and how the server's certificate is checked.
    package enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    package let host: String
    package let port: Int
    package let user: String
    package let database: String
    package let sslMode: SSLMode
    /// Never printed: `description` leaves it out.
    let password: String?

    /// The URL as it may be shown: user, host, port, database and sslmode, never a password.
    package var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// Whether `text` names a PostgreSQL database rather than an SQLite file.
    package static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads a `postgres://` URL. Errors quote it with its password replaced by `***`.
    package init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let shown = Self.redacted(text)
        func refuse(_ reason: String) -> LabelStoreError { .invalidLocation(location: shown, reason: reason) }
        guard Self.isPostgresURL(text), let components = URLComponents(string: text) else {
            throw refuse("not a postgres://user[:password]@host[:port]/database URL")
        }
        guard var host = components.host, !host.isEmpty else { throw refuse("it names no host") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw refuse("the database name holds a '/'") }
        var sslMode = SSLMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw refuse("unknown parameter '\(item.name)' (known: sslmode)") }
            guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                throw refuse("sslmode is one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            sslMode = mode
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["PGUSER"] ?? ProcessInfo.processInfo.userName
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.database = path.isEmpty ? user : path
        self.sslMode = sslMode
        // An empty password counts as none, as in libpq.
        self.password = [components.password, environment["PGPASSWORD"]].compactMap { $0 }.first { !$0.isEmpty }
            ?? PasswordFile(path: environment["PGPASSFILE"] ?? NSHomeDirectory() + "/.pgpass")?
            .password(host: host, port: self.port, database: self.database, user: user)
    }

    /// `text` with the password of its user info replaced by `***` (anything that is not a URL is kept).
    static func redacted(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let authorityEnd = text[schemeEnd.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? text.endIndex
        let authority = text[schemeEnd.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return text
        }
        return String(text[..<authority.index(after: colon)]) + "***" + String(text[at...])
    }

#if PostgreSQL
    /// The connection settings PostgresNIO needs (with the password).
    func connectionConfiguration(startupParameters: [(String, String)]) throws -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: try tls())
        configuration.options.additionalStartupParameters = [("application_name", "framewise")] + startupParameters
        return configuration
    }

    private func tls() throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return .disable
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        let context = try NIOSSLContext(configuration: tls)
        return sslMode == .allow || sslMode == .prefer ? .prefer(context) : .require(context)
    }
#endif
}

/// A libpq password file: `host:port:database:user:password` lines, `*` matching anything, `\` escaping `:`
/// and `\`. Read only when no one but its owner may read it.
struct PasswordFile {
    private let entries: [[String]]

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0,
              let text = try? String(contentsOfFile: path, encoding: .utf8)
        else { return nil }
        entries = text.split(whereSeparator: \.isNewline).compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = Self.fields(of: line)
            return fields.count == 5 ? fields : nil
        }
    }

    func password(host: String, port: Int, database: String, user: String) -> String? {
        let wanted = [host, String(port), database, user]
        return entries.first { entry in
            zip(entry, wanted).allSatisfy { pattern, value in pattern == "*" || pattern == value }
        }?[4]
    }

    private static func fields(of line: Substring) -> [String] {
        var fields = [""]
        var escaped = false
        for character in line {
            if escaped {
                fields[fields.count - 1].append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append("")
            } else {
                fields[fields.count - 1].append(character)
            }
        }
        return fields
    }
}
