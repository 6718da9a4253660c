package import Foundation

/// Debian's Chromium without a screen (scripts/install-deps installs it), for tests that look at pages as a
/// browser builds them: the DOM it ends with, and screenshots. No network but loopback.
package enum HeadlessChromium {
    /// The browser's executable, when installed.
    package static let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs it (as root it needs --no-sandbox) with its profile in `directory`; `arguments` say what to do
    /// (`--dump-dom URL`, `--screenshot=PNG URL`).
    @discardableResult
    package static func run(_ arguments: [String], profileIn directory: URL) throws -> CommandResult {
        guard let executable else {
            throw CommandFailure(command: "chromium", result: CommandResult(status: -1, stdout: "", stderr: "chromium is not installed"))
        }
        return try runCommand(URL(fileURLWithPath: executable), [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
            "--proxy-server=127.0.0.1:9", "--virtual-time-budget=2000",
        ] + arguments)
    }
}
