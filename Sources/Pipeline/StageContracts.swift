import Foundation

// What travels between the stages. Each stage is typed by what it takes and what it emits:
//   decode stage  --FrameToLabel-->  worker pool  --FrameAnswers-->  sink
// A frame carries its input's tag and its own data, nothing that belongs to another stage: the sink's
// writer, the decoder and the run's record stay with the input's `InputSession`; the pictures for
// thumbnails go from the decoder to the thumbnail stage through the input's `FramePictures`, past the workers.

/// Which input a frame in flight belongs to, and the counters every stage of that input adds to.
final class InputTag: Sendable, Hashable {
    /// Unique among the inputs of one `LabellingStages`.
    let id: Int
    let counters: InputCounters
    /// What the workers compute for this input's frames beside ImageNet's top 5.
    let scoring: InputScoring
    /// Frames of this input taken by the decode stage and not yet taken by the sink (or dropped): entered by the
    /// decode stage, left by the sink (or whoever drops the frame).
    let framesInFlight = FramesInFlight()

    init(id: Int, counters: InputCounters, scoring: InputScoring) {
        self.id = id
        self.counters = counters
        self.scoring = scoring
    }

    static func == (lhs: InputTag, rhs: InputTag) -> Bool { lhs.id == rhs.id }
    func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

/// One view of a frame as the network takes it: its crops, each converted to the network's input tensor.
struct ViewTensor: Sendable {
    /// What part of the frame the network sees (`center`, `full`, `tiles`, or a region's name).
    let view: String
    /// One tensor per crop; the workers combine a view's crops per class (the highest probability).
    let crops: [[Float]]
}

/// What the workers compute for an input's frames beside ImageNet's top 5: its categories, its heads (each on
/// one view), and whether each view's feature vector travels on to the sink (to be stored).
struct InputScoring: Sendable {
    static let labelsOnly = InputScoring(categories: .none, heads: [], keepsFeatures: false)

    let categories: CategoryScoring
    let heads: [HeadScoring]
    let keepsFeatures: Bool

    /// Whether the workers must read pool5: for the heads, or to hand the features on.
    var needsFeatures: Bool { keepsFeatures || !heads.isEmpty }
}

/// The categories (WordNet nouns above the model's classes) scored in an input's frames: each a stored id
/// and the model's classes under it. A category's score in a crop is the sum of its leaves' probabilities
/// from the full softmax; in a view of several crops, the highest of those sums.
final class CategoryScoring: Sendable {
    /// One category: its id in the store's `categories` table and its leaves' class indices.
    struct Entry: Sendable {
        let id: Int
        let leaves: [Int]
    }

    static let none = CategoryScoring([])

    let entries: [Entry]

    init(_ entries: [Entry]) {
        self.entries = entries
    }

    /// Each category's score in a view whose crops gave `probabilities` (one softmax per crop), best first.
    func scores(of probabilities: ArraySlice<[Float]>) -> [ScoredClass] {
        entries.map { entry in
            var best: Float = 0
            for crop in probabilities {
                var sum: Float = 0
                for leaf in entry.leaves { sum += crop[leaf] }
                best = max(best, sum)
            }
            return ScoredClass(classIndex: entry.id, score: best)
        }
        .sorted { $0.score > $1.score }
    }
}

/// Where a sampled frame stands in its input: the same on its way to the workers and back.
struct FramePosition: Sendable {
    let input: InputTag
    /// The decoder's index (a live session's index base is the sink's business).
    let frameIndex: Int64
    let pts: Double
    let capturedAt: Date?
}

/// What the decode stage hands the workers: a sampled frame's position and its views.
struct FrameToLabel: Sendable {
    let position: FramePosition
    /// One tensor per view; a worker classifies the views of a frame together.
    let views: [ViewTensor]
}

/// A class with its score, in one vocabulary's numbering.
struct ScoredClass: Sendable, Equatable {
    let classIndex: Int
    let score: Float
}

/// The best classes of one view in one vocabulary.
struct VocabularyAnswers: Sendable {
    /// The model's own 1000 ImageNet leaves.
    static let imageNet = "imagenet"
    /// WordNet categories above them (`CategoryScoring`): every scored category, not only the best.
    static let category = "category"
    /// The classes of the heads applied to the view (`HeadScoring`), numbered by their stored ids: all of them.
    static let head = "head"

    let vocabulary: String
    /// Best first.
    let top: [ScoredClass]
}

/// What the network said about one view of a frame: answers per vocabulary, and the view's feature vector
/// (GoogLeNet's pool5; the mean over a view's crops) when its input keeps them.
struct ViewAnswers: Sendable {
    let view: String
    let vocabularies: [VocabularyAnswers]
    let features: [Float]?

    /// A view's feature vector from its crops' (one vector per crop): their mean; nil for no crop.
    static func features(ofCrops crops: some Collection<[Float]>) -> [Float]? {
        guard var mean = crops.first else { return nil }
        for crop in crops.dropFirst() { for index in mean.indices { mean[index] += crop[index] } }
        if crops.count > 1 { for index in mean.indices { mean[index] /= Float(crops.count) } }
        return mean
    }

    /// The answers in `vocabulary`, if this view has them.
    func answers(in vocabulary: String) -> [ScoredClass]? {
        vocabularies.first { $0.vocabulary == vocabulary }?.top
    }
}

/// What the workers hand the sink: a frame's position, and the answers for each of its views, in the run's
/// order of views (the first is the one `labels` holds).
struct FrameAnswers: Sendable {
    let position: FramePosition
    let views: [ViewAnswers]
}
