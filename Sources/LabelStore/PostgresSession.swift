#if PostgreSQL
import Foundation
import Logging
import PostgresNIO

/// One connection to a PostgreSQL server, used by one caller at a time, with blocking calls for the store's
/// synchronous API (never called on an event loop thread). A connection that was lost is opened again by the
/// next call. Errors become `LabelStoreError`s that name the redacted location and never the password.
final class PostgresSession: @unchecked Sendable {
    let location: PostgresLocation
    private let startupParameters: [(String, String)]
    /// Guards `connection` and serializes callers: a transaction's statements never interleave with another's.
    private let lock = NSLock()
    private var connection: PostgresConnection?
    /// Set by `close()`: later calls fail instead of connecting again.
    private var isClosed = false
    /// PostgresNIO logs nothing of ours: its messages might carry connection details.
    private let logger = Logger(label: "framewise.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Opens the connection now, so a wrong address or password fails here. `startupParameters` are server
    /// settings for the whole session (e.g. `statement_timeout`).
    init(location: PostgresLocation, startupParameters: [(String, String)] = []) throws {
        self.location = location
        self.startupParameters = startupParameters
        try lock.withLock { _ = try openConnection() }
    }

    deinit {
        // Not waited for (the last reference may go on any thread, an event loop's too); the connection is kept
        // until it has closed, as PostgresNIO requires.
        guard let connection else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Closes the connection and waits until it has closed; later calls fail.
    func close() {
        lock.withLock {
            isClosed = true
            guard let connection else { return }
            self.connection = nil
            try? connection.close().wait()
        }
    }

    /// Runs `body` with the connection, alone.
    func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        try lock.withLock {
            let connection = try openConnection()
            do {
                return try body(Connection(connection: connection, session: self))
            } catch {
                if connection.isClosed { self.connection = nil }
                throw error
            }
        }
    }

    /// Runs `body` in one transaction: committed when it returns (`end`; a read-only transaction may pass
    /// `ROLLBACK`), rolled back when it throws.
    func transaction<T>(begin: String = "BEGIN", end: String = "COMMIT", _ body: (Connection) throws -> T) throws -> T {
        try withConnection { connection in
            try connection.execute(PostgresQuery(unsafeSQL: begin))
            do {
                let result = try body(connection)
                try connection.execute(PostgresQuery(unsafeSQL: end))
                return result
            } catch {
                if !connection.connection.isClosed { _ = try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// One statement in a transaction of its own (autocommit).
    @discardableResult
    func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try withConnection { try $0.query(query) }
    }

    private func openConnection() throws -> PostgresConnection {
        if isClosed { throw LabelStoreError.cannotOpen(path: location.description, reason: "the store was closed") }
        if let connection, !connection.isClosed { return connection }
        connection = nil
        do {
            let configuration = try location.connectionConfiguration(startupParameters: startupParameters)
            let opened = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1, logger: logger
            ).wait()
            connection = opened
            return opened
        } catch {
            throw LabelStoreError.cannotOpen(path: location.description, reason: reason(for: error))
        }
    }

    /// A one-line reason for `error`, free of the password.
    func reason(for error: any Error) -> String {
        var text: String
        if let error = error as? PSQLError {
            if let server = error.serverInfo, let message = server[.message] {
                text = message + (server[.detail].map { " (\($0))" } ?? "")
            } else if let underlying = error.underlying {
                text = "\(underlying)"
            } else {
                switch error.code {
                case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: text = "the connection was lost"
                case .sslUnsupported: text = "the server does not offer TLS (sslmode=\(location.sslMode.rawValue))"
                default: text = "\(error.code)"
                }
            }
        } else {
            text = "\(error)"
        }
        if let password = location.password, !password.isEmpty {
            text = text.replacingOccurrences(of: password, with: "***")
        }
        return text
    }

    /// `error` as the store reports it: a write refused by a read-only transaction (SQLSTATE 25006) is
    /// `writeRefused`, other failures name the location and the server's reason.
    func storeError(for error: any Error) -> LabelStoreError {
        if let error = error as? LabelStoreError { return error }
        if (error as? PSQLError)?.serverInfo?[.sqlState] == "25006" { return .writeRefused }
        return .server(location: location.description, reason: reason(for: error))
    }

    /// How long a statement may wait for the server's answer before the connection is closed (which fails the
    /// statement, and the next call connects again): a server that vanished without closing the socket, or a
    /// connection caught in a server's restart, must not hold a writer forever. Longer than any statement
    /// Framewise runs (read-only sessions have a 60 s `statement_timeout`).
    static let responseDeadline: TimeAmount = .seconds(90)

    /// The connection as the session's current user sees it: blocking statements with readable errors.
    struct Connection {
        let connection: PostgresConnection
        let session: PostgresSession

        /// Runs a statement and collects its rows.
        @discardableResult
        func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
            try answer(connection.query(query, logger: session.logger))
        }

        /// Runs a statement whose rows do not matter.
        func execute(_ query: PostgresQuery) throws {
            try self.query(query)
        }

        /// Runs a statement, handing each row to `body` on an event loop thread as it arrives.
        func forEachRow(_ query: PostgresQuery, _ body: @escaping @Sendable (PostgresRow) throws -> Void) throws {
            _ = try answer(connection.query(query, logger: session.logger, body))
        }

        /// Waits for a statement's answer, but not past `responseDeadline`: then the statement fails and the
        /// connection is closed (the next call connects again). The wait does not rely on the closing to fail the
        /// statement: a connection lost in a server's restart once left a ROLLBACK unanswered for good.
        private func answer<Value: Sendable>(_ statement: EventLoopFuture<Value>) throws -> Value {
            let answered = connection.eventLoop.makePromise(of: Value.self)
            statement.cascade(to: answered)
            let deadline = connection.eventLoop.scheduleTask(in: PostgresSession.responseDeadline) { [connection, session] in
                answered.fail(LabelStoreError.server(location: session.location.description,
                                                     reason: "no answer in \(PostgresSession.responseDeadline.nanoseconds / 1_000_000_000) s"))
                let closing: EventLoopFuture<Void> = connection.close()
                closing.whenComplete { _ in withExtendedLifetime(connection) {} }
            }
            defer { deadline.cancel() }
            do {
                return try answered.futureResult.wait()
            } catch {
                throw session.storeError(for: error)
            }
        }
    }
}
#endif
