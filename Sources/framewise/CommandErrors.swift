import ArgumentParser
import Foundation
import LabelStore

/// Runs a command's body; any error becomes one `error: …` line on standard error and exit status 1
/// (usage mistakes are left to ArgumentParser, which also prints the usage).
func exitingOnError(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch let usage as ValidationError {
        throw usage
    } catch {
        let message = LabelStoreError.message(for: error)
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        throw ExitCode.failure
    }
}
