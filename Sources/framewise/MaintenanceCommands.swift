import ArgumentParser
import Foundation
import LabelStore
import Pipeline
import Report

extension RetentionPeriod: ExpressibleByArgument {
    package init?(argument: String) {
        try? self.init(argument)
    }
}

/// `framewise prune --older-than 30d`: deletes the frames older than a period from a database no daemon prunes.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete stored frames older than a period (their labels and thumbnails with them).",
        discussion: """
            A frame's age is from its capture time (cameras) or, for files, the end of its run; frames of a run in \
            progress over a file are kept. Runs and sources left without frames go too, unless a queued or running \
            job needs them. SQLite gives the freed pages back to the file system.
            """)

    @OptionGroup var database: DatabaseLocation

    @Option(help: "Delete frames older than this: 30d, 12h, 10m or 45s.")
    var olderThan: RetentionPeriod

    @Option(help: "Only this source: its URI, its id, or the last part of its path.")
    var source: String?

    @Flag(help: "Count what would be deleted; delete nothing.")
    var dryRun = false

    func run() async throws {
        try await exitingOnError {
            let location = try database.location()
            let sources = try source.map { try sourceIDs(matching: $0, in: location.openReadOnly()) }
            let store = try location.openForWriting()
            defer { try? store.close() }
            let cut = Date().timeIntervalSince1970 - olderThan.seconds
            let summary = try store.prune(PruneRequest(cut: cut, sources: sources), dryRun: dryRun)
            if dryRun {
                print("prune: \(summary.frames) frames older than \(olderThan) would be deleted (dry run)")
            } else {
                print("prune: \(summary.frames) frames, \(summary.runs) runs and \(summary.sources) sources older than "
                      + "\(olderThan) deleted; \(summary.bytesReleased) bytes given back")
            }
        }
    }
}

/// `framewise db backup|stats|vacuum`: looking after the database itself.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Back up the database, see what it holds, or convert an old one to shrink after pruning.",
        subcommands: [BackupCommand.self, StatsCommand.self, VacuumCommand.self])

    /// `framewise db vacuum`: an SQLite file made before step 0008 converted, once, to give pruned pages back.
    struct VacuumCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "vacuum",
            abstract: "Convert an SQLite database made by an older Framewise so that pruning shrinks its file.",
            discussion: """
                Databases made before retention existed keep the pages of deleted frames for new ones (auto_vacuum \
                NONE): the file never shrinks. This rewrites it once with auto_vacuum INCREMENTAL. It says how long \
                it will take and how much free disk it needs (about the database's size, beside it) before it \
                starts, and refuses when that is missing or when another process (the daemon) has the file open.
                """)

        @OptionGroup var database: DatabaseLocation

        func run() async throws {
            try await exitingOnError {
                let location = try database.location()
                let result = try location.convertToIncrementalVacuum { plan in
                    print("vacuum: rewriting \(ByteSize.readable(plan.liveBytes)) of rows, about \(Int(plan.estimatedSeconds.rounded(.up))) s; "
                          + "needs \(ByteSize.readable(plan.neededBytes)) free beside the database, \(ByteSize.readable(plan.freeBytes)) are")
                }
                if let (before, after) = result {
                    print("vacuum: \(location) converted (auto_vacuum INCREMENTAL), \(ByteSize.readable(before)) -> \(ByteSize.readable(after))")
                } else {
                    print("vacuum: \(location) gives pruned pages back already (auto_vacuum INCREMENTAL); nothing to do")
                }
            }
        }
    }

    /// `framewise db backup PATH`: a consistent copy while the daemon writes.
    struct BackupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Copy an SQLite database consistently, while others write it, and check the copy.",
            discussion: "PostgreSQL databases are backed up with pg_dump.")

        @OptionGroup var database: DatabaseLocation

        @Argument(help: "Where the copy goes (must not exist).")
        var path: String

        func run() async throws {
            try await exitingOnError {
                let summary = try database.location().backUp(to: path)
                print("backup: \(path), \(summary.bytes) bytes, \(summary.frames) frames, checked")
            }
        }
    }

    /// `framewise db stats`: rows and bytes per table, per source and per day.
    struct StatsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats", abstract: "Rows and bytes per table, frames per source and per day.")

        @OptionGroup var database: DatabaseLocation

        @Option(help: "Output format: \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        var format: ResultFormat = .table

        func run() async throws {
            try await exitingOnError {
                try database.location().openReadOnly().printStats(into: ResultPrinter.standardOutput(format))
            }
        }
    }
}
