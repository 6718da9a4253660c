import Foundation
import FramewiseTestSupport
import Testing
@testable import LabelStore

@Suite("Read-only queries")
struct QueryTests {
    @Test("writes are refused and change nothing", arguments: [
        "INSERT INTO classes VALUES (9, 'n9', 'x', 'x')",
        "DELETE FROM frames",
        "UPDATE labels SET score = 0",
        "DROP TABLE labels",
        "CREATE TABLE extra (a)",
        "VACUUM INTO 'copy.sqlite'",
    ])
    func writeRefused(sql: String) throws {
        let directory = try TemporaryDirectory()
        let reader = try ViewTests.makeFixture(in: directory)
        let path = directory.path("fixture.sqlite")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let walBefore = try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))
        #expect(throws: LabelStoreError.writeRefused) { try reader.run(sql, into: RowCollector()) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let walAfter = try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))
        #expect(walAfter == walBefore)
        #expect(try reader.count("SELECT count(*) FROM labels") == 16)
    }

    @Test("ATTACH cannot be used to write elsewhere")
    func attachRefused() throws {
        let directory = try TemporaryDirectory()
        let reader = try ViewTests.makeFixture(in: directory)
        let target = directory.path("elsewhere.sqlite")
        #expect(throws: (any Error).self) { try reader.run("ATTACH '\(target)' AS elsewhere", into: RowCollector()) }
        #expect(throws: (any Error).self) {
            try reader.run("ATTACH '\(target)' AS elsewhere; CREATE TABLE elsewhere.t (a)", into: RowCollector())
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test("text that reads as a number binds as a number")
    func parameterTypes() {
        #expect(QueryArgument(commandLine: "42") == .integer(42))
        #expect(QueryArgument(commandLine: "-0.5") == .real(-0.5))
        #expect(QueryArgument(commandLine: "007") == .text("007"))
        #expect(QueryArgument(commandLine: "tabby") == .text("tabby"))
        #expect(QueryArgument(commandLine: "inf") == .text("inf"))
        #expect(QueryArgument(commandLine: "0.25") == .real(0.25))
        #expect(QueryArgument(commandLine: "0") == .integer(0))
    }
}

/// `framewise query` and `framewise segments`, run as the built executable.
@Suite("framewise query command")
struct QueryCommandTests {
    static let trickySQL = """
        SELECT 1 AS id, 'plain' AS text, 2.5 AS real, NULL AS empty
        UNION ALL SELECT 2, 'comma, "quote"' || char(10) || 'new line', -1e-3, NULL
        UNION ALL SELECT 3, 'caf\u{e9} ✓', 0.0, x'00ff'
        """

    @Test("csv follows RFC 4180 and parses back")
    func csv() throws {
        let directory = try TemporaryDirectory()
        _ = try ViewTests.makeFixture(in: directory)
        let result = try runFramewise(["query", "--db", directory.path("fixture.sqlite"), "--format", "csv", Self.trickySQL])
        #expect(result.stdout.hasSuffix("\r\n"))
        #expect(try parseCSV(result.stdout) == [
            ["id", "text", "real", "empty"],
            ["1", "plain", "2.5", ""],
            ["2", "comma, \"quote\"\nnew line", "-0.001", ""],
            ["3", "caf\u{e9} ✓", "0.0", "00ff"],
        ])
    }

    @Test("json is an array of objects and jsonl one object per line")
    func json() throws {
        let directory = try TemporaryDirectory()
        _ = try ViewTests.makeFixture(in: directory)
        let db = directory.path("fixture.sqlite")
        let array = try runFramewise(["query", "--db", db, "--format", "json", Self.trickySQL])
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(array.stdout.utf8)) as? [[String: Any]])
        #expect(objects.count == 3)
        #expect(objects[1]["text"] as? String == "comma, \"quote\"\nnew line")
        #expect(objects[1]["real"] as? Double == -0.001)
        #expect(objects[0]["empty"] is NSNull)
        #expect(objects[2]["text"] as? String == "caf\u{e9} ✓")

        let lines = try runFramewise(["query", "--db", db, "--format", "jsonl", Self.trickySQL])
        let parsed = try lines.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(parsed.map { $0["id"] as? Int } == [1, 2, 3])

        let empty = try runFramewise(["query", "--db", db, "--format", "json", "SELECT * FROM classes WHERE 0"])
        #expect(try JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [Any] != nil)
    }

    @Test("table aligns columns, --param binds placeholders, FRAMEWISE_DB is honoured")
    func table() throws {
        let directory = try TemporaryDirectory()
        _ = try ViewTests.makeFixture(in: directory)
        let result = try runFramewise(
            ["query", "--param", "0", "SELECT class_index, label, names FROM classes WHERE class_index >= ? ORDER BY class_index"],
            environment: ["FRAMEWISE_DB": directory.path("fixture.sqlite")])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)  // header, rule, 3 rows, row count
        #expect(Set(lines.dropLast().map(\.count)).count == 1)
        #expect(lines[2] == "          0 | cat   | cat, house cat")
        #expect(lines.last == "(3 rows)")
    }

    @Test("writes, bad SQL and a missing database fail with one clear line")
    func failures() throws {
        let directory = try TemporaryDirectory()
        _ = try ViewTests.makeFixture(in: directory)
        let db = directory.path("fixture.sqlite")

        let write = try runFramewise(["query", "--db", db, "DELETE FROM labels"], mustSucceed: false)
        #expect(write.status != 0)
        #expect(write.stderr == "error: framewise query is read-only: this statement would change the database\n")
        let reader = try ReadOnlyDatabase(path: db)
        #expect(try reader.count("SELECT count(*) FROM labels") == 16)

        let bad = try runFramewise(["query", "--db", db, "SELEC * FROM labels"], mustSucceed: false)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("syntax error"))

        let missing = try runFramewise(["query", "SELECT 1"], in: directory.url, mustSucceed: false)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no database at framewise.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("framewise.sqlite")))
    }

    @Test("segments --raw lists a label's top-1 runs, by source and score")
    func segments() throws {
        let directory = try TemporaryDirectory()
        _ = try ViewTests.makeFixture(in: directory)
        let db = directory.path("fixture.sqlite")
        let all = try runFramewise(["segments", "cat", "--raw", "--db", db, "--format", "csv"])
        #expect(try parseCSV(all.stdout) == [
            ["source", "label", "start", "end", "frames", "mean_score"],
            ["/videos/a.mp4", "cat", "0:00:00.000", "0:00:00.500", "2", "0.625"],
            ["/videos/a.mp4", "cat", "0:00:02.500", "0:00:03.500", "3", "0.5"],
            ["/videos/b.mp4", "cat", "0:00:00.200", "0:00:00.200", "1", "0.25"],
        ])
        let filtered = try runFramewise(["segments", "cat", "--raw", "--db", db, "--source", "a.mp4", "--min-score", "0.6", "--format", "csv"])
        #expect(try parseCSV(filtered.stdout).dropFirst().map { $0[2] } == ["0:00:00.000"])
        let unknown = try runFramewise(["segments", "unicorn", "--db", db], mustSucceed: false)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no class is labelled 'unicorn'"))
        // --source names sources as the report's does (URI, id, last part of the path); none is one line.
        let byID = try runFramewise(["segments", "cat", "--raw", "--db", db, "--source", "2", "--format", "csv"])
        #expect(try parseCSV(byID.stdout).dropFirst().map { $0[0] } == ["/videos/b.mp4"])
        let nowhere = try runFramewise(["segments", "cat", "--db", db, "--source", "c.mp4"], mustSucceed: false)
        #expect(nowhere.status == 1 && nowhere.stderr == "error: no source matches 'c.mp4' (list them: framewise query \"SELECT id, uri FROM sources\")\n")
    }
}

/// A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes.
func parseCSV(_ text: String) throws -> [[String]] {
    struct MalformedCSV: Error {}
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var characters = text.makeIterator()
    var pending = characters.next()
    while let character = pending {
        pending = characters.next()
        if quoted {
            if character == "\"" {
                if pending == "\"" { field.append("\""); pending = characters.next() } else { quoted = false }
            } else {
                field.append(character)
            }
        } else if character == "\"" {
            guard field.isEmpty else { throw MalformedCSV() }
            quoted = true
        } else if character == "," {
            record.append(field)
            field = ""
        } else if character == "\r\n" {
            record.append(field)
            records.append(record)
            record = []
            field = ""
        } else if character == "\n" || character == "\r" {
            throw MalformedCSV()  // bare line ends are not RFC 4180 record separators
        } else {
            field.append(character)
        }
    }
    guard record.isEmpty, field.isEmpty, !quoted else { throw MalformedCSV() }
    return records
}
