package import Foundation

/// What a finished process left behind.
package struct CommandResult: Sendable {
    package let status: Int32
    package let stdout: String
    package let stderr: String
}

/// A command that exited with a failure status, with the end of what it wrote to standard error.
package struct CommandFailure: Error, CustomStringConvertible {
    package let command: String
    package let result: CommandResult
    package var description: String {
        "\(command) exited with \(result.status):\n\(result.stdout.suffix(1000))\(result.stderr.suffix(2000))"
    }
}

/// A child process started in the background, for tests that signal or kill it.
package final class ChildProcess: @unchecked Sendable {
    package let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private var collected: (Data, Data)?

    package init(_ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    package func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Checks `condition` every `interval` seconds while the process runs, for at most `timeout` seconds: true as
    /// soon as it holds, false when time runs out or the process exits first (e.g. "wait until frames commit").
    package func poll(every interval: TimeInterval, for timeout: TimeInterval, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: interval)
            if condition() { return true }
        }
        return false
    }

    /// Waits for the process to exit (reading its output meanwhile) and returns what it left.
    package func wait() -> CommandResult {
        // Read both pipes concurrently so that neither fills up and blocks the child.
        nonisolated(unsafe) var errorData = Data()
        let errorsRead = DispatchSemaphore(value: 0)
        let errorHandle = errors.fileHandleForReading
        DispatchQueue.global().async {
            errorData = errorHandle.readDataToEndOfFile()
            errorsRead.signal()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                             stderr: String(decoding: errorData, as: UTF8.self))
    }
}

/// Runs a command to completion.
@discardableResult
package func runCommand(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                       environment: [String: String] = [:], mustSucceed: Bool = true) throws -> CommandResult
{
    let result = try ChildProcess(executable, arguments, in: directory, environment: environment).wait()
    if mustSucceed, result.status != 0 {
        throw CommandFailure(command: ([executable.lastPathComponent] + arguments).joined(separator: " "), result: result)
    }
    return result
}

/// The `framewise` executable built beside the test bundle (or `$FRAMEWISE_BINARY`).
package func framewiseExecutable() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["FRAMEWISE_BINARY"] { return URL(fileURLWithPath: path) }
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // The test runner may be inside an .xctest bundle folder.
    while directory.pathExtension == "xctest" || directory.lastPathComponent == "Contents" || directory.lastPathComponent == "MacOS" {
        directory.deleteLastPathComponent()
    }
    let executable = directory.appendingPathComponent("framewise")
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw CommandFailure(command: "framewise", result: CommandResult(
            status: -1, stdout: "", stderr: "no framewise binary at \(executable.path): run `swift build --build-tests` first"))
    }
    return executable
}

/// Runs `framewise ARGUMENTS` to completion.
@discardableResult
package func runFramewise(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                         mustSucceed: Bool = true) throws -> CommandResult
{
    try runCommand(try framewiseExecutable(), arguments, in: directory, environment: environment, mustSucceed: mustSucceed)
}

/// Asks a database through `framewise query --format json`, as a user would: the rows, column → value.
package func queryFramewise(_ database: String, _ sql: String, parameters: [String] = []) throws -> [[String: Any]] {
    let result = try runFramewise(["query", "--db", database, "--format", "json"] + parameters.flatMap { ["--param", $0] } + [sql])
    guard let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else {
        throw CommandFailure(command: "framewise query \(sql)", result: result)
    }
    return rows
}

/// The ffmpeg command-line tool the tests make their clips with.
private let ffmpeg = URL(fileURLWithPath: "/usr/bin/ffmpeg")

/// Makes a media file with the ffmpeg command-line tool: `ffmpeg -y ARGUMENTS PATH`.
package func makeClip(_ path: String, _ arguments: [String]) throws {
    try runCommand(ffmpeg, ["-hide_banner", "-loglevel", "error", "-y"] + arguments + [path])
}

/// The gate clip: `seconds` starting at `offset` s of a region that changes state — the coffee photo (180 px)
/// on a gravel wall (640×360) while (t mod 8) < 4 — under light that follows a 7-s sine (±15% brightness), so no
/// two frames are alike; 10 frames/s, H.264. The region `0.67,0.22,0.28,0.5` holds the cup.
package func makeGateClip(_ path: String, offset: Int, seconds: Int) throws {
    try makeClip(path, [
        "-loop", "1", "-framerate", "10", "-t", String(seconds), "-i", TestData.photo("gravel.png"),
        "-loop", "1", "-framerate", "10", "-t", String(seconds), "-i", TestData.photo("coffee.png"),
        "-filter_complex", "[0]scale=640:360,setsar=1[bg];[1]scale=180:180[cup];"
            + "[bg][cup]overlay=430:80:enable='lt(mod(t+\(offset),8),4)':shortest=1,"
            + "eq=brightness='0.15*sin(2*PI*(t+\(offset))/7)':eval=frame,format=yuv420p",
        "-c:v", "libx264", "-preset", "veryfast", "-g", "40",
    ])
}

/// The coffee-then-moped clip: `secondsEach` seconds of coffee.png, then as many of motorcycle_left.png (both
/// 600×400), H.264 at `framesPerSecond` with a key frame every 2 s. GoogLeNet's top-1: espresso, then moped.
package func makeCoffeeThenMoped(_ path: String, secondsEach: Int = 4, framesPerSecond: Int = 25) throws {
    let seconds = String(secondsEach), rate = String(framesPerSecond), keyInterval = 2 * framesPerSecond
    try makeClip(path, [
        "-loop", "1", "-framerate", rate, "-t", seconds, "-i", TestData.photo("coffee.png"),
        "-loop", "1", "-framerate", rate, "-t", seconds, "-i", TestData.photo("motorcycle_left.png"),
        "-filter_complex", "[0]scale=600:-2,crop=600:400,setsar=1[a];[1]scale=600:-2,crop=600:400,setsar=1[b];[a][b]concat=n=2:v=1",
        "-c:v", "libx264", "-preset", "veryfast", "-x264-params", "keyint=\(keyInterval):min-keyint=\(keyInterval):scenecut=0",
        "-pix_fmt", "yuv420p",
    ])
}

/// An HLS playlist at `path` (1 s segments beside it) of `seconds` of ffmpeg's 320×240 test pattern at 25 fps;
/// `hlsFlags: ["omit_endlist"]` leaves it open like a live stream's.
package func makeHLSClip(_ path: String, seconds: Int, hlsFlags: [String] = []) throws {
    try makeClip(path, [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=\(seconds)", "-c:v", "libx264", "-g", "25",
        "-pix_fmt", "yuv420p", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
    ] + (hlsFlags.isEmpty ? [] : ["-hls_flags", hlsFlags.joined(separator: "+")]))
}

/// Whether the ffmpeg tool was built with the encoder `name` (e.g. `libaom-av1`).
package func ffmpegHasEncoder(_ name: String) -> Bool {
    let help = try? runCommand(ffmpeg, ["-hide_banner", "-h", "encoder=\(name)"])
    return help?.stdout.contains("Encoder \(name) ") == true
}
