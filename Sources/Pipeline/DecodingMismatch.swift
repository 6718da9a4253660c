import VideoDecoding

/// A file whose stored frames were decoded otherwise than a new run (or a queued job) would decode it. A file's
/// frames never mix two decoding modes, so `framewise run` refuses the resume and `framewise enqueue` the job.
struct DecodingMismatch: CustomStringConvertible {
    /// The input as shown (redacted).
    let input: String
    /// The modes (`runs.decoding`) of the runs whose frames are stored.
    let stored: [String]
    let wanted: DecodingShortcuts
    /// What would decode: "this run", "the job".
    let decoder: String
    /// What to do instead.
    let remedy: String

    /// A mismatch when some stored frame was decoded otherwise than `wanted`; `nil` when none (or no frame) was.
    init?(input: String, stored: [String], wanted: DecodingShortcuts, decoder: String, remedy: String) {
        guard stored.contains(where: { $0 != wanted.description }) else { return nil }
        self.input = input
        self.stored = stored
        self.wanted = wanted
        self.decoder = decoder
        self.remedy = remedy
    }

    var description: String {
        "\(input): its stored frames were decoded \(stored.joined(separator: ", ")), \(decoder) would decode \(wanted): \(remedy)"
    }
}
