import Foundation
import FramewiseTestSupport
import Testing

/// ARCHITECTURE.md's promise, checked: a frame flows decoder → workers → sink, and no source file imports
/// against that flow. Reads every `import` line of `Sources/`.
@Suite struct LayeringTests {
    /// The project's own modules (folders of `Sources/`), each with the project modules it must not import.
    static let forbiddenByModule: [String: Set<String>] = [
        "ContentDigest": ["CFFmpeg", "CDNNL", "GoogLeNet", "VideoDecoding", "LabelStore", "Pipeline"],
        // WordNet reads its files and knows no other part of Framewise.
        "WordNet": ["CFFmpeg", "CDNNL", "GoogLeNet", "VideoDecoding", "LabelStore", "Pipeline", "Report", "Daemon"],
        // Heads and similarity are arithmetic on feature vectors (oneDNN's sgemm): no model, decoder or store.
        "FeatureSpace": ["CFFmpeg", "GoogLeNet", "VideoDecoding", "LabelStore", "Pipeline", "Report", "Daemon", "WordNet"],
        "GoogLeNet": ["CFFmpeg", "VideoDecoding", "LabelStore", "Pipeline", "Report", "Daemon"],
        "VideoDecoding": ["GoogLeNet", "CDNNL", "LabelStore", "Pipeline", "Report", "Daemon"],
        "LabelStore": ["GoogLeNet", "CDNNL", "CFFmpeg", "VideoDecoding", "Pipeline", "Report", "Daemon"],
        "Report": ["GoogLeNet", "CDNNL", "CFFmpeg", "VideoDecoding", "Pipeline", "Daemon"],
        "Pipeline": ["Report", "Daemon", "GRDB", "PostgresNIO"],
        "Daemon": ["GRDB", "PostgresNIO"],
        // The command line talks to databases through LabelStore only.
        "framewise": ["GRDB", "PostgresNIO", "CFFmpeg", "CDNNL"],
    ]

    /// The stages of `Sources/Pipeline`, each with the only project modules it may import: the decode stage the
    /// decoder, the workers the network, the sink the store. What travels between them (`StageContracts.swift`)
    /// and the queue that carries it need none.
    static let allowedByStageFile: [String: Set<String>] = [
        "DecodeStage.swift": ["VideoDecoding"],
        "WorkerPool.swift": ["GoogLeNet"],
        "SinkStage.swift": ["LabelStore"],
        "StageContracts.swift": [],
        "FrameQueue.swift": [],
        "InputCounters.swift": [],
    ]

    /// The only files of `Sources/Pipeline` that may touch the store: the sink, its thumbnail stage and its
    /// timeline (appearances), and the code that opens, runs and records inputs (sessions, the categories they
    /// store, the stages' lifecycle, the runner, the queue's worker, the identity of a source, the counters in the
    /// run's record shape).
    static let storeUsers: Set<String> = [
        "SinkStage.swift", "ThumbnailStage.swift", "InputTimeline.swift", "AppearanceTracker.swift",
        "InputSession.swift", "CategoryCatalog.swift", "HeadCatalog.swift", "HeadExamples.swift", "HeadTraining.swift", "HeadWorkshop.swift", "SimilarFrames.swift", "LabellingStages.swift", "PipelineRunner.swift",
        "QueueWorker.swift", "QueuedInput.swift", "SourceIdentity.swift", "InputProgress.swift",
    ]

    /// `file → imported modules` for every Swift file under `Sources/<module>/`.
    static func imports(ofModule module: String) throws -> [String: Set<String>] {
        let folder = TestData.packageRoot.appendingPathComponent("Sources").appendingPathComponent(module)
        var result: [String: Set<String>] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            result[name] = Set(text.split(separator: "\n").compactMap(importedModule(in:)))
        }
        return result
    }

    /// The module an `import` line names (`import X`, `package import X`, `@testable import X`, `import struct X.Y`).
    static func importedModule(in line: Substring) -> String? {
        let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
        let accessLevels: Set<String> = ["public", "package", "internal", "private", "fileprivate"]
        guard let position = words.firstIndex(of: "import"), words[..<position].allSatisfy({ accessLevels.contains(String($0)) })
        else { return nil }
        let rest = words[words.index(after: position)...]
        let path = rest.count > 1 ? rest.dropFirst().first : rest.first
        return path.map { String($0.split(separator: ".").first ?? $0) }
    }

    /// Every import against the rules above, as `module/file: imports X`.
    static func violations() throws -> [String] {
        let projectModules = Set(try FileManager.default.contentsOfDirectory(
            atPath: TestData.packageRoot.appendingPathComponent("Sources").path))
        var found: [String] = []
        for (module, forbidden) in forbiddenByModule {
            for (file, imported) in try imports(ofModule: module) {
                for name in imported.intersection(forbidden).sorted() { found.append("\(module)/\(file): imports \(name)") }
            }
        }
        for (file, imported) in try imports(ofModule: "Pipeline") {
            if let allowed = allowedByStageFile[file] {
                for name in imported.intersection(projectModules).subtracting(allowed).sorted() {
                    found.append("Pipeline/\(file): a stage imports \(name)")
                }
            }
            if imported.contains("LabelStore"), !storeUsers.contains(file) {
                found.append("Pipeline/\(file): imports LabelStore, but only the sink and the run bookkeeping may")
            }
        }
        return found.sorted()
    }

    @Test("no source file imports against the data flow (decoder → workers → sink; no FFmpeg in the model, no GRDB in the CLI)")
    func sourcesFollowTheDataFlow() throws {
        let found = try Self.violations()
        #expect(found.isEmpty, "imports against the data flow:\n\(found.joined(separator: "\n"))")
    }

    @Test("every stage file named by the rules exists (a renamed stage cannot slip out of the check)")
    func rulesNameRealFiles() throws {
        let pipeline = try Self.imports(ofModule: "Pipeline")
        for file in Set(Self.allowedByStageFile.keys).union(Self.storeUsers) {
            #expect(pipeline[file] != nil, "Sources/Pipeline/\(file) is named by the layering rules but does not exist")
        }
        for module in Self.forbiddenByModule.keys {
            #expect(try !Self.imports(ofModule: module).isEmpty, "Sources/\(module) has no Swift files")
        }
    }

    @Test("import lines are read as Swift reads them")
    func importLines() {
        #expect(Self.importedModule(in: "import VideoDecoding") == "VideoDecoding")
        #expect(Self.importedModule(in: "package import LabelStore") == "LabelStore")
        #expect(Self.importedModule(in: "@testable import Pipeline") == "Pipeline")
        #expect(Self.importedModule(in: "import struct GRDB.DatabasePool") == "GRDB")
        #expect(Self.importedModule(in: "/// import GRDB in a comment") == nil)
        #expect(Self.importedModule(in: "let imported = 1") == nil)
    }
}
