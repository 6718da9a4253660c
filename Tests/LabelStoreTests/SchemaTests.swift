import Foundation
import FramewiseTestSupport
import Testing
@testable import LabelStore
import GRDB

@Suite("Schema and migrations")
struct SchemaTests {
    @Test("a fresh database gets every migration, table and view")
    func freshDatabase() throws {
        let directory = try TemporaryDirectory()
        _ = try LabelStore(path: directory.path("fresh.sqlite"))
        let reader = try ReadOnlyDatabase(path: directory.path("fresh.sqlite"))
        let applied = try reader.rows("SELECT identifier FROM grdb_migrations ORDER BY identifier")
        #expect(applied == Schema.migrations.map { [.text($0.identifier)] })
        #expect(Schema.migrations.count >= 2)
        let objects = try reader.rows("SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'grdb%' ORDER BY name")
        #expect(objects == [
            [.text("table"), .text("appearances")], [.text("table"), .text("categories")],
            [.text("view"), .text("category_predictions")], [.text("table"), .text("category_scores")],
            [.text("table"), .text("classes")], [.text("table"), .text("frame_features")], [.text("table"), .text("frames")],
            [.text("table"), .text("head_classes")], [.text("table"), .text("head_examples")],
            [.text("view"), .text("head_predictions")], [.text("table"), .text("head_scores")],
            [.text("table"), .text("head_versions")], [.text("table"), .text("heads")], [.text("table"), .text("jobs")],
            [.text("view"), .text("label_segments")], [.text("table"), .text("labels")],
            [.text("view"), .text("predictions")], [.text("table"), .text("runs")], [.text("table"), .text("sources")],
            [.text("table"), .text("thumbnails")], [.text("table"), .text("view_labels")],
            [.text("view"), .text("view_predictions")],
        ])
        #expect(try reader.rows("SELECT * FROM pragma_journal_mode()") == [[.text("wal")]])
    }

    @Test("a database at the first migration keeps its data and gains the views")
    func upgradeFromFirstMigration() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("old.sqlite")
        do {
            let oldStore = try LabelStore(path: path, migratingUpTo: Schema.migrations[0].identifier)
            try oldStore.storeClasses(fixtureClasses)
            // What a Framewise of the first schema wrote: a source by its path, a run counting in frames_decoded.
            try (oldStore.connection as! SQLiteStoreConnection).pool.write { db in
                try db.execute(sql: "INSERT INTO sources (id, uri, kind, created_at) VALUES (7, '/videos/old.mp4', 'file', 0)")
                try db.execute(sql: """
                    INSERT INTO runs (id, source_id, started_at, status, precision, sampling, model_sha256, frames_decoded)
                    VALUES (3, 7, 0, 'completed', 'f32', 'all', 'x', 2)
                    """)
            }
            let run = RunID(rawValue: 3)
            let writer = try oldStore.makeWriter(run: run)
            try writer.append(frame(0, [0, 1]))
            try writer.append(frame(1, [0, 2]))
            try writer.close()
        }
        let before = try ReadOnlyDatabase(path: path)
        #expect(try before.count("SELECT count(*) FROM sqlite_schema WHERE type = 'view'") == 0)

        _ = try LabelStore(path: path)
        let after = try ReadOnlyDatabase(path: path)
        #expect(try after.count("SELECT count(*) FROM grdb_migrations") == Schema.migrations.count)
        #expect(try after.rows("SELECT source, label, start_pts, end_pts, frames FROM label_segments") == [
            [.text("/videos/old.mp4"), .text("cat"), .real(0), .real(0.1), .integer(2)],
        ])
        #expect(try after.count("SELECT count(*) FROM predictions") == 4)
        #expect(try after.rows("SELECT id, fingerprint FROM sources") == [[.integer(7), .text("")]])
        #expect(try after.rows("SELECT frames_sampled, frames_skipped, live, views FROM runs")
            == [[.integer(2), .integer(0), .integer(0), .text("center")]])
        // Every view's answers: the old frames are the centre crop's.
        #expect(try after.rows("SELECT DISTINCT view FROM view_predictions") == [[.text("center")]])
        #expect(try after.count("SELECT count(*) FROM view_predictions") == 4)

        // The first fingerprinted run of that path adopts the old source (and so resumes its frames).
        let upgraded = try LabelStore(path: path)
        let registration = try upgraded.register(source: SourceDescriptor(uri: "/videos/old.mp4", kind: .file, fingerprint: "2:ab"))
        #expect(registration == SourceRegistration(id: SourceID(rawValue: 7), supersedes: nil))
        #expect(try upgraded.storedFrameIndices(of: registration.id).count == 2)
    }

    @Test("a database from a newer Framewise is refused with a clear message")
    func newerDatabaseRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("newer.sqlite")
        let store = try LabelStore(path: path)
        try (store.connection as! SQLiteStoreConnection).pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future')")
        }
        #expect(throws: LabelStoreError.newerSchema(unknownMigrations: ["9999_from_the_future"])) {
            try LabelStore(path: path)
        }
        #expect("\(LabelStoreError.newerSchema(unknownMigrations: ["9999_x"]))".contains("newer Framewise"))
    }

    @Test("a file that is not SQLite, or a path in a missing folder, is refused naming the path")
    func unopenableFilesRefused() throws {
        let directory = try TemporaryDirectory()
        let notes = directory.path("notes.sqlite")
        try Data("these are notes, not a database\n".utf8).write(to: URL(fileURLWithPath: notes))
        for path in [notes, directory.path("missing/folder/db.sqlite")] {
            #expect {
                _ = try LabelStore(path: path)
            } throws: { error in
                guard case .cannotOpen(let named, _)? = error as? LabelStoreError else { return false }
                return named == path && !"\(error)".contains("\n")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: notes)) == Data("these are notes, not a database\n".utf8))
    }

    @Test("a SQLite file that is not a Framewise database is left alone")
    func foreignDatabaseRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("other.sqlite")
        let other = try LabelStore(path: path)
        try (other.connection as! SQLiteStoreConnection).pool.write { db in try db.execute(sql: "DROP TABLE grdb_migrations") }
        #expect(throws: LabelStoreError.notAFramewiseDatabase) { try LabelStore(path: path) }
    }
}
