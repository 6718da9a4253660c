package import Foundation

/// Debian's Chromium without a screen (scripts/install-deps installs it), for tests that look at pages as a
/// browser builds them: the DOM it ends with, and screenshots; or driven step by step through its DevTools
/// protocol by a Python script of `Fixtures` (`drive`). No network but loopback.
package enum HeadlessChromium {
    /// The browser's executable, when installed.
    package static let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs `Fixtures/SCRIPT` with Debian's python3: it starts the browser itself, without a screen, with its
    /// profile in `directory`, and talks to it over `--remote-debugging-pipe` (the DevTools protocol, no
    /// websocket needed); its arguments are the browser's executable, the profile directory, then `arguments`.
    package static func drive(_ script: String, _ arguments: [String], profileIn directory: URL) throws -> CommandResult {
        let executable = try installed()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(script)")
        return try runCommand(URL(fileURLWithPath: "/usr/bin/python3"),
                              [fixture.path, executable, directory.appendingPathComponent("profile").path] + arguments)
    }

    /// Runs it (as root it needs --no-sandbox) with its profile in `directory`; `arguments` say what to do
    /// (`--dump-dom URL`, `--screenshot=PNG URL`).
    @discardableResult
    package static func run(_ arguments: [String], profileIn directory: URL) throws -> CommandResult {
        let executable = try installed()
        return try runCommand(URL(fileURLWithPath: executable), [
            "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
            "--proxy-server=127.0.0.1:9", "--virtual-time-budget=2000",
        ] + arguments)
    }

    /// The executable, or why there is none.
    private static func installed() throws -> String {
        guard let executable else {
            throw CommandFailure(command: "chromium", result: CommandResult(status: -1, stdout: "", stderr: "chromium is not installed"))
        }
        return executable
    }
}
