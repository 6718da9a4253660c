#if PostgreSQL
import PostgresNIO

/// The label store's schema on PostgreSQL: the embedded `migrations/postgresql/` steps (the same numbered names
/// as SQLite's), each applied in its own transaction (statement by statement: PostgresNIO sends one at a time) and recorded in `framewise_migrations`. Several processes
/// starting at once take turns through an advisory lock, so each step runs once.
enum PostgresSchema {
    static let migrations = EmbeddedMigrations.postgresql
    /// The advisory lock key held while migrating ("framewise" in ASCII, as a number).
    private static let lockKey: Int64 = 0x6672_616D_6577_6973

    /// Brings the database up to date (or up to and including `lastIdentifier`). Refuses a database that holds
    /// migrations this binary does not know, and a schema that holds tables but was never a Framewise database.
    static func migrate(_ session: PostgresSession, upTo lastIdentifier: String? = nil) throws {
        let wanted = lastIdentifier.map { last in
            Array(migrations.prefix { $0.identifier <= last })
        } ?? migrations
        try session.transaction { connection in
            try connection.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS framewise_migrations (
                    identifier text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = try appliedIdentifiers(connection)
            let known = Set(migrations.map(\.identifier))
            let unknown = applied.subtracting(known)
            if !unknown.isEmpty { throw LabelStoreError.newerSchema(unknownMigrations: unknown.sorted()) }
            if applied.isEmpty, try foreignTableCount(connection) > 0 { throw LabelStoreError.notAFramewiseDatabase }
        }
        for migration in wanted {
            try session.transaction { connection in
                try connection.execute("SELECT pg_advisory_xact_lock(\(lockKey))")
                guard try !appliedIdentifiers(connection).contains(migration.identifier) else { return }
                for statement in SQLText(migration.sql).statements {
                    try connection.execute(PostgresQuery(unsafeSQL: statement))
                }
                try connection.execute(
                    "INSERT INTO framewise_migrations (identifier) VALUES (\(migration.identifier))")
            }
        }
    }

    static func appliedIdentifiers(_ connection: PostgresSession.Connection) throws -> Set<String> {
        let rows = try connection.query("SELECT identifier FROM framewise_migrations").rows
        return Set(try rows.map { try $0.decode(String.self) })
    }

    /// Tables of the current schema other than the migrations' record.
    private static func foreignTableCount(_ connection: PostgresSession.Connection) throws -> Int64 {
        let rows = try connection.query("""
            SELECT count(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name <> 'framewise_migrations'
            """).rows
        return try rows.first?.decode(Int64.self) ?? 0
    }
}
#endif
