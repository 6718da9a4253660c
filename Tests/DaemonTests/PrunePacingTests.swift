import Daemon
import LabelStore
import Testing

/// The pruner's pacing on synthetic commit latencies: it backs off when the commits made while pruning are slow
/// against those made without, speeds up when they are not, stays within its bounds, and a fixed pacing stays.
@Suite struct PrunePacingTests {
    @Test("a p99 over 1.5× the baseline halves the chunk and doubles the pause, down to the bounds")
    func backsOff() {
        var pacing = PrunePacing()
        let backedOff = pacing.adapt(pruning: 0.0161, baseline: 0.010)
        #expect(backedOff)
        #expect(pacing.chunkSize == 25 && pacing.pauseFactor == 38)
        for _ in 0..<10 { _ = pacing.adapt(pruning: 0.040, baseline: 0.010) }
        #expect(pacing.chunkSize == pacing.chunkSizes.lowerBound && pacing.pauseFactor == pacing.pauseFactors.upperBound)
        let changedAtBounds = pacing.adapt(pruning: 0.040, baseline: 0.010)
        #expect(!changedAtBounds, "at its bounds it has nothing left to change")
    }

    @Test("between 1.2× and 1.5× it holds; below 1.2× it grows back, up to the bounds")
    func holdsThenGrows() {
        var pacing = PrunePacing()
        let changedBetween = pacing.adapt(pruning: 0.013, baseline: 0.010)
        #expect(!changedBetween)
        #expect(pacing == PrunePacing())
        let grew = pacing.adapt(pruning: 0.011, baseline: 0.010)
        #expect(grew)
        #expect(pacing.chunkSize == 62 && abs(pacing.pauseFactor - 15.2) < 1e-9)
        for _ in 0..<30 { _ = pacing.adapt(pruning: 0.005, baseline: 0.010) }
        #expect(pacing.chunkSize == pacing.chunkSizes.upperBound && pacing.pauseFactor == pacing.pauseFactors.lowerBound)
    }

    @Test("latencies that rise while pruning settle the pacing where the p99 stays within 1.5×")
    func settles() {
        // A commit waits behind a chunk with the chance the writer is held (1/(1 + factor)), for the chunk's
        // time (0.3 ms a frame): the p99 is the baseline plus a chunk's time once more than 1% of commits wait.
        func p99(_ pacing: PrunePacing, baseline: Double) -> Double {
            1 / (1 + pacing.pauseFactor) > 0.01 ? baseline + Double(pacing.chunkSize) * 0.0003 : baseline
        }
        var pacing = PrunePacing()
        for _ in 0..<40 { _ = pacing.adapt(pruning: p99(pacing, baseline: 0.007), baseline: 0.007) }
        #expect(p99(pacing, baseline: 0.007) <= 0.007 * 1.5)
    }

    @Test("a fixed pacing does not adapt")
    func fixed() {
        var pacing = PrunePacing()
        pacing.adapts = false
        let changedFixed = pacing.adapt(pruning: 1, baseline: 0.01)
        #expect(!changedFixed)
        #expect(pacing.chunkSize == 50 && pacing.pauseFactor == 19)
    }

    @Test("commit latencies: quiet ones make the baseline, those while pruning are judged apart and counted anew")
    func latencies() {
        let latencies = CommitLatencies()
        for _ in 0..<(CommitLatencies.baselineCommits - 1) { latencies.record(0.005) }
        #expect(latencies.baselineP99 == nil)
        latencies.record(0.009)
        #expect(latencies.baselineP99 == 0.009)
        latencies.setPruning(true)
        for index in 0..<CommitLatencies.judgedCommits { latencies.record(index == 0 ? 0.1 : 0.02) }
        #expect(latencies.pruningP99 == 0.02, "the 1% tail of 200 commits: the second slowest")
        #expect(latencies.baselineP99 == 0.009, "commits while pruning stay out of the baseline")
        latencies.restartPruning()
        #expect(latencies.pruningP99 == nil)
        latencies.setPruning(false)
        for _ in 0..<CommitLatencies.kept { latencies.record(0.004) }
        #expect(latencies.baselineP99 == 0.004, "only the last \(CommitLatencies.kept) quiet commits count")
    }
}
