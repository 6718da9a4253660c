import Foundation
import Glibc
import GRDB

/// What converting a database to `auto_vacuum = INCREMENTAL` will take, told before it starts.
package struct VacuumPlan: Sendable {
    /// The bytes of rows to rewrite (`(page_count − freelist_count) × page_size`).
    package let liveBytes: Int64
    /// Free bytes the copy needs beside the database (the rows, and a tenth more for the new file's indexes).
    package let neededBytes: Int64
    /// Free bytes on the database's file system.
    package let freeBytes: Int64
    /// From `liveBytes` at the rate measured on this project's 2-core machine (docs/measurements.md).
    package let estimatedSeconds: Double
}

extension LabelDatabaseLocation {
    /// Rewriting rate of `VACUUM INTO` and the copy's `quick_check`, bytes of rows per second: a 1.43 GB database
    /// took 41.5 s on the shared 2-core machine (docs/measurements.md, "Retention in the daemon").
    static let vacuumBytesPerSecond = 34_000_000.0

    /// Converts an SQLite database made before step 0008 (`auto_vacuum = NONE`: pruned pages are reused, the
    /// file never shrinks) to `auto_vacuum = INCREMENTAL`, once: with the file held exclusively (another process
    /// that has it open, a daemon or a run, makes it refuse, and nothing can write until it is done), `VACUUM
    /// INTO` a new file beside it, checked with `quick_check`, which then takes the database's name. `announce`
    /// hears the plan before any work; too little free disk refuses after it. Returns nil when the database is
    /// incremental already, else the bytes before and after.
    package func convertToIncrementalVacuum(announce: (VacuumPlan) -> Void) throws -> (before: Int64, after: Int64)? {
        guard case .sqlite(let path) = self else {
            throw LabelStoreError.unsupported("a PostgreSQL database needs no conversion: autovacuum reuses the space of deleted rows")
        }
        guard FileManager.default.fileExists(atPath: path) else { throw LabelStoreError.missingDatabase(path: path) }
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        let copy = path + ".vacuum"
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.writeWithoutTransaction { db -> (Int64, Int64)? in
                try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
                do {
                    try db.execute(sql: "BEGIN EXCLUSIVE")
                    try db.execute(sql: "COMMIT")
                } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                    throw LabelStoreError.unsupported("\(path) is open in another process (a daemon or a run writes it): stop it first, "
                        + "the conversion needs the file to itself")
                }
                guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 else { return nil }
                try db.checkpoint(.truncate)
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
                let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                let live = (pages - (try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)) * pageSize
                var stats = statvfs()
                let directory = (path as NSString).deletingLastPathComponent
                let free = statvfs(directory.isEmpty ? "." : directory, &stats) == 0 ? Int64(stats.f_bavail) * Int64(stats.f_frsize) : 0
                let plan = VacuumPlan(liveBytes: live, neededBytes: live + live / 10 + (16 << 20), freeBytes: free,
                                      estimatedSeconds: Double(live) / Self.vacuumBytesPerSecond)
                announce(plan)
                guard free >= plan.neededBytes else {
                    throw LabelStoreError.unsupported("the conversion needs \(plan.neededBytes) bytes free beside \(path), and \(free) are: "
                        + "free some space, or convert a copy on a larger disk")
                }
                try? FileManager.default.removeItem(atPath: copy)
                try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                try db.execute(sql: "VACUUM INTO ?", arguments: [copy])
                try Self.checkCopy(copy)
                guard rename(copy, path) == 0 else {
                    throw LabelStoreError.unsupported("cannot put \(copy) in the place of \(path): \(String(cString: strerror(errno)))")
                }
                let after = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
                return (pages * pageSize, after)
            }
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: copy)
            throw LabelStoreError.cannotOpen(path: path, reason: error.message ?? "\(error.resultCode)")
        } catch {
            try? FileManager.default.removeItem(atPath: copy)
            throw error
        }
    }

    /// The copy is incremental and passes `quick_check`, or it is removed and the original kept.
    private static func checkCopy(_ copy: String) throws {
        let queue = try DatabaseQueue(path: copy)
        defer { try? queue.close() }
        let (mode, check) = try queue.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA auto_vacuum"), try String.fetchAll(db, sql: "PRAGMA quick_check(3)"))
        }
        guard mode == 2, check == ["ok"] else {
            throw LabelStoreError.unsupported("the converted copy failed its check (\(check.joined(separator: "; "))); the database was left as it was")
        }
    }
}
