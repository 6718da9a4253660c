import Foundation
import FramewiseTestSupport
import Glibc

/// One `framewise serve` under test: the real binary in a child process, with `$NOTIFY_SOCKET` bound by the
/// test (a `DatagramReceiver`), its log in a file (so a long run never blocks on a full pipe), a configuration
/// and a pipelines directory in a temporary directory, and HTTP reached with curl as a user would.
final class ServeHarness {
    let directory: TemporaryDirectory
    let port: Int
    let token = "test-token-0123456789abcdef"
    let notifications: DatagramReceiver
    private(set) var process: Process?
    private var seen: [String] = []

    var database: String { directory.path("framewise.sqlite") }
    var pipelines: String { directory.path("pipelines") }
    var configurationFile: String { directory.path("framewise.yaml") }
    var logFile: String { directory.path("serve.log") }

    init(extraConfiguration: String = "", databasePath: String? = nil, withToken: Bool = true, listenHost: String = "127.0.0.1") throws {
        directory = try TemporaryDirectory(prefix: "framewise-serve")
        port = try unusedPort()
        notifications = try DatagramReceiver(path: directory.path("notify.socket"), timeout: 1)
        try FileManager.default.createDirectory(atPath: directory.path("pipelines"), withIntermediateDirectories: true)
        try token.write(toFile: directory.path("token"), atomically: true, encoding: .utf8)
        try """
            database: \(databasePath ?? database)
            listen: "\(listenHost):\(port)"
            pipelines: pipelines
            workers: 2
            model: \(TestData.modelDirectory.path)
            \(withToken ? "token_file: token" : "")
            \(extraConfiguration)
            """.write(toFile: configurationFile, atomically: true, encoding: .utf8)
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Writes (or replaces) a pipeline file.
    func writePipeline(_ name: String, _ text: String) throws {
        try text.write(toFile: pipelines + "/" + name, atomically: true, encoding: .utf8)
    }

    func start(watchdogSeconds: Int = 2) throws {
        let process = Process()
        // As systemd does: WATCHDOG_PID names the daemon's own process (the shell execs it, keeping its pid).
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\"", try framewiseExecutable().path,
                             "serve", "--config", configurationFile]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notifications.notifySocket
        environment["WATCHDOG_USEC"] = String(watchdogSeconds * 1_000_000)
        process.environment = environment
        if !FileManager.default.fileExists(atPath: logFile) { _ = FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    func signal(_ number: Int32) {
        if let process { kill(process.processIdentifier, number) }
    }

    /// The exit status, waiting at most `timeout` seconds (nil: still running).
    func exitStatus(within timeout: TimeInterval) -> Int32? {
        guard let process else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Every datagram received so far, in order (reads what is waiting, without waiting for more).
    var datagrams: [String] {
        while let datagram = notifications.receive(waiting: false) { seen.append(datagram) }
        return seen
    }

    /// Waits until a datagram (after the first `after` ones) contains `assignment`; returns its position.
    func waitForDatagram(containing assignment: String, after: Int = 0, timeout: TimeInterval) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let index = seen.indices.dropFirst(after).first(where: { seen[$0].split(separator: "\n").contains { $0 == assignment } }) {
                return index
            }
            guard let datagram = notifications.receive() else {
                if process?.isRunning == false { break }
                continue
            }
            seen.append(datagram)
        }
        return nil
    }

    /// `GET path` with curl: the status and the body. `authorized: false` leaves the token out.
    func get(_ path: String, authorized: Bool = true) throws -> (status: Int, body: String) {
        let response = try request(path, headers: authorized ? ["Authorization: Bearer \(token)"] : [])
        return (response.status, response.body)
    }

    /// One request with curl to 127.0.0.1 (`headers` may name another `Host`); `form` fields are posted as a
    /// browser's form (`application/x-www-form-urlencoded`).
    func request(_ path: String, method: String = "GET", headers: [String] = [], form: [(String, String)] = []) throws -> HTTPReply {
        var arguments = ["-s", "-m", "10", "-i", "-w", "\n%{http_code}"]
        if method != "GET" { arguments += ["-X", method] }
        for header in headers { arguments += ["-H", header] }
        for (name, value) in form { arguments += ["--data-urlencode", "\(name)=\(value)"] }
        let result = try runCommand(URL(fileURLWithPath: "/usr/bin/curl"), arguments + ["http://127.0.0.1:\(port)\(path)"], mustSucceed: false)
        return HTTPReply(curlOutput: result.stdout)
    }

    /// `/api/streams` as (pipeline, input) → object.
    func streams() throws -> [String: [String: Any]] {
        let (status, body) = try get("/api/streams")
        guard status == 200, let list = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] else { return [:] }
        var byInput: [String: [String: Any]] = [:]
        for stream in list { byInput["\(stream["pipeline"]!) \(stream["input"]!)"] = stream }
        return byInput
    }

    /// Checks `condition` every half second for at most `timeout` seconds while the daemon runs.
    func eventually(_ timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, process?.isRunning != false {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return false
    }
}

/// What curl saw of one response (`-i` and the status code after it).
struct HTTPReply {
    let status: Int
    /// Each header line as sent, e.g. `Set-Cookie: …`.
    let headerLines: [String]
    let body: String

    init(curlOutput: String) {
        var lines = curlOutput.split(separator: "\n", omittingEmptySubsequences: false)
        status = Int(lines.popLast() ?? "") ?? 0
        let text = lines.joined(separator: "\n")
        let end = text.range(of: "\r\n\r\n")
        headerLines = text[..<(end?.lowerBound ?? text.endIndex)].components(separatedBy: "\r\n").dropFirst().map { $0 }
        body = end.map { String(text[$0.upperBound...]) } ?? ""
    }

    /// The value of the first header called `name` (any case).
    func header(_ name: String) -> String? {
        headerLines.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }
}

extension [String: Any] {
    func counter(_ name: String) -> Int { (self["counters"] as? [String: Any])?[name] as? Int ?? -1 }
    var state: String { self["state"] as? String ?? "" }
}
