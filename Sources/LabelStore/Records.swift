package import Foundation

/// The database id of a row in `sources`.
package struct SourceID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int64
    package init(rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
}

/// The database id of a row in `runs`.
package struct RunID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int64
    package init(rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
}

/// The database id of a row in `jobs`.
package struct JobID: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int64
    package init(rawValue: Int64) { self.rawValue = rawValue }
    package var description: String { String(rawValue) }
}

/// What kind of input a source is (the `sources.kind` column).
package enum SourceKind: String, Sendable, CaseIterable {
    /// `stream`: any other network URL FFmpeg reads (udp://, srt://, rtmp:// ...).
    case file, rtsp, http, stream
}

/// A video input as stored in `sources`. The URI must already have its secrets redacted.
package struct SourceDescriptor: Hashable, Sendable {
    /// A file's canonical path, or a network input's redacted URL.
    package let uri: String
    package let kind: SourceKind
    /// What a file holds (see `migrations/0003_*.sql`); `nil` for network inputs. Different content at the
    /// same `uri` is a different source.
    package let fingerprint: String?
    package init(uri: String, kind: SourceKind, fingerprint: String? = nil) {
        self.uri = uri
        self.kind = kind
        self.fingerprint = fingerprint
    }
}

/// The outcome of `LabelStore.register(source:)`.
package struct SourceRegistration: Hashable, Sendable {
    package let id: SourceID
    /// For new content at a path already known: the source that held the previous content (its frames stay).
    package let supersedes: SourceID?
}

/// One of the model's output classes (a row of `classes`), e.g. 281, "n02123045", "tabby", "tabby, tabby cat".
package struct ClassLabel: Hashable, Sendable {
    package let index: Int
    package let wnid: String
    /// The first, short name.
    package let label: String
    /// All names, comma separated.
    package let names: String
    package init(index: Int, wnid: String, label: String, names: String) {
        self.index = index
        self.wnid = wnid
        self.label = label
        self.names = names
    }
}

/// How a run was configured (recorded in `runs`).
package struct RunSettings: Hashable, Sendable {
    package let source: SourceID
    /// The engine's arithmetic, e.g. "fp32".
    package let precision: String
    /// The sampling policy in words, e.g. "every 5" or "fps 2".
    package let sampling: String
    package let modelSHA256: String
    /// How the frames were decoded: `full`, or the shortcuts taken (`skip-loop-filter`, `skip-nonref`, joined by `+`).
    package let decoding: String
    /// A live session (its frames continue the source's numbering) rather than a run over a file.
    package let live: Bool
    package init(source: SourceID, precision: String, sampling: String, modelSHA256: String, decoding: String = "full",
                live: Bool = false) {
        self.source = source
        self.precision = precision
        self.sampling = sampling
        self.modelSHA256 = modelSHA256
        self.decoding = decoding
        self.live = live
    }
}

/// How a run ended (the `runs.status` column).
package enum RunStatus: String, Sendable, CaseIterable {
    case running, completed, interrupted, failed
}

/// The counters of an input's run — the one shape the run summary, the `runs` row (its `frames_*` columns:
/// decoded, sampled, labeled, dropped, skipped), `/api/streams` and `/metrics` all read. At the end of a run
/// `sampled == labeled + dropped + skipped`.
package struct RunCounts: Hashable, Sendable, Encodable {
    /// Frames FFmpeg decoded, sampled or not.
    package var decoded: Int
    /// Frames the sampler kept.
    package var sampled: Int
    /// Frames stored (rows inserted).
    package var labeled: Int
    /// Sampled frames lost on purpose: a live input's full queue, a stop at once, a frame that could not be stored.
    package var dropped: Int
    /// The part of `dropped` the database refused (a failed commit: disk full, read-only, locked).
    package var droppedByStore: Int
    /// Sampled frames already stored by an earlier run (resume), skipped by the decoder or found at commit.
    package var skipped: Int
    /// Thumbnails chosen but not stored (pushed out under load, or not encodable); their frames are stored.
    package var thumbnailsDropped: Int
    /// Reconnects of the input, and damaged packets skipped.
    package var reconnects: Int
    package var corruptPackets: Int

    package init(decoded: Int = 0, sampled: Int = 0, labeled: Int = 0, dropped: Int = 0, droppedByStore: Int = 0,
                skipped: Int = 0, thumbnailsDropped: Int = 0, reconnects: Int = 0, corruptPackets: Int = 0)
    {
        self.decoded = decoded
        self.sampled = sampled
        self.labeled = labeled
        self.dropped = dropped
        self.droppedByStore = droppedByStore
        self.skipped = skipped
        self.thumbnailsDropped = thumbnailsDropped
        self.reconnects = reconnects
        self.corruptPackets = corruptPackets
    }

    /// Sampled frames not yet accounted for as labelled, dropped or skipped: in the queues or being stored.
    package var inFlight: Int { sampled - labeled - dropped - skipped }

    /// Adds another run's counters (a service's sessions, summed).
    package mutating func add(_ other: RunCounts) {
        decoded += other.decoded
        sampled += other.sampled
        labeled += other.labeled
        dropped += other.dropped
        droppedByStore += other.droppedByStore
        skipped += other.skipped
        thumbnailsDropped += other.thumbnailsDropped
        reconnects += other.reconnects
        corruptPackets += other.corruptPackets
    }
}

/// One answer of the model for a frame.
package struct ClassScore: Hashable, Sendable {
    package let classIndex: Int
    package let score: Float
    package init(classIndex: Int, score: Float) {
        self.classIndex = classIndex
        self.score = score
    }
}

/// A labelled frame on its way into `frames` and `labels`.
package struct StoredFrame: Hashable, Sendable {
    /// Index of the frame in the decoded stream (sampling leaves gaps).
    package let frameIndex: Int64
    /// Presentation time in seconds from the start of the stream.
    package let pts: Double
    /// Wall-clock capture time (live sources); nil for files.
    package let capturedAt: Date?
    /// The best answers, best first (1 to 5 of them): rank 1 is `top[0]`.
    package let top: [ClassScore]
    package init(frameIndex: Int64, pts: Double, capturedAt: Date?, top: [ClassScore]) {
        self.frameIndex = frameIndex
        self.pts = pts
        self.capturedAt = capturedAt
        self.top = top
    }
}
