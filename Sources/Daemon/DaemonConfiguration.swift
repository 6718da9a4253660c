import Foundation
package import GoogLeNet
package import Pipeline

/// The daemon's configuration file (`framewise serve --config FILE`, YAML): the one database every pipeline
/// writes to, where HTTP listens, the directory of pipeline files, the shared worker pool, the model, the
/// bearer token, the names a browser may reach it by (`allowed_hosts`), and how long frames are kept
/// (`retention`, with the `max_database_size` and `min_free_disk` guards). Mistakes are reported as
/// `file:line: key: why`, like pipeline files.
package struct DaemonConfiguration: Sendable, Equatable {
    /// Where the HTTP interface listens.
    package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
        package var host: String
        package var port: Int

        /// Whether only this machine can connect (127.0.0.0/8, ::1, localhost).
        package var isLoopback: Bool {
            host == "localhost" || host == "::1" || host.hasPrefix("127.")
        }

        /// Whether it listens on every interface (`0.0.0.0`, `::`).
        package var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

        package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    package static let defaultListen = ListenAddress(host: "127.0.0.1", port: 9090)

    /// The file this configuration came from.
    package var file: String
    /// The SQLite database all pipelines write to.
    package var database: String
    package var listen: ListenAddress
    /// The directory of pipeline files (`*.yaml`, `*.yml`).
    package var pipelines: String
    /// GoogLeNet workers shared by every pipeline's inputs.
    package var workers: Int
    /// The model directory; nil: the usual search (`$FRAMEWISE_MODEL_DIR`, then the user's data directory).
    package var model: String?
    package var precision: Precision
    /// A file holding the bearer token every HTTP endpoint but `/healthz` requires.
    package var tokenFile: String?
    /// More names requests may give in `Host` (and forms in `Origin`) than the listen address (`AcceptedHosts`):
    /// `HOST` at the listen port, or `HOST:PORT`.
    package var allowedHosts: [HostAndPort]
    /// How long frames are kept, for every pipeline whose file sets no `retention:` of its own; nil: for ever.
    package var retention: RetentionPeriod?
    /// SQLite: when the rows take more than this, the oldest frames go first (`DatabaseKeeper`).
    package var maxDatabaseSize: ByteSize?
    /// SQLite: when the disk the database is on has less free than this, the oldest frames go first.
    package var minFreeDisk: ByteSize?

    /// Reads and checks the configuration file. Relative paths in it are taken from the file's directory.
    package static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> DaemonConfiguration
    {
        var fields = try YAMLFields.document(file: file, environment: environment)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func path(_ text: String) -> String {
            let expanded = (text as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? expanded : base.appendingPathComponent(expanded).standardizedFileURL.path
        }
        guard let database = try fields.string("database") else {
            throw fields.error("database", "required: the SQLite database every pipeline writes to")
        }
        guard let pipelines = try fields.string("pipelines") else {
            throw fields.error("pipelines", "required: the directory of pipeline files")
        }
        var listen = defaultListen
        if let text = try fields.string("listen") {
            guard let address = ListenAddress(text) else {
                throw fields.error("listen", "expected HOST:PORT with a port from 1 to 65535, found '\(text)'")
            }
            listen = address
        }
        let configuration = DaemonConfiguration(
            file: file, database: database.contains("://") ? database : path(database), listen: listen, pipelines: path(pipelines),
            workers: try fields.int("workers", in: OptionLimits.workers) ?? ProcessInfo.processInfo.activeProcessorCount,
            model: try fields.string("model").map(path),
            precision: try fields.choice("precision", of: Precision.self) ?? .fp32,
            tokenFile: try fields.string("token_file").map(path),
            allowedHosts: try fields.strings("allowed_hosts").map { texts in
                try texts.map { text in
                    guard let name = HostAndPort(authority: text, defaultPort: listen.port) else {
                        throw fields.error("allowed_hosts", "expected a host name or address with an optional :PORT, found '\(text)'")
                    }
                    return name
                }
            } ?? [],
            retention: try fields.period("retention"),
            maxDatabaseSize: try fields.byteSize("max_database_size", in: OptionLimits.storage),
            minFreeDisk: try fields.byteSize("min_free_disk", in: OptionLimits.storage))
        if !configuration.listen.isLoopback, configuration.tokenFile == nil {
            throw fields.error("listen", "\(configuration.listen) is reachable from other machines: set token_file too")
        }
        // A PostgreSQL server's files are on its own disk, and its tables keep the space of deleted rows for new
        // ones: neither guard can measure what it would need there.
        for (key, value) in [("max_database_size", configuration.maxDatabaseSize), ("min_free_disk", configuration.minFreeDisk)]
        where value != nil && database.contains("://") {
            throw fields.error(key, "applies to an SQLite database; on PostgreSQL set retention (the server's disk is watched on the server)")
        }
        try fields.rejectUnknownKeys()
        return configuration
    }

    /// The bearer token from `tokenFile` (surrounding whitespace removed), or nil without one.
    package func readToken() throws -> String? {
        guard let tokenFile else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: tokenFile, encoding: .utf8)
        } catch {
            throw DaemonError("\(file): token_file: cannot read \(tokenFile)")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16, !token.contains(where: \.isWhitespace) else {
            throw DaemonError("\(file): token_file: \(tokenFile) must hold one token of at least 16 characters")
        }
        return token
    }
}

extension DaemonConfiguration.ListenAddress {
    /// `HOST:PORT` or `[IPv6]:PORT`.
    init?(_ text: String) {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (1...65535).contains(number) else { return nil }
        self.init(host: String(host), port: number)
    }
}

/// Why the daemon cannot start or go on, in one line.
package struct DaemonError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
