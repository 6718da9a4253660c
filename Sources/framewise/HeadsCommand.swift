import ArgumentParser
import FeatureSpace
import Foundation
import LabelStore

/// `framewise heads [show|delete HEAD]`: the heads trained in a database.
struct HeadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "heads",
        abstract: "List the heads (your own classes) with their accuracy and use; show or delete one.",
        subcommands: [ListHeads.self, ShowHead.self, DeleteHead.self],
        defaultSubcommand: ListHeads.self
    )
}

/// `framewise heads [list]`.
struct ListHeads: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the heads.")

    @OptionGroup var database: DatabaseLocation

    func run() async throws {
        try await exitingOnError {
            let heads = try database.withStore { try $0.heads() }
            guard !heads.isEmpty else {
                print("no heads yet: framewise train HEAD --examples DIR (or --frames SQL) makes one")
                return
            }
            for head in heads {
                let classes = head.examplesPerClass.map { "\($0.0) \($0.1)" + ($0.0 == head.noneClass ? " (none of these)" : "") }
                let trained = head.latest.map {
                    "version \($0.version), accuracy " + String(format: "%.1f%%", $0.accuracy * 100)
                        + " (\($0.folds)-fold nested), view \($0.view), \($0.precision)"
                } ?? "not trained"
                print("\(head.name): \(trained); examples: \(classes.joined(separator: ", ")); used by \(head.runs) run\(head.runs == 1 ? "" : "s")")
            }
        }
    }
}

/// `framewise heads show HEAD`.
struct ShowHead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a head: its training report and examples.")

    @OptionGroup var database: DatabaseLocation
    @Argument(help: "The head.") var head: String

    func run() async throws {
        try await exitingOnError {
            let (examples, latest) = try database.withStore { store in
                (try store.examples(of: head), try store.latestVersion(of: head)?.version)
            }
            if let version = latest {
                print("\(head) version \(version.version), trained \(version.trainedAt) on \(version.examples) examples "
                      + "(digest \(version.examplesDigest.prefix(12))…), model \(version.modelSHA256.prefix(12))…, \(version.precision) features, view \(version.view)")
                print(version.report)
            } else {
                print("\(head): not trained yet (framewise train \(head))")
            }
            print("examples (\(examples.count)):")
            for example in examples {
                print("  \(example.id)  \(example.record.className)  \(example.record.view)  \(example.record.origin)")
            }
        }
    }
}

/// `framewise heads delete HEAD`.
struct DeleteHead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a head with its examples, versions and stored answers.")

    @OptionGroup var database: DatabaseLocation
    @Argument(help: "The head.") var head: String

    func run() async throws {
        try await exitingOnError {
            guard try database.withStore({ try $0.deleteHead(head) }) else { throw LabelStoreError.invalidHead("no head named \(head)") }
            print("deleted \(head)")
        }
    }
}

extension DatabaseLocation {
    /// Runs `body` with the database opened for writing (migrated), closing it after.
    func withStore<T>(_ body: (LabelStore) throws -> T) throws -> T {
        let store = try location().openForWriting()
        defer { try? store.close() }
        return try body(store)
    }
}
