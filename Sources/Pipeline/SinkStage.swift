import Foundation
import LabelStore

/// The third stage: one thread that hands labelled frames to each input's `FrameWriter` (which batches them
/// into transactions) and keeps the per-input tallies the summary shows.
final class SinkStage: @unchecked Sendable {
    private let results: FrameQueue<LabelledFrame>
    private let writers: [FrameWriter]
    private let counters: [InputCounters]
    private let stop: StopRequest
    // Touched only by the sink's thread until `group` is left; read afterwards.
    private(set) var topLabelCounts: [[Int: Int]]
    private(set) var error: (any Error)?

    init(results: FrameQueue<LabelledFrame>, writers: [FrameWriter], counters: [InputCounters], stop: StopRequest) {
        self.results = results
        self.writers = writers
        self.counters = counters
        self.stop = stop
        topLabelCounts = Array(repeating: [:], count: writers.count)
    }

    /// Starts the sink's thread; it leaves `group` after the results queue closes and every writer is flushed.
    func start(in group: DispatchGroup) {
        group.enter()
        let thread = Thread { [self] in
            storeAll()
            group.leave()
        }
        thread.name = "framewise.sink"
        thread.start()
    }

    private func storeAll() {
        while true {
            let batch = results.take(maxCount: 256, batchDeadline: 0)
            if batch.isEmpty { break }
            guard error == nil else { continue }
            for labelled in batch {
                do {
                    try writers[labelled.input].append(labelled.frame)
                } catch {
                    self.error = error
                    stop.request(.immediate)
                    break
                }
                counters[labelled.input].labeled.add(1, ordering: .relaxed)
                if let best = labelled.frame.top.first {
                    topLabelCounts[labelled.input][best.classIndex, default: 0] += 1
                }
            }
        }
        for writer in writers {
            do { try writer.close() } catch { self.error = self.error ?? error }
        }
    }
}
