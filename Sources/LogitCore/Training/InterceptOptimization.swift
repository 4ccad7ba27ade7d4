extension Trainer {
    /// Newton steps allowed when settling the intercepts (each O(n · rows²), no pass over X; 2–4 are typical).
    static let interceptNewtonSteps = 20

    /// Moves the intercepts in θ to their optimum for the current weights W, and its logits `logits` with them
    /// (every row's logits shift by the same β: no pass over X). Newton's method on the `rows` intercepts alone, with
    /// halving until the loss does not rise; the full `rows × rows` Hessian up to 64 logit rows, its diagonal beyond.
    ///
    /// This makes the stopping certificate exact. With `∇_b f = 0`, the residuals `u_i = p_i − e_{y_i}` satisfy the
    /// Fenchel dual's constraint `Σ_i s_i u_i = 0` (the one the unpenalized intercept imposes), so they give a lower
    /// bound `D(u) ≤ f*`; by the Fenchel–Young equality the duality gap `f − D(u)` works out to exactly
    /// `‖∇_W f‖² / (2λ)`. Without this step the same expression was optimistic on nearly separable data, where the
    /// intercept's own curvature is far below λ (docs/PERFORMANCE.md, "The stopping rule is a true bound").
    static func optimizeIntercepts(_ f: borrowing Objective, _ theta: inout [Double], logits: borrowing DoubleBuffer) {
        guard f.fitIntercept, f.lambda > 0 else { return }
        let k = f.rows
        let fullHessian = k <= 64
        var beta = [Double](repeating: 0, count: k)
        var current = f.interceptTerms(logits: logits, shift: beta, fullHessian: fullHessian)
        for _ in 0..<interceptNewtonSteps {
            let step = newtonStep(gradient: current.gradient, hessian: current.hessian, size: k, fullHessian: fullHessian)
            var decrement = 0.0
            for c in 0..<k { decrement -= current.gradient[c] * step[c] }
            // The Newton decrement (twice the expected decrease) at the rounding of a sum of n losses: settled.
            guard decrement > 1e-15 * abs(current.value) else { break }
            var scale = 1.0
            var moved = false
            while scale >= 1.0 / 64 {
                let trial = (0..<k).map { beta[$0] + scale * step[$0] }
                let next = f.interceptTerms(logits: logits, shift: trial, fullHessian: fullHessian)
                if next.value <= current.value {
                    beta = trial
                    current = next
                    moved = true
                    break
                }
                scale *= 0.5
            }
            guard moved else { break }
        }
        guard beta.contains(where: { $0 != 0 }) else { return }
        for c in 0..<k { theta[k * f.d + c] += beta[c] }
        f.shiftLogits(logits, by: beta)
    }

    /// δ with `(H + ρI) δ = −g`, ρ a tiny ridge (the softmax's H is singular along (1, …, 1), where g has no
    /// component, so the ridge only keeps the solve defined): Gaussian elimination with partial pivoting, or
    /// `δ_c = −g_c / (H_cc + ρ)` with a diagonal H.
    static func newtonStep(gradient: [Double], hessian: [Double], size k: Int, fullHessian: Bool) -> [Double] {
        var trace = 0.0
        for c in 0..<k { trace += hessian[c * k + c] }
        let ridge = max(1e-12 * trace / Double(k), Double.leastNormalMagnitude)
        guard fullHessian else { return (0..<k).map { -gradient[$0] / (hessian[$0 * k + $0] + ridge) } }
        var a = hessian
        var b = gradient.map { -$0 }
        for c in 0..<k { a[c * k + c] += ridge }
        for column in 0..<k {
            var pivot = column
            for row in (column + 1)..<max(column + 1, k) where abs(a[row * k + column]) > abs(a[pivot * k + column]) { pivot = row }
            if pivot != column {
                for e in 0..<k { a.swapAt(column * k + e, pivot * k + e) }
                b.swapAt(column, pivot)
            }
            let diagonal = a[column * k + column]
            guard diagonal != 0 else { continue }
            for row in (column + 1)..<max(column + 1, k) {
                let factor = a[row * k + column] / diagonal
                guard factor != 0 else { continue }
                for e in column..<k { a[row * k + e] -= factor * a[column * k + e] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: k)
        for row in stride(from: k - 1, through: 0, by: -1) {
            var sum = b[row]
            for e in (row + 1)..<max(row + 1, k) { sum -= a[row * k + e] * x[e] }
            let diagonal = a[row * k + row]
            x[row] = diagonal != 0 ? sum / diagonal : 0
        }
        return x
    }
}
