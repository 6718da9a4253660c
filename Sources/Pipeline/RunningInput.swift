import VideoDecoding

/// One input of a run, from the moment it is opened until its run is recorded: where it comes from, its
/// decode stage, its record in the database, and its live counters. Every frame carries it from stage to
/// stage, so nothing about an input is looked up by position.
///
/// Ownership: the decode stage (and its reader) belongs to the input's decoder thread, the record to the
/// sink's thread; the counters are atomics anyone may read.
final class RunningInput: Sendable {
    /// The input's place among the configured inputs (for reports in the order given).
    let position: Int
    let location: InputLocation
    /// A live stream (a session that stores every frame it labels) rather than a file.
    let isLive: Bool
    let counters: InputCounters
    let decoder: DecodeStage
    let record: InputRecord

    init(position: Int, location: InputLocation, isLive: Bool, counters: InputCounters, decoder: DecodeStage,
         record: InputRecord)
    {
        self.position = position
        self.location = location
        self.isLive = isLive
        self.counters = counters
        self.decoder = decoder
        self.record = record
    }
}
