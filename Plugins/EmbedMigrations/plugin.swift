import Foundation
import PackagePlugin

/// Build-tool plugin: turns the package's migrations — SQLite's `migrations/NNNN_name.sql` and PostgreSQL's
/// `migrations/postgresql/NNNN_name.sql` — into a Swift source of the target (`EmbeddedMigrations.swift`), so
/// the schema travels inside the binary and works from any directory.
@main
struct EmbedMigrations: BuildToolPlugin {
    /// Each SQL dialect and the folder (under the package) holding its migrations.
    static let dialects = [("sqlite", "migrations"), ("postgresql", "migrations/postgresql")]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        var arguments: [String] = []
        var inputs: [URL] = []
        for (dialect, folder) in Self.dialects {
            let directory = context.package.directoryURL.appending(path: folder)
            let sqlFiles = try FileManager.default
                .contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "sql" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            arguments += ["--dialect", dialect] + sqlFiles.map { $0.path() }
            inputs += sqlFiles
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) schema migrations",
                executable: try context.tool(named: "MigrationEmbedder").url,
                arguments: [output.path()] + arguments,
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
