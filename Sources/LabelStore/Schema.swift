import GRDB

/// One schema step: the contents of `migrations/<identifier>.sql`, embedded at build time.
struct SchemaMigration: Sendable {
    let identifier: String
    let sql: String
}

/// The label store's schema: the embedded migrations, applied in order through GRDB's `DatabaseMigrator`
/// (each in its own transaction, recorded in `grdb_migrations`).
enum Schema {
    static let migrations = EmbeddedMigrations.sqlite

    /// Brings the database up to date (or up to and including `lastIdentifier`). Refuses a database written by
    /// a newer Framewise (it holds migrations this binary does not know) and a database that holds tables but
    /// was never a Framewise database.
    static func migrate(_ writer: some DatabaseWriter, upTo lastIdentifier: String? = nil) throws {
        let migrator = makeMigrator()
        try writer.read { db in try refuseForeignOrNewer(db, migrator: migrator) }
        if let lastIdentifier {
            try migrator.migrate(writer, upTo: lastIdentifier)
        } else {
            try migrator.migrate(writer)
        }
    }

    /// The last step that may rebuild a table (0003 rebuilt `sources`): up to it, GRDB checks foreign keys once,
    /// over the whole database, before the step commits; with foreign keys on, dropping a table to rebuild it
    /// would delete its children. Later steps only add (tables, columns, indexes, views) and run with SQLite's
    /// own immediate checks, so an upgrade does not read every row of `labels` (on 2 million frames the whole-
    /// database check took 5–7 s of a 6–8 s upgrade; the step itself 0.3 s).
    static let lastStepCheckedWhole = "0008_retention"

    private static func makeMigrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let checks: DatabaseMigrator.ForeignKeyChecks = migration.identifier <= lastStepCheckedWhole ? .deferred : .immediate
            migrator.registerMigration(migration.identifier, foreignKeyChecks: checks) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    private static func refuseForeignOrNewer(_ db: Database, migrator: DatabaseMigrator) throws {
        guard try db.tableExists("grdb_migrations") else {
            let tableCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema WHERE type = 'table'") ?? 0
            if tableCount > 0 { throw LabelStoreError.notAFramewiseDatabase }
            return
        }
        let known = Set(migrations.map(\.identifier))
        let unknown = try migrator.appliedIdentifiers(db).subtracting(known)
        if !unknown.isEmpty {
            throw LabelStoreError.newerSchema(unknownMigrations: unknown.sorted())
        }
    }
}
