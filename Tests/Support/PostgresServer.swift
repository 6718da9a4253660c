package import Foundation
import Synchronization

/// A real PostgreSQL server (Debian's `postgresql` package, `/usr/lib/postgresql/<version>/bin`) for one test:
/// `initdb` into a temporary directory (as the `postgres` user, through `runuser`, when the tests run as root),
/// then `postgres` itself as a child process (through `setpriv`, which execs it, so signals reach it) on a free
/// port of 127.0.0.1, with password authentication (scram-sha-256) for the superuser `postgres`. (Not `pg_ctl
/// start`: the daemon it leaves behind inherits a descriptor Foundation's `Process` waits on, so the start never
/// returns.) `makeDatabase()` gives each caller a database of its own. Stopped (SIGQUIT: immediate shutdown)
/// and removed on deinit; tests `defer { server.stop() }` so it lives to their end.
package final class PostgresServer: Sendable {
    package let port: Int
    /// The superuser's password (random per server).
    package let password: String
    package static let user = "postgres"
    private let directory: TemporaryDirectory
    private let binaries: URL
    private let server = Mutex<ChildProcess?>(nil)

    /// Whether PostgreSQL tests can run: the server is installed and this build has the PostgreSQL trait.
    package static var isUsable: Bool {
        #if PostgreSQL
        binaryDirectory != nil
        #else
        false
        #endif
    }

    /// Where Debian puts the server's programs (the newest version installed), or nil when it is not installed.
    package static var binaryDirectory: URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap(Int.init).sorted().last
            .map { root.appendingPathComponent("\($0)/bin") }
            .flatMap { FileManager.default.fileExists(atPath: $0.appendingPathComponent("initdb").path) ? $0 : nil }
    }

    package init() throws {
        guard let binaries = Self.binaryDirectory else {
            throw PostgresServerError("PostgreSQL is not installed (scripts/install-deps installs Debian's postgresql)")
        }
        self.binaries = binaries
        directory = try TemporaryDirectory(prefix: "framewise-postgres")
        password = "pw-" + UUID().uuidString.prefix(12).lowercased()
        port = try unusedPort()
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.url.path)
        let passwordFile = directory.path("superuser-password")
        try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passwordFile)
        try runAsPostgres("initdb", ["-D", dataDirectory, "-U", Self.user, "--auth=scram-sha-256",
                                     "--pwfile=\(passwordFile)", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        try start()
    }

    deinit {
        stop()
    }

    private var dataDirectory: String { directory.path("data") }

    /// Starts the server (again, after `stop()`), on the same port, and waits until it accepts connections.
    package func start() throws {
        let (executable, arguments) = execAsPostgres("postgres", [
            "-D", dataDirectory, "-c", "listen_addresses=127.0.0.1", "-p", "\(port)",
            "-c", "unix_socket_directories=\(directory.url.path)", "-c", "fsync=off",
            // Its log goes to files under data/log, so nothing fills the pipe nobody reads while it runs.
            "-c", "logging_collector=on",
        ])
        let process = try ChildProcess(executable, arguments)
        server.withLock { $0 = process }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let ready = try runCommand(binaries.appendingPathComponent("pg_isready"),
                                       ["-h", "127.0.0.1", "-p", "\(port)", "-q"], mustSucceed: false)
            if ready.status == 0 { return }
            guard process.process.isRunning else {
                throw PostgresServerError("postgres exited: \(process.wait().stderr.suffix(2000))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw PostgresServerError("postgres did not accept connections within 30 s")
    }

    /// Stops the server at once (open connections are cut), keeping its data.
    package func stop() {
        guard let process = server.withLock({ $0.take() }) else { return }
        process.signal(SIGQUIT)
        _ = process.wait()
    }

    /// The URL of database `name` with the superuser's password in it.
    package func url(database name: String, password: String? = nil) -> String {
        "postgres://\(Self.user):\(password ?? self.password)@127.0.0.1:\(port)/\(name)"
    }

    /// Creates an empty database with a fresh name and returns its URL.
    package func makeDatabase() throws -> String {
        let name = "test_" + UUID().uuidString.prefix(8).lowercased()
        try psql(database: "postgres", "CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs SQL through Debian's `psql` as the superuser (for what a test must do behind Framewise's back).
    @discardableResult
    package func psql(database: String, _ sql: String) throws -> String {
        try runCommand(URL(fileURLWithPath: "/usr/bin/psql"),
                       ["-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, "-d", database, "-v", "ON_ERROR_STOP=1",
                        "-X", "-q", "-A", "-t", "-c", sql],
                       environment: ["PGPASSWORD": password]).stdout
    }

    /// Runs one of the server's programs to its end, as the `postgres` user when the tests run as root
    /// (PostgreSQL refuses root).
    @discardableResult
    private func runAsPostgres(_ program: String, _ arguments: [String]) throws -> CommandResult {
        let executable = binaries.appendingPathComponent(program)
        guard getuid() == 0 else { return try runCommand(executable, arguments) }
        return try runCommand(URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "postgres", "--", executable.path] + arguments)
    }

    /// The server's `program` with `arguments` as the `postgres` user, in this very process (runuser would stay
    /// in between and not pass SIGQUIT on).
    private func execAsPostgres(_ program: String, _ arguments: [String]) -> (URL, [String]) {
        let executable = binaries.appendingPathComponent(program)
        guard getuid() == 0 else { return (executable, arguments) }
        return (URL(fileURLWithPath: "/usr/bin/setpriv"),
                ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable.path] + arguments)
    }
}

/// Why the test server could not be set up.
package struct PostgresServerError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
