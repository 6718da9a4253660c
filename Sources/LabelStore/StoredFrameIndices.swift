/// A set of frame indices kept as arithmetic runs (first, last, stride), so the millions of indices of a
/// regularly sampled source take a few runs of memory. Built from indices in ascending order.
package struct StoredFrameIndices: Sendable, Equatable {
    struct Run: Sendable, Equatable {
        var first: Int64
        var last: Int64
        var stride: Int64
    }

    private(set) var runs: [Run] = []
    /// How many indices the set holds.
    package private(set) var count = 0

    package init() {}

    package var isEmpty: Bool { count == 0 }

    /// The largest stored index.
    package var max: Int64? { runs.last?.last }

    /// Adds `index`, which must be larger than every index already in the set.
    mutating func appendAscending(_ index: Int64) {
        count += 1
        if var run = runs.last {
            // A single index becomes a run with this step; a run grows while the step stays the same.
            if run.first == run.last { run.stride = index - run.first }
            if index - run.last == run.stride {
                run.last = index
                runs[runs.count - 1] = run
                return
            }
        }
        runs.append(Run(first: index, last: index, stride: 1))
    }

    package func contains(_ index: Int64) -> Bool {
        // The last run starting at or before `index`.
        var low = 0
        var high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if runs[middle].first <= index { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return false }
        let run = runs[low - 1]
        return index <= run.last && (index - run.first) % run.stride == 0
    }
}
