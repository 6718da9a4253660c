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
    /// The views the run looks through, comma separated, the one `labels` holds first (`center`).
    package let views: String
    /// Which frames' feature vectors the run stores: `off`, `thumbnails` or `all`.
    package let features: String
    /// The heads it applies, `view=name@version` joined by commas ('' for none).
    package let heads: String
    package init(source: SourceID, precision: String, sampling: String, modelSHA256: String, decoding: String = "full",
                live: Bool = false, views: String = "center", features: String = "off", heads: String = "") {
        self.source = source
        self.precision = precision
        self.sampling = sampling
        self.modelSHA256 = modelSHA256
        self.decoding = decoding
        self.live = live
        self.views = views
        self.features = features
        self.heads = heads
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
    /// The best answers of the run's first view, best first (1 to 5 of them): rank 1 is `top[0]` (`labels`).
    package let top: [ClassScore]
    /// The best answers of the run's other views (`view_labels`).
    package let otherViews: [ViewTop]
    /// Category and head-class scores of every view, those worth storing (`category_scores`, `head_scores`).
    package let scores: [SubjectScore]
    package init(frameIndex: Int64, pts: Double, capturedAt: Date?, top: [ClassScore], otherViews: [ViewTop] = [],
                scores: [SubjectScore] = []) {
        self.frameIndex = frameIndex
        self.pts = pts
        self.capturedAt = capturedAt
        self.top = top
        self.otherViews = otherViews
        self.scores = scores
    }
}

/// The best answers of one view of a frame, best first (1 to 5).
package struct ViewTop: Hashable, Sendable {
    package let view: String
    package let top: [ClassScore]
    package init(view: String, top: [ClassScore]) {
        self.view = view
        self.top = top
    }
}

/// A score in one view of a frame for something beside the model's own classes: a WordNet category
/// (`category_scores`) or a head's class (`head_scores`).
package struct SubjectScore: Hashable, Sendable {
    /// What `id` numbers, and where such scores are stored.
    package enum Kind: Hashable, Sendable, CaseIterable {
        /// `categories.id`.
        case category
        /// `head_classes.id`.
        case headClass

        var table: String {
            switch self {
            case .category: "category_scores"
            case .headClass: "head_scores"
            }
        }

        var idColumn: String {
            switch self {
            case .category: "category_id"
            case .headClass: "class_id"
            }
        }
    }

    /// Scores below this are not stored: a missing row reads as "below 0.01".
    package static let storedMinimum: Float = 0.01

    package let view: String
    package let kind: Kind
    package let id: Int64
    package let score: Float
    package init(view: String, kind: Kind, id: Int64, score: Float) {
        self.view = view
        self.kind = kind
        self.id = id
        self.score = score
    }
}

/// A WordNet category as stored in `categories`.
package struct CategoryRecord: Hashable, Sendable {
    package let wnid: String
    /// The synset's first word.
    package let name: String
    /// All its words, comma separated.
    package let names: String
    /// How many of the model's classes it covers.
    package let leaves: Int
    package init(wnid: String, name: String, names: String, leaves: Int) {
        self.wnid = wnid
        self.name = name
        self.names = names
        self.leaves = leaves
    }
}

/// An appearance as the sink last knows it (a row of `appearances`, inserted or updated by its key: run, view,
/// vocabulary, class and first frame).
package struct AppearanceRecord: Hashable, Sendable {
    /// Inserts or updates one appearance; the same text for both dialects (PostgreSQL numbers the placeholders).
    static let upsert = """
        INSERT INTO appearances (source_id, run_id, view, vocabulary, class_id, label, start_frame_index,
                                 end_frame_index, start_pts, end_pts, start_captured_at, end_captured_at, peak_score,
                                 mean_score, frames, thumbnail_frame_index, open)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, view, vocabulary, class_id, start_frame_index) DO UPDATE SET
            end_frame_index = excluded.end_frame_index, end_pts = excluded.end_pts,
            end_captured_at = excluded.end_captured_at, peak_score = excluded.peak_score,
            mean_score = excluded.mean_score, frames = excluded.frames,
            thumbnail_frame_index = excluded.thumbnail_frame_index, open = excluded.open
        """

    package let view: String
    /// `imagenet` or `category`.
    package let vocabulary: String
    /// The class index (`imagenet`) or the category's id (`category`).
    package let classID: Int64
    package let label: String
    package let startFrameIndex: Int64
    package var endFrameIndex: Int64
    package let startPts: Double
    package var endPts: Double
    package let startCapturedAt: Date?
    package var endCapturedAt: Date?
    package var peakScore: Float
    package var scoreSum: Double
    package var frames: Int
    package var thumbnailFrameIndex: Int64?
    package var isOpen: Bool

    package init(view: String, vocabulary: String, classID: Int64, label: String, startFrameIndex: Int64, startPts: Double,
                startCapturedAt: Date?) {
        self.view = view
        self.vocabulary = vocabulary
        self.classID = classID
        self.label = label
        self.startFrameIndex = startFrameIndex
        self.endFrameIndex = startFrameIndex
        self.startPts = startPts
        self.endPts = startPts
        self.startCapturedAt = startCapturedAt
        self.endCapturedAt = startCapturedAt
        self.peakScore = 0
        self.scoreSum = 0
        self.frames = 0
        self.isOpen = true
    }

    /// The statement's arguments, for the run and source it belongs to.
    func arguments(source: SourceID, run: RunID) -> [QueryArgument] {
        [.integer(source.rawValue), .integer(run.rawValue), .text(view), .text(vocabulary), .integer(classID), .text(label),
         .integer(startFrameIndex), .integer(endFrameIndex), .real(startPts), .real(endPts),
         startCapturedAt.map { .real($0.timeIntervalSince1970) } ?? .null,
         endCapturedAt.map { .real($0.timeIntervalSince1970) } ?? .null,
         .real(Double(peakScore)), .real(frames > 0 ? scoreSum / Double(frames) : 0), .integer(Int64(frames)),
         thumbnailFrameIndex.map { .integer($0) } ?? .null, .integer(isOpen ? 1 : 0)]
    }
}
