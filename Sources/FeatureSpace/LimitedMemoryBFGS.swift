/// Minimises a smooth function of many variables by L-BFGS (Nocedal & Wright, algorithm 7.4: the two-loop
/// recursion over the last `memory` steps) with a backtracking line search on the Armijo condition. Stops when
/// the largest gradient component is below `gradientTolerance`, when the value stops falling (relative change
/// below `valueTolerance`), or after `maxIterations`. Deterministic.
struct LimitedMemoryBFGS {
    var memory = 10
    var maxIterations = 100
    var gradientTolerance = 1e-5
    var valueTolerance = 1e-10

    /// `evaluate(x, &gradient)` returns the value at `x` and writes its gradient. Returns the minimiser found.
    func minimize(from start: [Double], _ evaluate: ([Double], inout [Double]) -> Double) -> [Double] {
        var x = start
        var gradient = [Double](repeating: 0, count: x.count)
        var value = evaluate(x, &gradient)
        var steps: [(s: [Double], y: [Double], rho: Double)] = []
        for iteration in 0..<maxIterations {
            if gradient.lazy.map(abs).max() ?? 0 <= gradientTolerance { break }
            var direction = searchDirection(gradient, steps)
            var slope = dot(direction, gradient)
            if slope >= 0 {  // not a descent direction: forget the curvature pairs
                steps.removeAll()
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
            }
            var step = iteration == 0 && steps.isEmpty ? 1 / max(norm(gradient), 1) : 1.0
            var candidate = x, candidateGradient = gradient, candidateValue = value
            var accepted = false
            for _ in 0..<40 {
                for index in x.indices { candidate[index] = x[index] + step * direction[index] }
                candidateValue = evaluate(candidate, &candidateGradient)
                if candidateValue <= value + 1e-4 * step * slope { accepted = true; break }
                step /= 2
            }
            guard accepted else { break }
            let s = zip(candidate, x).map { $0 - $1 }
            let y = zip(candidateGradient, gradient).map { $0 - $1 }
            let curvature = dot(s, y)
            if curvature > 1e-12 {
                steps.append((s, y, 1 / curvature))
                if steps.count > memory { steps.removeFirst() }
            }
            let previous = value
            x = candidate
            gradient = candidateGradient
            value = candidateValue
            if abs(previous - value) <= valueTolerance * max(abs(value), 1) { break }
        }
        return x
    }

    /// −H·g by the two-loop recursion, H the inverse Hessian approximated from the stored steps.
    private func searchDirection(_ gradient: [Double], _ steps: [(s: [Double], y: [Double], rho: Double)]) -> [Double] {
        var q = gradient
        var alphas = [Double](repeating: 0, count: steps.count)
        for index in steps.indices.reversed() {
            alphas[index] = steps[index].rho * dot(steps[index].s, q)
            for component in q.indices { q[component] -= alphas[index] * steps[index].y[component] }
        }
        if let last = steps.last {
            let gamma = dot(last.s, last.y) / dot(last.y, last.y)
            for component in q.indices { q[component] *= gamma }
        }
        for index in steps.indices {
            let beta = steps[index].rho * dot(steps[index].y, q)
            for component in q.indices { q[component] += (alphas[index] - beta) * steps[index].s[component] }
        }
        return q.map { -$0 }
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for index in a.indices { sum += a[index] * b[index] }
        return sum
    }

    private func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
