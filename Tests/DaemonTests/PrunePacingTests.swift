import Daemon
import LabelStore
import Testing

/// The pruner's pacing on synthetic chunk times and commit latencies: chunks sized so a typical commit waiting
/// behind one stays at 1.4× the baseline's p99, a pause that doubles as soon as a second commit made while pruning is
/// over twice the baseline's p99 and shrinks after 200 commits with a p99 below 1.5×, within its bounds; a fixed
/// pacing stays.
@Suite struct PrunePacingTests {
    /// `count` commits of `seconds`, the first `slow` of them of `slowSeconds`.
    static func commits(_ count: Int, of seconds: Double, slow: Int = 0, of slowSeconds: Double = 0) -> [Double] {
        Array(repeating: slowSeconds, count: slow) + Array(repeating: seconds, count: count - slow)
    }

    /// A baseline whose commits all take about the same time, or whose median is `median`.
    static func baseline(median: Double? = nil, p99: Double) -> CommitBaseline {
        CommitBaseline(median: median ?? p99, p99: p99)
    }

    @Test("a second commit over 2× the baseline's p99 doubles the pause at once, up to its bound")
    func backsOffAtTheSecondSlowCommit() {
        var pacing = PrunePacing()
        let afterOneSlow = pacing.adapt(commits: Self.commits(10, of: 0.001, slow: 1, of: 0.0201), baseline: Self.baseline(p99: 0.010))
        #expect(afterOneSlow == nil,
                "one slow commit leaves the p99 of 200 as it is: too few to tell")
        #expect(pacing == PrunePacing())
        let afterTwoSlow = pacing.adapt(commits: Self.commits(10, of: 0.001, slow: 2, of: 0.0201), baseline: Self.baseline(p99: 0.010))
        #expect(afterTwoSlow == .backedOff)
        #expect(pacing.pauseFactor == 8)
        for _ in 0..<10 { _ = pacing.adapt(commits: Self.commits(2, of: 0.040), baseline: Self.baseline(p99: 0.010)) }
        #expect(pacing.pauseFactor == pacing.pauseFactors.upperBound)
    }

    @Test("200 commits: a p99 below 1.5× the baseline's shrinks the pause by a third, down to its bound; between 1.5× and 2× it holds")
    func speedsUpOrHolds() {
        var pacing = PrunePacing()
        let tooFew = pacing.adapt(commits: Self.commits(199, of: 0.005), baseline: Self.baseline(p99: 0.010))
        #expect(tooFew == nil, "fewer than 200 commits: no judgement")
        let underOneAndAHalf = pacing.adapt(commits: Self.commits(200, of: 0.014, slow: 1, of: 0.5), baseline: Self.baseline(p99: 0.010))
        #expect(underOneAndAHalf == .spedUp,
                "the slowest commit alone does not decide")
        #expect(pacing.pauseFactor == 4 / 1.5)
        let spedUp = pacing
        let betweenOneAndAHalfAndTwo = pacing.adapt(commits: Self.commits(200, of: 0.016), baseline: Self.baseline(p99: 0.010))
        #expect(betweenOneAndAHalfAndTwo == .held)
        #expect(pacing == spedUp)
        for _ in 0..<10 { _ = pacing.adapt(commits: Self.commits(200, of: 0.005), baseline: Self.baseline(p99: 0.010)) }
        #expect(pacing.pauseFactor == pacing.pauseFactors.lowerBound)
    }

    @Test("a chunk is sized to what a typical commit may wait for it, at the time per frame measured, halfway per chunk")
    func fitsTheChunk() {
        var pacing = PrunePacing()
        let baseline = Self.baseline(median: 0.001, p99: 0.005)
        // 100 frames took 10 ms (0.1 ms a frame); a 1 ms commit may wait until 1.4 × 5 ms: 6 ms = 60 frames.
        pacing.fit(chunkTook: .milliseconds(10), deleted: 100, baseline: baseline)
        #expect(pacing.chunkSize == 77, "halfway (geometrically) from 100 to 60")
        for _ in 0..<20 { pacing.fit(chunkTook: .microseconds(100 * pacing.chunkSize), deleted: pacing.chunkSize, baseline: baseline) }
        #expect(pacing.chunkSize == 60)
        for _ in 0..<40 { pacing.fit(chunkTook: .nanoseconds(100 * pacing.chunkSize), deleted: pacing.chunkSize, baseline: baseline) }
        #expect(pacing.chunkSize == pacing.chunkSizes.upperBound, "0.1 µs a frame: as large as it may be")
        for _ in 0..<40 { pacing.fit(chunkTook: .milliseconds(5 * pacing.chunkSize), deleted: pacing.chunkSize, baseline: baseline) }
        #expect(pacing.chunkSize == pacing.chunkSizes.lowerBound)
    }

    @Test("chunks with a fixed cost settle where a chunk takes the time allowed, fixed cost included; below it, at the smallest")
    func fitsAroundTheFixedCost() {
        // As measured at full size (docs/measurements.md): 3.5 ms a chunk and 25 µs a frame; commits' median 0.7 ms,
        // p99 8.3 ms, so a chunk may take 1.4 × 8.3 − 0.7 = 10.92 ms: 297 frames.
        let chunkTime = { (frames: Int) in Duration.microseconds(3_500 + 25 * frames) }
        var pacing = PrunePacing()
        pacing.chunkSize = 5
        for _ in 0..<40 {
            pacing.fit(chunkTook: chunkTime(pacing.chunkSize), deleted: pacing.chunkSize, baseline: Self.baseline(median: 0.0007, p99: 0.0083))
        }
        #expect(abs(pacing.chunkSize - 297) <= 1)
        #expect(chunkTime(pacing.chunkSize) <= .microseconds(10_950))
        for _ in 0..<40 {
            pacing.fit(chunkTook: chunkTime(pacing.chunkSize), deleted: pacing.chunkSize, baseline: Self.baseline(median: 0.0005, p99: 0.0025))
        }
        #expect(pacing.chunkSize == pacing.chunkSizes.lowerBound, "3 ms allowed, 3.5 ms fixed: the smallest chunk")
    }

    /// 2,000 commits of a writer whose p99 is 2 ms without pruning while the pacing deletes at 0.05 ms a frame: a
    /// commit waits behind a chunk with the chance the writer is held (1/(1 + factor)) for the chunk's time, and
    /// the deleting's writes slow every commit by `slowing` per 1,000 frames/s deleted. The pacing fits its chunk
    /// and judges the commits after each one. Returns the pacing at the end, every commit and the verdicts.
    static func simulate(slowing: Double) -> (pacing: PrunePacing, commits: [Double], verdicts: [PrunePacing.Verdict]) {
        let perFrame = 0.000_05, baseline = Self.baseline(p99: 0.002)
        var pacing = PrunePacing(), commits: [Double] = [], judged: [Double] = [], verdicts: [PrunePacing.Verdict] = []
        for index in 0..<2000 {
            let held = 1 / (1 + pacing.pauseFactor), rate = 1 / (perFrame * (1 + pacing.pauseFactor))
            let slowed = baseline.p99 + slowing * rate / 1000
            let waits = (Double(index) * 0.618_034).truncatingRemainder(dividingBy: 1) < held
            let commit = waits ? slowed + Double(pacing.chunkSize) * perFrame : slowed
            commits.append(commit)
            judged.append(commit)
            pacing.fit(chunkTook: .seconds(Double(pacing.chunkSize) * perFrame), deleted: pacing.chunkSize, baseline: baseline)
            if let verdict = pacing.adapt(commits: judged, baseline: baseline) {
                verdicts.append(verdict)
                judged.removeAll()
            }
        }
        return (pacing, commits, verdicts)
    }

    @Test("commits that only wait behind chunks: chunks of 0.8 ms, the pause down to its floor, the p99 at 1.4×")
    func settlesQuiet() {
        let (pacing, commits, verdicts) = Self.simulate(slowing: 0)
        #expect(pacing.chunkSize == 16, "0.05 ms a frame: 0.8 ms, 40% of the headroom over 2 ms")
        #expect(pacing.pauseFactor == pacing.pauseFactors.lowerBound && !verdicts.contains(.backedOff))
        #expect(abs(CommitLatencies.percentile(0.99, of: commits) - 0.0028) < 1e-9)
    }

    @Test("commits slowed by the deleting's writes: it backs off until their p99 is within 2×, still deleting fast")
    func settlesUnderLoad() {
        let (pacing, commits, verdicts) = Self.simulate(slowing: 0.000_5)
        #expect(verdicts.first == .backedOff && verdicts.dropFirst().allSatisfy { $0 == .held }, "\(verdicts)")
        #expect(pacing.pauseFactor == 8)
        #expect(CommitLatencies.percentile(0.99, of: commits) <= 0.002 * 2)
        #expect(1 / (0.000_05 * (1 + pacing.pauseFactor)) > 2000, "frames/s deleted")
    }

    @Test("a fixed pacing does not adapt")
    func fixed() {
        var pacing = PrunePacing()
        pacing.adapts = false
        let fixed = pacing
        let ofFixed = pacing.adapt(commits: Self.commits(200, of: 1), baseline: Self.baseline(p99: 0.01))
        #expect(ofFixed == nil)
        pacing.fit(chunkTook: .seconds(1), deleted: 1, baseline: Self.baseline(p99: 0.01))
        #expect(pacing == fixed)
    }

    @Test("commit latencies: quiet ones make the baseline, those while pruning are kept apart and counted anew")
    func latencies() {
        let latencies = CommitLatencies()
        for _ in 0..<(CommitLatencies.baselineCommits - 1) { latencies.record(0.005) }
        #expect(latencies.baseline == nil)
        latencies.record(0.009)
        #expect(latencies.baseline == CommitBaseline(median: 0.005, p99: 0.009))
        latencies.setPruning(true)
        for index in 0..<CommitLatencies.judgedCommits { latencies.record(index == 0 ? 0.1 : 0.02) }
        #expect(latencies.pruningCommits.count == CommitLatencies.judgedCommits)
        #expect(CommitLatencies.percentile(0.99, of: latencies.pruningCommits) == 0.02, "the 1% tail of 200 commits: the second slowest")
        #expect(CommitLatencies.slowCommitsAllowed == 1)
        #expect(latencies.baseline?.p99 == 0.009, "commits while pruning stay out of the baseline")
        latencies.restartPruning()
        #expect(latencies.pruningCommits.isEmpty)
        latencies.setPruning(false)
        for _ in 0..<CommitLatencies.kept { latencies.record(0.004) }
        #expect(latencies.baseline == CommitBaseline(median: 0.004, p99: 0.004), "only the last \(CommitLatencies.kept) quiet commits count")
    }
}
