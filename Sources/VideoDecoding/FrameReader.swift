import CFFmpeg
import Foundation
package import Logging

/// Reads one input and hands out its sampled frames, converted for the network, one `next()` at a time.
///
/// Meant to be driven by one dedicated thread (it blocks in FFmpeg); `cancellation` may be used from any
/// other thread to stop it. An input that cannot be opened at all fails in `init`.
///
/// Live inputs (`isLive`: RTSP, and network streams without a known end) are reopened according to
/// `options.reconnect` whenever they fail or end after delivering frames, for as many attempts as the policy
/// allows, with frame indices and pts continuing past the outage and a `DecoderEvent` for it; their frames get
/// a wall-clock `capturedAt`. Inputs with an end (local files, and network files: a known duration or size, a
/// complete HLS playlist) finish at their end; a network file that fails in the middle is reopened (at most
/// `ReconnectPolicy.fileAttempts` attempts, and given up once that many reopenings in a row brought no new frame)
/// and goes on after the last frame it delivered, with the same numbering.
package final class FrameReader {
    package let input: InputLocation
    package let options: DecoderOptions
    /// The input's length in seconds, for files whose container records it (`nil` for live streams).
    package let duration: Double?
    /// Whether the input is a live stream (no known end) rather than a file, local or over the network.
    package let isLive: Bool
    /// Stops a blocked or future `next()` from another thread.
    package let cancellation = ReaderCancellation()
    package private(set) var counters = DecoderCounters()

    private let deadline: InterruptDeadline
    private let converter: FrameConverter
    private let thumbnails: ThumbnailScaler?
    private let onEvent: (@Sendable (DecoderEvent) -> Void)?
    private let logger: Logger
    private var sampler: FrameSampler
    private var session: MediaSession?
    private var timestamps: TimestampRepair
    /// Added to the session's frame positions: 0, or the index after the last frame before a reconnect.
    private var indexOffset: Int64 = 0
    private var lastFrameIndex: Int64 = -1
    /// The pts of frame `lastFrameIndex`, the one place every outage reads it from (a network file's reopenings
    /// re-read its start, and a reopened live stream's timeline starts afresh).
    private var lastFramePts: Double?
    private var lastKeyFrameIndex: Int64?
    private var corruptPacketsOfClosedSessions: Int64 = 0
    /// When the current outage began: at the first disconnection after the last frame delivered (a reopened
    /// input that fails again before its first frame continues the outage, so a live stream's pts gap is all of it).
    private var disconnectedAt = Date()
    private var lastFrameIndexAtDisconnection: Int64?
    /// Reopenings in a row that failed again before delivering a new frame: a network file that always breaks
    /// at the same place is given up.
    private var reopeningsWithoutProgress = 0
    private var isFinished = false

    /// Opens `input` (throws `DecodingError` at once if it cannot be opened) and positions it at the window's start.
    package init(
        input: InputLocation, options: DecoderOptions = DecoderOptions(), spec: InputSpec,
        logger: Logger = Logger(label: "framewise.decoder"), onEvent: (@Sendable (DecoderEvent) -> Void)? = nil
    ) throws(DecodingError) {
        self.input = input
        self.options = options
        self.logger = logger
        self.onEvent = onEvent
        deadline = InterruptDeadline(cancellation: cancellation)
        converter = FrameConverter(spec: spec)
        thumbnails = options.thumbnailWidth.map { ThumbnailScaler(maximumWidth: $0) }
        sampler = FrameSampler(policy: options.sampling, window: options.window)
        let session = try MediaSession(input: input, options: options, deadline: deadline)
        isLive = !session.hasEnd
        duration = isLive ? nil : session.duration
        if options.window.start > 0, !isLive, !session.seek(toSeconds: options.window.start) {
            logger.debug("no per-frame index: decoding from the start up to the window", metadata: ["input": "\(input)"])
        }
        timestamps = TimestampRepair(session: session, offset: 0, previousPts: nil, isResumed: false)
        self.session = session
    }

    /// The next sampled frame, or `nil` when the input (or the window) ends. Throws `DecodingError` when the
    /// input fails and cannot be (or may not be) reconnected, or when cancelled.
    package func next() throws(DecodingError) -> SampledFrame? {
        while !isFinished {
            // Files rarely block, so FFmpeg's interrupt callback may never run: check here too.
            if cancellation.isCancelled {
                finish()
                throw DecodingError(.cancelled, input: input.description, detail: "cancelled")
            }
            guard let session else {
                try reconnect()
                continue
            }
            let decoded: DecodedFrame?
            do {
                decoded = try session.nextFrame(isWanted: wouldSample)
            } catch {
                guard canReconnect(after: error) else { throw error }
                disconnect(reason: error.detail)
                continue
            }
            counters.corruptPackets = corruptPacketsOfClosedSessions + Int64(session.corruptPackets)
            guard let decoded else {
                if canReconnect(after: nil) {
                    disconnect(reason: "the stream ended")
                    continue
                }
                finish()
                return nil
            }
            counters.decodedFrames += 1
            if !isLive, decoded.position <= lastFrameIndex {
                // A network file reopened after a failure: its frames up to the last one delivered again.
                continue
            }
            // When the frame's data arrived, not when it left the decoder: a decoding backlog shows in its age.
            let capturedAt = isLive ? decoded.arrivedAt ?? Date() : nil
            let frameIndex = max(indexOffset + decoded.position, lastFrameIndex + 1)
            lastFrameIndex = frameIndex
            if decoded.frame.pointee.key_frame != 0 { lastKeyFrameIndex = frameIndex }
            let timestamp = decoded.frame.pointee.best_effort_timestamp
            let pts = timestamps.pts(forTimestamp: timestamp == framewise_nopts_value() ? nil : timestamp)
            lastFramePts = pts
            switch sampler.decide(frameIndex: frameIndex, pts: pts) {
            case .skip:
                continue
            case .stop:
                finish()
                return nil
            case .keep:
                let views: [SampledView]
                do {
                    views = try converter.views(of: decoded.frame, options.views)
                } catch {
                    throw DecodingError(.failed, input: input.description, detail: error.description)
                }
                counters.sampledFrames += 1
                // A frame without its thumbnail is still labelled: the picture is an extra.
                let thumbnail = try? thumbnails?.picture(of: decoded.frame)
                return SampledFrame(frameIndex: frameIndex, pts: pts, capturedAt: capturedAt,
                                    keyFrameDistance: lastKeyFrameIndex.map { frameIndex - $0 }, views: views,
                                    thumbnail: thumbnail)
            }
        }
        return nil
    }

    /// Whether the frame of a packet not yet decoded, at `position` in the session with raw `timestamp`, would
    /// be sampled (or end the reading), judged as `next()` will judge it once decoded. A timestamp that would be
    /// repaired counts as wanted: then only decoding tells.
    private func wouldSample(position: Int64, timestamp: Int64) -> Bool {
        guard let pts = timestamps.unrepairedPts(forTimestamp: timestamp) else { return true }
        return sampler.wouldKeep(frameIndex: max(indexOffset + position, lastFrameIndex + 1), pts: pts)
    }

    /// Reconnecting is for network inputs, when a policy allows it, and never after a cancellation or an
    /// authentication failure. A live stream reconnects only once it has delivered frames (one that never
    /// worked fails at once); a file over the network that opened is reopened after a failure even before its
    /// first frame, but never at its end (`error == nil`).
    private func canReconnect(after error: DecodingError?) -> Bool {
        guard input.isNetwork, options.reconnect != nil, !isLive || lastFrameIndex >= 0 else { return false }
        guard let error else { return isLive }
        return error.kind != .cancelled && error.kind != .authenticationFailed && error.kind != .notMedia
    }

    private func finish() {
        isFinished = true
        closeSession()
    }

    private func closeSession() {
        corruptPacketsOfClosedSessions += Int64(session?.corruptPackets ?? 0)
        session = nil
    }

    private func disconnect(reason: String) {
        closeSession()
        if lastFrameIndex != lastFrameIndexAtDisconnection {
            disconnectedAt = Date()
            reopeningsWithoutProgress = 0
        } else {
            reopeningsWithoutProgress += 1
        }
        lastFrameIndexAtDisconnection = lastFrameIndex
        let lastPts = lastFramePts ?? 0
        logger.warning("input disconnected, reconnecting", metadata: [
            "input": "\(input)", "reason": "\(reason)", "lastFrameIndex": "\(lastFrameIndex)",
        ])
        onEvent?(.disconnected(reason: reason, lastFrameIndex: lastFrameIndex, lastPts: lastPts))
    }

    /// Reopens the input with backoff until it works, the policy gives up, authentication fails or the
    /// reader is cancelled. Frame indices and pts of the new connection continue after the outage.
    private func reconnect() throws(DecodingError) {
        guard let policy = options.reconnect else { return }
        let maximumAttempts = isLive ? policy.maximumAttempts : min(policy.maximumAttempts ?? .max, ReconnectPolicy.fileAttempts)
        if !isLive, reopeningsWithoutProgress >= ReconnectPolicy.fileAttempts {
            let place = lastFrameIndex < 0 ? "before its first frame" : "after frame \(lastFrameIndex)"
            throw DecodingError(.reconnectGaveUp, input: input.description,
                detail: "the download broke \(reopeningsWithoutProgress + 1) times in a row \(place)")
        }
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            if let maximumAttempts, attempt > maximumAttempts {
                throw DecodingError(.reconnectGaveUp, input: input.description,
                    detail: "the \(isLive ? "stream" : "download") dropped and \(maximumAttempts) reconnect attempts failed")
            }
            try sleep(seconds: policy.delay(beforeAttempt: attempt, using: &generator))
            do throws(DecodingError) {
                let session = try MediaSession(input: input, options: options, deadline: deadline)
                counters.reconnects += 1
                guard isLive else {
                    // The same file again: the same numbering and timeline; frames already delivered are skipped.
                    if options.window.start > 0 { _ = session.seek(toSeconds: options.window.start) }
                    timestamps = TimestampRepair(session: session, offset: 0, previousPts: nil, isResumed: false)
                    self.session = session
                    logger.notice("input reopened", metadata: ["input": "\(input)", "attempts": "\(attempt)"])
                    onEvent?(.reconnected(attempts: attempt, outageSeconds: Date().timeIntervalSince(disconnectedAt),
                                          resumeFrameIndex: lastFrameIndex + 1,
                                          resumePts: lastFramePts.map { $0 + session.nominalFrameDuration } ?? 0))
                    return
                }
                let outage = Date().timeIntervalSince(disconnectedAt)
                let previousPts = lastFramePts ?? 0
                let resumePts = previousPts + max(outage, session.nominalFrameDuration)
                indexOffset = lastFrameIndex + 1
                timestamps = TimestampRepair(session: session, offset: resumePts, previousPts: previousPts, isResumed: true)
                self.session = session
                logger.notice("input reconnected", metadata: ["input": "\(input)", "attempts": "\(attempt)"])
                onEvent?(.reconnected(attempts: attempt, outageSeconds: outage, resumeFrameIndex: indexOffset, resumePts: resumePts))
                return
            } catch {
                if error.kind == .cancelled || error.kind == .authenticationFailed { throw error }
                let retryIn = policy.delay(beforeAttempt: attempt + 1, using: &generator)
                logger.warning("reconnect failed", metadata: ["input": "\(input)", "attempt": "\(attempt)", "reason": "\(error.detail)"])
                onEvent?(.reconnectFailed(attempt: attempt, reason: error.detail, retryInSeconds: retryIn))
            }
        }
    }

    /// Waits, waking every 50 ms to notice a cancellation.
    private func sleep(seconds: Double) throws(DecodingError) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if cancellation.isCancelled {
                throw DecodingError(.cancelled, input: input.description, detail: "cancelled while waiting to reconnect")
            }
            Thread.sleep(forTimeInterval: min(0.05, max(0, end.timeIntervalSinceNow)))
        }
    }
}

extension TimestampRepair {
    /// A resumed connection's timeline starts at its first frame (which is then at `offset`).
    init(session: MediaSession, offset: Double, previousPts: Double?, isResumed: Bool) {
        self.init(timeBase: av_q2d(session.timeBase), origin: isResumed ? nil : session.startTime,
                  nominalFrameDuration: session.nominalFrameDuration, offset: offset, previousPts: previousPts)
    }
}
