import Foundation

/// The database id of a row in `sources`.
public struct SourceID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// The database id of a row in `runs`.
public struct RunID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
}

/// What kind of input a source is (the `sources.kind` column).
public enum SourceKind: String, Sendable, CaseIterable {
    /// `stream`: any other network URL FFmpeg reads (udp://, srt://, rtmp:// ...).
    case file, rtsp, http, stream
}

/// A video input as stored in `sources`. The URI must already have its password redacted.
public struct SourceDescriptor: Hashable, Sendable {
    public let uri: String
    public let kind: SourceKind
    public init(uri: String, kind: SourceKind) {
        self.uri = uri
        self.kind = kind
    }
}

/// One of the model's output classes (a row of `classes`), e.g. 281, "n02123045", "tabby", "tabby, tabby cat".
public struct ClassLabel: Hashable, Sendable {
    public let index: Int
    public let wnid: String
    /// The first, short name.
    public let label: String
    /// All names, comma separated.
    public let names: String
    public init(index: Int, wnid: String, label: String, names: String) {
        self.index = index
        self.wnid = wnid
        self.label = label
        self.names = names
    }
}

/// How a run was configured (recorded in `runs`).
public struct RunSettings: Hashable, Sendable {
    public let source: SourceID
    /// The engine's arithmetic, e.g. "f32".
    public let precision: String
    /// The sampling policy in words, e.g. "every 5th frame" or "2 fps".
    public let sampling: String
    public let modelSHA256: String
    public init(source: SourceID, precision: String, sampling: String, modelSHA256: String) {
        self.source = source
        self.precision = precision
        self.sampling = sampling
        self.modelSHA256 = modelSHA256
    }
}

/// How a run ended (the `runs.status` column).
public enum RunStatus: String, Sendable, CaseIterable {
    case running, completed, interrupted, failed
}

/// A run's frame counters (the `runs.frames_*` columns).
public struct RunCounts: Hashable, Sendable {
    public var decoded: Int
    public var labeled: Int
    public var dropped: Int
    public init(decoded: Int = 0, labeled: Int = 0, dropped: Int = 0) {
        self.decoded = decoded
        self.labeled = labeled
        self.dropped = dropped
    }
}

/// One answer of the model for a frame.
public struct ClassScore: Hashable, Sendable {
    public let classIndex: Int
    public let score: Float
    public init(classIndex: Int, score: Float) {
        self.classIndex = classIndex
        self.score = score
    }
}

/// A labelled frame on its way into `frames` and `labels`.
public struct StoredFrame: Hashable, Sendable {
    /// Index of the frame in the decoded stream (sampling leaves gaps).
    public let frameIndex: Int64
    /// Presentation time in seconds from the start of the stream.
    public let pts: Double
    /// Wall-clock capture time (live sources); nil for files.
    public let capturedAt: Date?
    /// The best answers, best first (1 to 5 of them): rank 1 is `top[0]`.
    public let top: [ClassScore]
    public init(frameIndex: Int64, pts: Double, capturedAt: Date?, top: [ClassScore]) {
        self.frameIndex = frameIndex
        self.pts = pts
        self.capturedAt = capturedAt
        self.top = top
    }
}
