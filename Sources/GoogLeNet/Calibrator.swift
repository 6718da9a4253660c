import Foundation

/// Makes a `Calibration` from real frames: runs them through fp32, measures every layer's output range two ways —
/// the largest value seen (`max`) and the 99.99th percentile of all values (`percentile-99.99`, which clips rare
/// outliers and so spends the 256 levels on the values that occur) — then runs the frames through int8 with each
/// and keeps the one whose top-1 agrees more often with fp32's.
package struct Calibrator {
    package static let percentile = 0.9999
    static let histogramBins = 4096

    package let weights: ModelWeights
    package let threads: Int

    package init(weights: ModelWeights, threads: Int = 1) {
        self.weights = weights
        self.threads = threads
    }

    /// `images` are network inputs (`GoogLeNetArchitecture.input.elementCount` floats each); `inputs` names where
    /// they came from, for the record.
    package func calibrate(_ images: [[Float]], modelSHA256: String, inputs: [String]) throws -> Calibration {
        guard !images.isEmpty else { throw CalibrationError(message: "no frames to calibrate with") }
        let reference = try GoogLeNetEngine(weights: PreparedWeights(weights), threads: threads)
        let names = Set(reference.layerNames)

        var maxima: [String: Float] = [:]
        var fp32Top1: [Int] = []
        for image in images {
            let outputs = try reference.activations(image, of: names)
            for (name, values) in outputs {
                let largest = values.withUnsafeBufferPointer { buffer in buffer.reduce(Float(0)) { Swift.max($0, $1) } }
                maxima[name] = max(maxima[name] ?? 0, largest)
            }
            fp32Top1.append(Self.top1(outputs["prob"] ?? []))
        }

        var histograms = maxima.mapValues { _ in [Int](repeating: 0, count: Self.histogramBins) }
        for image in images {
            for (name, values) in try reference.activations(image, of: names) {
                let top = maxima[name] ?? 0
                guard top > 0 else { continue }
                let perBin = Float(Self.histogramBins) / top
                let last = Self.histogramBins - 1
                histograms[name]!.withUnsafeMutableBufferPointer { bins in
                    values.withUnsafeBufferPointer { buffer in
                        for value in buffer { bins[min(Int(max(value, 0) * perBin), last)] += 1 }
                    }
                }
            }
        }
        let percentiles = histograms.mapValues { Self.percentileValue(Self.percentile, of: $0) }
            .merging(maxima) { fromHistogram, top in fromHistogram * top }

        let candidates = ["max": maxima, "percentile-99.99": percentiles]
        var agreement: [String: Double] = [:]
        for (method, ranges) in candidates {
            let trial = Calibration(modelSHA256: modelSHA256, inputs: inputs, frames: images.count, method: method,
                                    agreement: [:], ranges: ranges)
            let engine = try GoogLeNetEngine(weights: PreparedWeights(weights, numerics: .int8(trial)), threads: threads)
            let agreeing = try zip(images, fp32Top1).filter { image, expected in
                Self.top1(try engine.classify(image)) == expected
            }.count
            agreement[method] = Double(agreeing) / Double(images.count)
        }
        let best = agreement.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
        return Calibration(modelSHA256: modelSHA256, inputs: inputs, frames: images.count, method: best,
                           agreement: agreement, ranges: candidates[best]!)
    }

    /// The fraction of the histogram's range below which `fraction` of its values lie.
    static func percentileValue(_ fraction: Double, of bins: [Int]) -> Float {
        let total = bins.reduce(0, +)
        guard total > 0 else { return 1 }
        let wanted = Int((Double(total) * fraction).rounded(.up))
        var seen = 0
        for (index, count) in bins.enumerated() {
            seen += count
            if seen >= wanted { return Float(index + 1) / Float(bins.count) }
        }
        return 1
    }

    static func top1(_ probabilities: [Float]) -> Int {
        probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? -1
    }
}
