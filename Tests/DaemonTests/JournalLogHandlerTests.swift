import Daemon
import Foundation
import FramewiseTestSupport
import Glibc
import Logging
import Testing
// `stat`'s fields (st_dev, st_ino) come from the toolchain's C module that first declared them.
import CDispatch

@Suite("Journal log lines")
struct JournalLogHandlerTests {
    @Test("one line per event with its syslog priority prefix and no timestamp")
    func priorities() throws {
        let pipe = try CapturedOutput()
        var logger = Logger(label: "framewise.serve") { JournalLogHandler(label: $0, fileDescriptor: pipe.writeEnd) }
        logger.logLevel = .trace
        logger.critical("database gone")
        logger.error("cannot open input")
        logger.warning("input disconnected, reconnecting")
        logger.notice("input reconnected")
        logger.info("3 inputs running")
        logger.debug("batch committed")
        logger.trace("frame queued")
        #expect(pipe.readLines() == [
            "<2>framewise.serve: database gone",
            "<3>framewise.serve: cannot open input",
            "<4>framewise.serve: input disconnected, reconnecting",
            "<5>framewise.serve: input reconnected",
            "<6>framewise.serve: 3 inputs running",
            "<7>framewise.serve: batch committed",
            "<7>framewise.serve: frame queued",
        ])
    }

    @Test("metadata follows the message as sorted key=value, the event's own values winning")
    func metadata() throws {
        let pipe = try CapturedOutput()
        var logger = Logger(label: "framewise.decoder") { JournalLogHandler(label: $0, fileDescriptor: pipe.writeEnd) }
        logger[metadataKey: "pipeline"] = "lobby"
        logger[metadataKey: "attempt"] = "0"
        logger.warning("reconnect failed", metadata: [
            "input": "rtsp://***@127.0.0.1:8554/test", "attempt": "3", "reason": "Connection refused",
            "empty": "",
        ])
        logger.info("stopped")
        #expect(pipe.readLines() == [
            "<4>framewise.decoder: reconnect failed attempt=3 empty=\"\" input=rtsp://***@127.0.0.1:8554/test "
                + "pipeline=lobby reason=\"Connection refused\"",
            "<6>framewise.decoder: stopped attempt=0 pipeline=lobby",
        ])
    }

    @Test("newlines inside a message or a value stay on the event's one line")
    func oneLinePerEvent() throws {
        let pipe = try CapturedOutput()
        let logger = Logger(label: "framewise") { JournalLogHandler(label: $0, fileDescriptor: pipe.writeEnd) }
        logger.error("pipelines.d/lobby.yaml:3: source: unknown key\nsecond line", metadata: ["detail": "a\nb \"c\""])
        #expect(pipe.readLines() == [
            #"<3>framewise: pipelines.d/lobby.yaml:3: source: unknown key\nsecond line detail="a\nb \"c\"""#,
        ])
    }

    @Test("events below the logger's level are not written")
    func level() throws {
        let pipe = try CapturedOutput()
        var logger = Logger(label: "framewise") { JournalLogHandler(label: $0, fileDescriptor: pipe.writeEnd) }
        logger.logLevel = .notice
        logger.info("not shown")
        logger.notice("shown")
        #expect(pipe.readLines() == ["<5>framewise: shown"])
    }

    @Test("JOURNAL_STREAM counts only when it names the descriptor's own device and inode")
    func journalStreamDetection() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("stream")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var status = stat()
        try #require(stat(path, &status) == 0)

        let own = "\(status.st_dev):\(status.st_ino)"
        #expect(JournalStream.isConnected(environment: ["JOURNAL_STREAM": own], fileDescriptor: descriptor))
        #expect(!JournalStream.isConnected(environment: ["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino + 1)"],
                                           fileDescriptor: descriptor))
        #expect(!JournalStream.isConnected(environment: [:], fileDescriptor: descriptor))
        #expect(!JournalStream.isConnected(environment: ["JOURNAL_STREAM": "journal"], fileDescriptor: descriptor))
        #expect(JournalStream.makeLogHandler(label: "x", environment: [:]) is StreamLogHandler)
    }
}

/// A stream the handler writes into (a socket pair, close-on-exec from birth, so no child process started by a
/// test running beside this one holds it open); `readLines()` closes the writing end and reads everything written.
private final class CapturedOutput {
    let writeEnd: Int32
    private let readEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw ReceiverError("socketpair", errno)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit { close(readEnd) }

    func readLines() -> [String] {
        close(writeEnd)
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            data += buffer[..<count]
        }
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasSuffix("\n"), "every event ends its line")
        return text.split(separator: "\n").map(String.init)
    }
}
