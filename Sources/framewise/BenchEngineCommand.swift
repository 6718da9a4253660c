import ArgumentParser
import Foundation
import GoogLeNet
import Synchronization

/// `framewise bench [engine]`: engine-only throughput. N workers, each a thread with its own `GoogLeNetEngine`
/// (one OpenMP thread each) over the same shared weights, classify synthetic batches for a fixed time.
struct BenchEngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Measure GoogLeNet inference alone: frames per second with N concurrent engines."
    )

    @OptionGroup var model: ModelOption
    @OptionGroup var precision: PrecisionOption

    @Option(help: "Images per engine call.")
    var batch = 1

    @Option(help: "Concurrent engines, one thread each.")
    var workers = 2

    @Option(help: "How long to measure, after one warm-up call per worker.")
    var seconds = 10.0

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also report time per layer type (adds a synchronisation after every primitive).")
    var profile = false

    @Flag(help: "Also read each frame's pool5 features (classifyWithFeatures), to measure what they cost.")
    var features = false

    func validate() throws {
        guard batch >= 1, workers >= 1 else { throw ValidationError("--batch and --workers must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard !(profile && features) else { throw ValidationError("--profile and --features cannot be combined") }
    }

    func run() async throws {
        try await exitingOnError { try measure() }
    }

    private func measure() throws {
        let weights = try precision.prepare(model.load())
        let measurement = try EngineBenchmark(weights: weights, batchSize: batch, workers: workers,
                                              seconds: seconds, profiling: profile, features: features).run()
        let peakResidentMB = Double(ProcessMemory.peakResidentKilobytes ?? 0) / 1024
        let framesPerSecond = Double(measurement.frames) / measurement.seconds
        if json {
            var fields: [String: Any] = [
                "frames_per_second": framesPerSecond, "workers": workers, "batch": batch, "precision": precision.precision.rawValue,
                "frames": measurement.frames, "seconds": measurement.seconds, "threads_per_worker": 1,
                "peak_resident_mb": peakResidentMB,
            ]
            if profile {
                fields["milliseconds_per_frame_by_layer"] = measurement.millisecondsPerFrame
            }
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "%.1f frames/s (%@, %d worker(s) × 1 thread, batch %d; %d frames in %.2f s); peak RSS %.0f MB",
                         framesPerSecond, precision.precision.rawValue, workers, batch, measurement.frames, measurement.seconds, peakResidentMB))
            for (kind, milliseconds) in measurement.millisecondsPerFrame.sorted(by: { $0.value > $1.value }) {
                print("  " + kind.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%7.2f ms/frame", milliseconds))
            }
        }
    }
}

/// Runs N engines concurrently for a fixed time and counts the frames they classify.
struct EngineBenchmark {
    let weights: PreparedWeights
    let batchSize: Int
    let workers: Int
    let seconds: Double
    let profiling: Bool
    var features = false

    struct Measurement {
        var frames: Int
        var seconds: Double
        /// Time per layer type per frame, summed over workers (empty unless profiling).
        var millisecondsPerFrame: [String: Double]
    }

    private struct WorkerResult: Sendable {
        var frames = 0
        var profile = LayerProfile()
        var error: String?
    }

    /// What the workers and the coordinating thread share.
    private final class Coordination: Sendable {
        let results = Mutex<[WorkerResult]>([])
        let deadline = Mutex<DispatchTime>(.distantFuture)
        let ready = DispatchGroup(), finished = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
    }

    func run() throws -> Measurement {
        let shared = Coordination()
        let input = Self.syntheticInput(images: batchSize)
        let imageSize = GoogLeNetArchitecture.input.elementCount
        let batch = (0..<batchSize).map { Array(input[$0 * imageSize ..< ($0 + 1) * imageSize]) }
        for _ in 0..<workers {
            shared.ready.enter()
            shared.finished.enter()
            let (weights, batchSize, profiling, features) = (self.weights, self.batchSize, self.profiling, self.features)
            let thread = Thread {
                var result = WorkerResult()
                defer {
                    shared.results.withLock { $0.append(result) }
                    shared.finished.leave()
                }
                do {
                    // Built on the thread that runs it; one warm-up call before the clock starts.
                    let engine = try GoogLeNetEngine(weights: weights, batchSize: batchSize, threads: 1)
                    try input.withUnsafeBufferPointer { images in
                        _ = try engine.classify(images)
                        shared.ready.leave()
                        shared.start.wait()
                        let end = shared.deadline.withLock { $0 }
                        while DispatchTime.now() < end {
                            if profiling {
                                _ = try engine.classify(images, profile: &result.profile)
                            } else if features {
                                _ = try engine.classifyWithFeatures(batch: batch)
                            } else {
                                _ = try engine.classify(images)
                            }
                            result.frames += batchSize
                        }
                    }
                } catch {
                    result.error = "\(error)"
                    shared.ready.leave()
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        shared.ready.wait()
        let began = DispatchTime.now()
        shared.deadline.withLock { $0 = began + seconds }
        for _ in 0..<workers { shared.start.signal() }
        shared.finished.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - began.uptimeNanoseconds) / 1e9

        let all = shared.results.withLock { $0 }
        if let error = all.compactMap(\.error).first { throw ValidationError("engine failed: \(error)") }
        let frames = all.reduce(0) { $0 + $1.frames }
        var profile = LayerProfile()
        for result in all { profile.merge(result.profile) }
        let perFrame = Dictionary(uniqueKeysWithValues: profile.seconds.map { ($0.key.rawValue, $0.value * 1000 / Double(max(frames, 1))) })
        return Measurement(frames: frames, seconds: elapsed, millisecondsPerFrame: perFrame)
    }

    /// Deterministic input in the network's value range (BGR minus mean: roughly -123…152).
    static func syntheticInput(images: Int) -> [Float] {
        var state: UInt32 = 2_463_534_242
        return (0..<images * GoogLeNetArchitecture.input.elementCount).map { _ in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return Float(state % 256) - 117
        }
    }
}

/// This process's memory use as the kernel reports it.
enum ProcessMemory {
    /// Peak resident set size (VmHWM in /proc/self/status), in kilobytes.
    static var peakResidentKilobytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }
}
