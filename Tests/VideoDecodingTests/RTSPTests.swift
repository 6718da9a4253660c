import Foundation
import FramewiseTestSupport
import Pipeline
import Synchronization
import Testing
@testable import VideoDecoding

/// A collector for events delivered on the reader's thread.
final class EventLog: Sendable {
    private let events = Mutex<[DecoderEvent]>([])
    func record(_ event: DecoderEvent) { events.withLock { $0.append(event) } }
    var all: [DecoderEvent] { events.withLock { $0 } }
}

@Suite(.serialized) struct RTSPTests {
    let fastOptions = DecoderOptions(openTimeout: 3, stallTimeout: 2)

    @Test func normalStream() throws {
        let server = try RTSPServer()
        let reader = try FrameReader(input: InputLocation(server.url), options: fastOptions, spec: .googLeNet)
        var frames: [SampledFrame] = []
        while frames.count < 20, let frame = try reader.next() { frames.append(frame) }
        #expect(frames.map(\.frameIndex) == Array(0..<20))
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.pts < $1.pts })
        // A live source may drop or repeat a frame: allow a little slack around 19 × 40 ms.
        #expect(abs(frames[19].pts - frames[0].pts - 19.0 / 25) < 0.2)
        #expect(frames.allSatisfy { $0.capturedAt != nil })
        #expect(abs(frames[19].capturedAt!.timeIntervalSinceNow) < 5)
    }

    /// A live frame's `capturedAt` is when its packet left the demuxer, not when the decoder returned it. With 4
    /// frame threads FFmpeg's H.264 decoder returns frame k only once packet k + 3 is in, so every frame's
    /// packet arrived before the frame two places earlier was returned (the time the decoder returned it would
    /// be after that).
    @Test func capturedAtIsThePacketsArrivalNotTheDecodersOutput() throws {
        let server = try RTSPServer()
        var options = fastOptions
        options.decoderThreads = 4
        let reader = try FrameReader(input: InputLocation(server.url), options: options, spec: .googLeNet)
        var frames: [(capturedAt: Date, returnedAt: Date)] = []
        while frames.count < 40, let frame = try reader.next() {
            frames.append((try #require(frame.capturedAt), Date()))
        }
        #expect(frames.count == 40)
        for k in 2..<frames.count {
            #expect(frames[k].capturedAt <= frames[k - 2].returnedAt, "frame \(k)")
        }
    }

    /// A faster, smaller stream: timestamps follow its own rate (60 fps), not a default.
    @Test func fastStreamKeepsItsFrameRate() throws {
        let server = try RTSPServer(framesPerSecond: 60, width: 160, height: 120)
        let reader = try FrameReader(input: InputLocation(server.url), options: fastOptions, spec: .googLeNet)
        var frames: [SampledFrame] = []
        while frames.count < 60, let frame = try reader.next() { frames.append(frame) }
        #expect(frames.count == 60)
        #expect(abs(frames[59].pts - frames[0].pts - 59.0 / 60) < 0.2)
    }

    @Test func udpTransport() throws {
        let server = try RTSPServer()
        var options = fastOptions
        options.rtspTransport = .udp
        let reader = try FrameReader(input: InputLocation(server.url), options: options, spec: .googLeNet)
        var count = 0
        while count < 10, try reader.next() != nil { count += 1 }
        #expect(count == 10)
    }

    /// The server dies mid-stream and comes back: frames resume, indices and pts keep increasing, and the
    /// outage is reported.
    @Test func serverRestartMidStream() throws {
        let server = try RTSPServer()
        let events = EventLog()
        let reader = try reconnectingReader(server.url, events: events,
                                            ReconnectPolicy(initialDelay: 0.2, maximumDelay: 0.5, maximumAttempts: 20))
        var frames = try firstFrames(10, of: reader)
        server.kill()
        // Back after 1.5 s, while the reader is retrying.
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { try? server.start() }
        // Frames already buffered arrive first; read until 10 frames after the reconnect (or give up).
        while frames.count < 200, reader.counters.reconnects == 0 || frames.last!.frameIndex < 19,
              let frame = try reader.next() {
            frames.append(frame)
        }
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.frameIndex < $1.frameIndex && $0.pts < $1.pts })
        #expect(reader.counters.reconnects == 1)
        let recorded = events.all
        let disconnectedAfter = recorded.compactMap { event -> Int64? in
            if case .disconnected(_, let last, _) = event { last } else { nil }
        }
        #expect(disconnectedAfter.count == 1)
        let reconnected = recorded.compactMap { event -> (Int64, Double, Double)? in
            if case .reconnected(_, let outage, let index, let pts) = event { (index, pts, outage) } else { nil }
        }
        #expect(reconnected.count == 1)
        if let (index, pts, outage) = reconnected.first {
            let last = disconnectedAfter.first ?? -1
            #expect(index == last + 1)
            let before = frames.first { $0.frameIndex == last }, after = frames.first { $0.frameIndex >= index }
            #expect(before != nil && after != nil)
            if let before, let after { #expect(pts >= before.pts + outage && after.pts >= pts) }
        }
    }

    /// A camera whose media stops while it still answers RTSP: every reconnection opens and then stalls, until the
    /// media comes back. It is one outage, from the first stall on: the reconnection that brings frames again
    /// reports all of it, and the pts jump over all of it.
    @Test func reconnectionsThatStallContinueTheOutage() throws {
        let server = try RTSPServer()
        let valve = try RTSPMediaValve(forwardingTo: server.port)
        let events = EventLog()
        let reader = try reconnectingReader(valve.url, events: events,
                                            ReconnectPolicy(initialDelay: 0.1, maximumDelay: 0.2, maximumAttempts: 50))
        var frames = try firstFrames(10, of: reader)
        let shutAt = Date()
        valve.shut()
        DispatchQueue.global().asyncAfter(deadline: .now() + 6) { valve.open() }
        var reconnections: [(outage: Double, index: Int64, pts: Double)] {
            events.all.compactMap { event in
                if case .reconnected(_, let outage, let index, let pts) = event { (outage, index, pts) } else { nil }
            }
        }
        // Frames already on their way arrive first; read until 10 frames after the last reconnection.
        while frames.count < 400, reconnections.last.map({ frames.last!.frameIndex < $0.index + 10 }) ?? true,
              let frame = try reader.next() {
            frames.append(frame)
        }
        let stalledAfter = events.all.compactMap { event -> Int64? in
            if case .disconnected(_, let last, _) = event { last } else { nil }
        }
        // Shut for 6 s, a stall noticed after 1 s: reconnections in between opened and stalled too.
        #expect(stalledAfter.count >= 2 && Set(stalledAfter).count == 1 && reconnections.count == stalledAfter.count)
        let back = try #require(reconnections.last)
        let lastBefore = try #require(frames.first { $0.frameIndex == stalledAfter.first })
        let firstAfter = try #require(frames.first { $0.frameIndex > lastBefore.frameIndex })
        #expect(back.outage > 3 && back.outage < Date().timeIntervalSince(shutAt))
        // (A connection joining mid-GOP counts the frames it cannot decode before its first key frame.)
        #expect(back.index == lastBefore.frameIndex + 1 && firstAfter.frameIndex >= back.index)
        #expect(firstAfter.pts >= lastBefore.pts + back.outage)
    }

    /// A camera whose media stops while RTSP still answers is noticed after the stall timeout, not later.
    @Test func aStalledCameraIsNoticedAfterTheStallTimeout() throws {
        let server = try RTSPServer()
        let valve = try RTSPMediaValve(forwardingTo: server.port)
        var options = fastOptions
        options.stallTimeout = 5
        let reader = try FrameReader(input: InputLocation(valve.url), options: options, spec: .googLeNet)
        _ = try firstFrames(10, of: reader)
        valve.shut()
        let shutAt = Date()
        var lastFrameAt = Date()
        #expect {
            while try reader.next() != nil { lastFrameAt = Date() }
        } throws: { error in
            (error as? DecodingError)?.description.contains("no frame for 5.0 s") == true
        }
        // The last frames come out of RTP's reordering queue only when a read gives up: the stall still began
        // when the media stopped (it was noticed at twice the timeout, the queue's frames restarting the clock).
        #expect(lastFrameAt.timeIntervalSince(shutAt) < 6 && Date().timeIntervalSince(shutAt) < 7)
    }

    /// A reader of `url` that notices a stall after 1 s and reconnects per `policy`, its events into `events`.
    private func reconnectingReader(_ url: String, events: EventLog, _ policy: ReconnectPolicy) throws -> FrameReader {
        var options = fastOptions
        options.stallTimeout = 1
        options.reconnect = policy
        return try FrameReader(input: InputLocation(url), options: options, spec: .googLeNet, onEvent: events.record)
    }

    private func firstFrames(_ count: Int, of reader: FrameReader) throws -> [SampledFrame] {
        var frames: [SampledFrame] = []
        while frames.count < count, let frame = try reader.next() { frames.append(frame) }
        return frames
    }

    /// A server that accepts and never answers: the open fails within its deadline.
    @Test func silentServerTimesOut() throws {
        let listener = try SilentListener()
        let started = Date()
        #expect {
            _ = try FrameReader(input: InputLocation("rtsp://127.0.0.1:\(listener.port)/test"),
                                options: DecoderOptions(openTimeout: 1, stallTimeout: 1), spec: .googLeNet)
        } throws: { ($0 as? DecodingError)?.kind == .timedOut }
        #expect(Date().timeIntervalSince(started) < 4)
    }

    /// A stream that stops delivering frames without closing is declared dead after the stall timeout.
    @Test func stalledStreamIsDetected() throws {
        let server = try RTSPServer()
        let reader = try FrameReader(input: InputLocation(server.url), options: DecoderOptions(openTimeout: 3, stallTimeout: 1), spec: .googLeNet)
        _ = try reader.next()
        server.signal(SIGSTOP)
        defer { server.signal(SIGCONT) }
        let started = Date()
        #expect {
            while try reader.next() != nil {}
        } throws: { ($0 as? DecodingError)?.kind == .timedOut }
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test func refusedConnection() throws {
        #expect {
            _ = try FrameReader(input: InputLocation("rtsp://127.0.0.1:\(try unusedPort())/test"), options: fastOptions, spec: .googLeNet)
        } throws: { ($0 as? DecodingError)?.kind == .connectionRefused }
    }

    @Test func wrongPasswordIsAnAuthenticationFailure() throws {
        let server = try RTSPServer(credentials: (user: "viewer", password: "right-password"))
        let url = "rtsp://viewer:wrong-password@127.0.0.1:\(server.port)/test"
        var caught: DecodingError?
        do { _ = try FrameReader(input: InputLocation(url), options: fastOptions, spec: .googLeNet) } catch { caught = error as? DecodingError }
        #expect(caught?.kind == .authenticationFailed)
        #expect(caught?.description.contains("wrong-password") == false)
        let good = try FrameReader(input: InputLocation("rtsp://viewer:right-password@127.0.0.1:\(server.port)/test"), options: fastOptions, spec: .googLeNet)
        #expect(try good.next() != nil)
    }
}
