package import Foundation
import GoogLeNet
package import LabelStore
package import VideoDecoding

/// Turns what a user points at into a head's examples, each with its own features (computed here by the
/// model, at its precision), a small JPEG and where it came from:
/// - picture files, seen through the head's view the way a frame is (a region's picture *is* the region, so it
///   is seen whole: `picture:full`; otherwise `picture:VIEW`);
/// - stored frames, whose features come, best first, from the view's stored features (`frame:VIEW`), from
///   decoding the frame again when its source is a file that is still there (`frame:VIEW`), or from its 320-px
///   thumbnail (`thumbnail:VIEW`: a region of it is a small upscaled crop, so it comes last).
/// What cannot be used is said, one line per example, and the rest is kept.
package final class HeadExamples {
    /// The examples made, and one line for each that could not be.
    package struct Collected {
        package var examples: [HeadExampleRecord] = []
        package var refused: [String] = []
    }

    private let model: LoadedModel
    /// Built when a feature must be computed (frames with stored features need none).
    private var engine: GoogLeNetEngine?
    private let encoder = ThumbnailEncoder()

    package init(model: LoadedModel) {
        self.model = model
    }

    /// Examples of picture files, each `(class, path)`, for a head reading the view `viewName`.
    package func pictures(_ files: [(className: String, path: String)], viewName: String) -> Collected {
        var collected = Collected()
        for (className, path) in files {
            do {
                let picture = try self.picture(path, headView: viewName)
                collected.examples.append(example(className, origin: path, frameID: nil, view: "picture:\(picture.seenAs.name)",
                                                  features: picture.features, picture: picture.jpeg))
            } catch {
                collected.refused.append("\(path): \(error)")
            }
        }
        return collected
    }

    /// A picture file's features as a head (or a search) reading the view `headView` sees it: through that view
    /// when it is a built-in one, whole (`full`) when it is a region (the picture is the region).
    package func picture(_ path: String, headView: String) throws -> (features: [Float], jpeg: Data?, seenAs: FrameView) {
        let seenAs = FrameView(builtIn: headView) ?? .full
        let (features, jpeg) = try features(of: try InputLocation(path), window: TimeWindow(start: 0, end: nil), view: seenAs)
        return (features, jpeg, seenAs)
    }

    /// Examples of stored frames, each `(frame id, class)`, seen through the view `viewName`: its stored
    /// features, or when there are none, `view` (the view itself, needed to decode again or read a thumbnail; a
    /// region is known by name only to the runs that stored it).
    package func frames(_ chosen: [(frameID: Int64, className: String)], viewName: String, view: FrameView?,
                        store: LabelStore) throws -> Collected {
        let stored = Dictionary(try store.exampleFrames(chosen.map(\.frameID), view: viewName).map { ($0.frameID, $0) },
                                uniquingKeysWith: { first, _ in first })
        var collected = Collected()
        for (frameID, className) in chosen {
            guard let frame = stored[frameID] else {
                collected.refused.append("frame \(frameID): no such frame is stored (pruned, or a wrong id)")
                continue
            }
            let origin = "frame \(frame.frameIndex) of \(frame.sourceURI) at \(String(format: "%.3f", frame.pts)) s"
            if let features = frame.features {
                collected.examples.append(example(className, origin: origin, frameID: frameID, view: "frame:\(viewName)",
                                                  features: features, picture: frame.thumbnail))
                continue
            }
            guard let view else {
                collected.refused.append("frame \(frameID): no stored features of the view \(viewName), and the region is not "
                                         + "defined here to compute them (--region \(viewName)=x,y,w,h)")
                continue
            }
            var reasons: [String] = []
            if frame.sourceKind == "file", FileManager.default.fileExists(atPath: frame.sourceURI) {
                do {
                    let (features, jpeg) = try features(of: try InputLocation(frame.sourceURI),
                                                        window: TimeWindow(start: max(frame.pts - 0.001, 0), end: nil), view: view)
                    collected.examples.append(example(className, origin: origin, frameID: frameID, view: "frame:\(view.name)",
                                                      features: features, picture: frame.thumbnail ?? jpeg))
                    continue
                } catch {
                    reasons.append("decoding it again failed (\(error))")
                }
            } else {
                reasons.append(frame.sourceKind == "file" ? "its file is gone" : "its source is a stream (it cannot be decoded again)")
            }
            if let thumbnail = frame.thumbnail {
                do {
                    let features = try features(ofJPEG: thumbnail, view: view)
                    collected.examples.append(example(className, origin: origin, frameID: frameID, view: "thumbnail:\(view.name)",
                                                      features: features, picture: thumbnail))
                    continue
                } catch {
                    reasons.append("its thumbnail could not be read (\(error))")
                }
            } else {
                reasons.append("it has no thumbnail")
            }
            collected.refused.append("frame \(frameID): no stored features of the view \(view.name), "
                                     + reasons.joined(separator: ", ") + " (store features with --features, or keep thumbnails)")
        }
        return collected
    }

    private func example(_ className: String, origin: String, frameID: Int64?, view: String, features: [Float],
                         picture: Data?) -> HeadExampleRecord {
        HeadExampleRecord(className: className, origin: origin, frameID: frameID, view: view, modelSHA256: model.sha256,
                          precision: model.numerics.precision.rawValue, features: features, picture: picture)
    }

    /// The first frame at or after the window's start, seen through `view` (its crops' mean features) and as a
    /// small JPEG.
    private func features(of location: InputLocation, window: TimeWindow, view: FrameView) throws -> ([Float], Data?) {
        var options = DecoderOptions()
        options.window = window
        options.views = [view]
        options.thumbnailWidth = ThumbnailScaler.defaultWidth
        let reader = try FrameReader(input: location, options: options, spec: .googLeNet)
        guard let frame = try reader.next() else { throw InputFailure("\(location): no picture at \(window.start) s", isPermanent: true) }
        let jpeg = try frame.thumbnail.map { try encoder.jpeg(of: $0) }
        return (try meanFeatures(frame.views[0].crops), jpeg)
    }

    /// A JPEG's features through `view` (an example's stored picture, a thumbnail).
    package func features(ofJPEG jpeg: Data, view: FrameView) throws -> [Float] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("framewise-example-\(UUID().uuidString).jpg")
        try jpeg.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try meanFeatures(StillImage.views(contentsOf: file.path, spec: .googLeNet, [view])[0].crops)
    }

    /// The crops' pool5 features, averaged (a view of one crop: its own).
    private func meanFeatures(_ crops: [[Float]]) throws -> [Float] {
        if engine == nil {
            engine = try GoogLeNetEngine(weights: PreparedWeights(model.weights, numerics: model.numerics), batchSize: 1, threads: 1)
        }
        return ViewAnswers.features(ofCrops: try engine!.classifyWithFeatures(batch: crops).map(\.features))!
    }
}
