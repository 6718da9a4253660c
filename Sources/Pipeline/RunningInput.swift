import Dispatch
import LabelStore
import VideoDecoding

/// One input of a run, from the moment it is opened until its run is recorded: where it comes from, its
/// decode stage, its record in the database, and its live counters. Every frame carries it from stage to
/// stage, so nothing about an input is looked up by position.
///
/// Ownership: the decode stage (and its reader) belongs to the input's session thread, the record to the
/// sink's thread; the counters are atomics anyone may read.
final class RunningInput: Sendable {
    /// The input's place among the configured inputs (for reports in the order given).
    let position: Int
    let location: InputLocation
    /// How its source is known in the database (the one-reader-per-source check holds it).
    let identity: SourceDescriptor
    /// A live stream (a session that stores every frame it labels) rather than a file.
    let isLive: Bool
    let counters: InputCounters
    let decoder: DecodeStage
    let record: InputRecord
    /// Frames of this input handed to the workers and not yet handed on to the sink (or dropped): entered by
    /// the decode stage, left by the worker (or whoever drops the frame). The input's end waits for it.
    let framesAtWorkers = DispatchGroup()
    /// Signalled by the sink once the input's writer is closed: every frame of the input is stored or counted.
    let writerClosed = DispatchSemaphore(value: 0)
    /// Thumbnails of this input chosen by the sink and not yet stored by the thumbnail stage (or dropped); the
    /// sink waits for it before closing the input's writer.
    let thumbnailsPending = DispatchGroup()

    init(position: Int, location: InputLocation, identity: SourceDescriptor, isLive: Bool, counters: InputCounters, decoder: DecodeStage,
         record: InputRecord)
    {
        self.position = position
        self.location = location
        self.identity = identity
        self.isLive = isLive
        self.counters = counters
        self.decoder = decoder
        self.record = record
    }
}
