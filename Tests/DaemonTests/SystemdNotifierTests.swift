import Daemon
import Foundation
import FramewiseTestSupport
import Glibc
import Testing

@Suite("sd_notify over NOTIFY_SOCKET")
struct SystemdNotifierTests {
    @Test("a path socket receives READY=1 and STATUS= in one datagram")
    func pathSocket() throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path("notify"))
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        #expect(notifier.isEnabled)

        try notifier.send(.ready, .status("3 inputs running, 1 reconnecting, 74 frames/s"))
        #expect(receiver.receive() == "READY=1\nSTATUS=3 inputs running, 1 reconnecting, 74 frames/s")
    }

    @Test("an abstract socket (leading @) receives each datagram, in order")
    func abstractSocket() throws {
        let name = "framewise-test-\(getpid())-\(UUID().uuidString)"
        let receiver = try DatagramReceiver(abstractName: name)
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(notifier.socket == (try NotifySocketAddress("@" + name)))
        #expect(notifier.socket?.namespace == .abstract)

        try notifier.send(.watchdog)
        try notifier.send(.stopping, .status("stopping: finishing 4 frames in flight"))
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(receiver.receive() == "STOPPING=1\nSTATUS=stopping: finishing 4 frames in flight")
    }

    @Test("RELOADING=1 carries MONOTONIC_USEC= read from CLOCK_MONOTONIC when the reload began")
    func reloading() throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path("notify"))
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])

        let before = monotonicMicroseconds()
        try notifier.send(.reloadingNow())
        let after = monotonicMicroseconds()
        try notifier.send(.ready)

        let lines = try #require(receiver.receive()).split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && lines[0] == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { UInt64($0.replacingOccurrences(of: "MONOTONIC_USEC=", with: "")) })
        #expect(lines[1].hasPrefix("MONOTONIC_USEC=") && before <= stamp && stamp <= after)
        #expect(receiver.receive() == "READY=1")
    }

    @Test("a STATUS= line with newlines is sent as one line")
    func statusOnOneLine() throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path("notify"))
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        try notifier.send(.status("2 inputs running\n1 failed\r\n"))
        #expect(receiver.receive() == "STATUS=2 inputs running 1 failed")
    }

    @Test("without NOTIFY_SOCKET nothing is sent and the watchdog is off")
    func absent() throws {
        let notifier = try SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000"])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        try notifier.send(.ready, .status("idle"))
    }

    @Test("the watchdog interval is half of WATCHDOG_USEC, only for the process WATCHDOG_PID names")
    func watchdogInterval() throws {
        let socket = ["NOTIFY_SOCKET": "/run/systemd/notify"]
        let ours = try SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"]) { $1 })
        #expect(ours.watchdogInterval == .seconds(15))
        let unnamed = try SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "3000"]) { $1 })
        #expect(unnamed.watchdogInterval == .microseconds(1500))
        let another = try SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid() + 1)"]) { $1 })
        #expect(another.watchdogInterval == nil)
        #expect(try SystemdNotifier(environment: socket).watchdogInterval == nil)

        #expect(throws: SystemdNotifierError.invalidVariable("WATCHDOG_USEC", "soon", reason: "not a positive number of microseconds")) {
            try SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "soon"]) { $1 })
        }
        #expect(throws: SystemdNotifierError.invalidVariable("WATCHDOG_USEC", "0", reason: "not a positive number of microseconds")) {
            try SystemdNotifier(environment: socket.merging(["WATCHDOG_USEC": "0"]) { $1 })
        }
    }

    @Test("a NOTIFY_SOCKET that is not a Unix socket address is refused in one line")
    func unsupportedAddress() {
        for value in ["vsock:2:1234", "run/notify", "@", "/" + String(repeating: "x", count: 120)] {
            #expect {
                try SystemdNotifier(environment: ["NOTIFY_SOCKET": value])
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("NOTIFY_SOCKET=\(value): ") && !text.contains("\n")
            }
        }
    }

    @Test("a socket nobody listens on fails the send with the reason")
    func nobodyListens() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("gone")
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        #expect(throws: SystemdNotifierError.sendFailed(try NotifySocketAddress(path), errno: ENOENT)) {
            try notifier.send(.ready)
        }
        let abstract = "@framewise-test-nobody-\(UUID().uuidString)"
        let unheard = try SystemdNotifier(environment: ["NOTIFY_SOCKET": abstract])
        #expect(throws: SystemdNotifierError.sendFailed(try NotifySocketAddress(abstract), errno: ECONNREFUSED)) {
            try unheard.send(.ready)
        }
        #expect("\(SystemdNotifierError.sendFailed(try NotifySocketAddress(path), errno: ENOENT))"
            == "cannot notify systemd over \(path): No such file or directory")
    }

    private func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
