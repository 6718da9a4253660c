import ArgumentParser
import Foundation
import Pipeline
import VideoDecoding

/// `framewise bench decode CLIP`: decoding plus conversion to network input only (no network, no store),
/// timed in CPU seconds of this process (getrusage) so that it compares with `ffmpeg ... -f null -`.
struct BenchDecodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode and convert every frame of a clip; print frames, CPU seconds and frames per second.",
        discussion: """
            With --fps X, X frames per second are converted, as for a camera sampled at X; the frames after a group \
            of pictures' last sampled one are not decoded unless --decode-all is given.
            """
    )

    @Argument(help: "The clip (file path or URL).")
    var input: String

    @Option(help: "Decoder threads.")
    var threads = 1

    @Option(help: "Convert X frames per second of presentation time instead of every frame.")
    var fps: Double?

    @Option(help: "Decoding work to leave out: full (default), skip-loop-filter, skip-nonref (with --fps) or both joined by +.")
    var decoding = "full"

    @Flag(help: "Decode the frames no sampled frame needs too (those after a group of pictures' last sampled one), to compare.")
    var decodeAll = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() async throws {
        try await exitingOnError { try measure() }
    }

    private func measure() throws {
        let location = try InputLocation(input)
        var options = DecoderOptions(sampling: try fps.map { .framesPerSecond(try checked($0, "--fps", OptionLimits.fps)) }
                                         ?? .everyFrame, decoderThreads: threads)
        options.shortcuts = try decodingShortcuts(decoding, "--decoding")
        options.skipsUnneededFrames = !decodeAll
        if let conflict = options.conflict { throw ValidationFailure(conflict) }
        let reader = try FrameReader(input: location, options: options, spec: .googLeNet)
        let cpuBefore = Self.cpuSeconds(), wallBefore = Date()
        var frames = 0
        while try reader.next() != nil { frames += 1 }
        let cpu = Self.cpuSeconds() - cpuBefore, wall = Date().timeIntervalSince(wallBefore)
        let rate = cpu > 0 ? Double(frames) / cpu : 0
        if json {
            let fields: [String: Any] = [
                "input": location.description, "frames": frames, "cpu_seconds": cpu, "wall_seconds": wall,
                "frames_per_cpu_second": rate, "decoder_threads": threads,
                "corrupt_packets": reader.counters.corruptPackets, "frames_decoded": reader.counters.decodedFrames,
                "decoding": options.shortcuts.description,
            ]
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(location): \(frames) frames (\(reader.counters.decodedFrames) decoded, \(options.shortcuts)), "
                + "\(String(format: "%.3f", cpu)) s CPU, \(String(format: "%.3f", wall)) s wall, "
                + "\(String(format: "%.1f", rate)) frames per CPU second (decoder threads: \(threads))")
        }
    }

    /// User plus system CPU time of this process, all threads.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
