import Foundation

extension Trainer {
    /// The line search along a CG direction stops when `|φ'(α)| ≤ lineSearchTolerance · |φ'(0)|` (the strong Wolfe
    /// curvature condition) and φ(α) ≤ φ(0) (to rounding). Measured on the three benchmark sets (iterations
    /// 100k / wide / 1M): 0.01 → 42 / 49 / 50, 0.1 → 46 / 47 / 60, 0.2 → 41 / 48 / 45, 0.3 → 45 / 35 / 46,
    /// 0.5 → 45 / 52 / 49: CG on these ill-conditioned (nearly separable) problems is sensitive to where exactly
    /// each line search stops, and no value is uniformly best; 0.3 had the fewest in total.
    static let lineSearchTolerance = 0.3

    /// Evaluations of φ (each O(n · rows), no pass over X) allowed per line search.
    static let lineSearchEvaluations = 12

    /// Nonlinear conjugate gradient (Polak–Ribière+) with an exact line search on tracked logits.
    ///
    /// Direction `d_k = −g_k + β_k d_{k−1}` with `β_k = max(0, g_kᵀ(g_k − g_{k−1}) / ‖g_{k−1}‖²)` (PR+), restarted
    /// to `−g_k` when it is not a descent direction or every `parameterCount` iterations. The step minimizes
    /// `φ(α) = f(θ + α d)` along the line: with `D = X d_Wᵀ + 1 d_bᵀ` (ONE forward pass per iteration) the logits
    /// are `Z(θ + α d) = Z(θ) + α D`, so φ and its derivatives cost O(n · rows) each, no pass over X:
    ///
    ///     φ(α)   = L(Z + α D) + λ/2 (‖W‖² + 2α⟨W, d_W⟩ + α² ‖d_W‖²)
    ///     φ'(α)  = (1/n) Σ_i s_i (p_i − e_{y_i}) · D_i + λ (⟨W, d_W⟩ + α ‖d_W‖²)
    ///     φ''(α) = (1/n) Σ_i s_i D_iᵀ (diag p_i − p_i p_iᵀ) D_i + λ ‖d_W‖²
    ///
    /// φ is convex, so safeguarded Newton steps on φ' inside a bracket [lo, hi] (φ'(lo) < 0 < φ'(hi); bisection
    /// when Newton leaves it, ×8 expansion while there is no hi) reach `|φ'(α)| ≤ 0.3 |φ'(0)|`, usually in 1–2
    /// evaluations: the first step is Newton's from 0, `α = −φ'(0)/φ''(0)`, where `φ'(0) = ⟨∇f, d⟩` and `φ''(0)`
    /// comes from the probabilities the backward pass stored (`Objective.curvature`, no exponentials). Then one
    /// backward pass gives f, ∇f and the probabilities at the new point. An iteration is one forward and one backward pass, as FISTA's, but it takes far fewer iterations
    /// (docs/PERFORMANCE.md). Only gradients and derivatives along d are used: first-order, no Hessian or
    /// quasi-Newton matrix.
    ///
    /// The stopping rule and its exactness are FISTA's (see the type's doc comment and `minimizeFISTA`): the
    /// certificate is confirmed on logits, f and ∇f recomputed from X at intercepts made optimal for W, the tracked logits are recomputed every
    /// `refreshInterval` iterations, and the reported objective is computed from X.
    static func minimizeCG(
        _ f: Objective, parameters: TrainingParameters, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        let size = f.parameterCount
        let weightCount = f.rows * f.d
        let zx = 0, dz = 1, probabilities = 2
        var x = [Double](repeating: 0, count: size)
        var gradient = x
        var previousGradient = x
        var direction = x
        var passes = 0
        f.zeroLogits(into: zx)
        var fx = f.lossAndGradient(x, logits: zx, probabilities: probabilities, gradient: &gradient)
        passes += 1
        var exact = true
        // Whether fx and the gradient come from X at a point whose intercepts are optimal for its W, where the
        // certificate is exact (`optimizeIntercepts`); the stopping test is only accepted there.
        var settled = false
        var history = [fx]
        var iteration = 0
        var sinceRefresh = 0
        var sinceRestart = 0
        var reason = TrainingSummary.StopReason.maxIter
        var gradientNorm = Double.infinity
        let curvatureBound = f.lambda > 0 ? f.lambda : 1 / Double(f.n)
        var gapBound = Double.infinity
        var lastAlpha = 0.0
        var lastSlope = 0.0
        var previousSquaredNorm = 0.0
        var restartNext = true

        while true {
            // The stopping test on the gradient at x (confirmed on values recomputed from X).
            var squaredNorm = 0.0
            var converged = false
            while true {
                (squaredNorm, gradientNorm) = norms(gradient)
                guard fx.isFinite, squaredNorm.isFinite else { throw .diverged(iteration: iteration) }
                gapBound = squaredNorm / (2 * curvatureBound)
                if f.lambda > 0 {
                    converged = gapBound <= parameters.tol * fx
                } else {
                    // FISTA's `‖∇f‖² ≤ tol · f²`, on ∇f / f so that it cannot hold by underflow: on separable data
                    // the line search drives f to 0 within a few iterations (FISTA's steps are too short to), where
                    // ‖∇f‖² and f² are both 0; there ‖∇f‖ ≥ γ f (γ the margin), so this never holds.
                    var scaled = 0.0
                    if fx > 0 { for g in gradient { scaled += (g / fx) * (g / fx) } }
                    converged = fx > 0 && scaled <= parameters.tol
                }
                guard converged, !settled else { break }
                f.logits(x, into: zx)
                optimizeIntercepts(f, &x, logits: zx)
                fx = f.lossAndGradient(x, logits: zx, probabilities: probabilities, gradient: &gradient)
                passes += 2
                exact = true
                settled = true
                sinceRefresh = 0
                // x may have moved (its intercepts): if the fit goes on, the next direction starts afresh.
                restartNext = true
            }
            if converged {
                reason = .gradientTolerance
                history[history.count - 1] = fx
                break
            }
            guard iteration < parameters.maxIter else { break }
            iteration += 1
            sinceRefresh += 1
            sinceRestart += 1

            // The direction: PR+, restarted to −g when it is not a descent direction or every `size` iterations.
            var slope0 = 0.0
            if !restartNext && sinceRestart <= size {
                var num = 0.0
                for j in 0..<size { num += gradient[j] * (gradient[j] - previousGradient[j]) }
                let beta = max(0, num / previousSquaredNorm)
                for j in 0..<size {
                    direction[j] = -gradient[j] + beta * direction[j]
                    slope0 += gradient[j] * direction[j]
                }
            }
            if restartNext || sinceRestart > size || !(slope0 < 0) {
                for j in 0..<size { direction[j] = -gradient[j] }
                slope0 = -squaredNorm
                sinceRestart = 1
            }
            restartNext = false
            f.logits(direction, into: dz)
            passes += 1
            var wd = 0.0, dd = 0.0, ww = 0.0
            for j in 0..<weightCount {
                wd += x[j] * direction[j]
                dd += direction[j] * direction[j]
                ww += x[j] * x[j]
            }
            let lambda = f.lambda
            let noise = 1e-13 * abs(fx)
            func phi(_ alpha: Double) -> (value: Double, slope: Double, curvature: Double) {
                let (l, s1, s2) = f.along(logits: zx, direction: dz, step: alpha)
                return (
                    l + 0.5 * lambda * (ww + alpha * (2 * wd + alpha * dd)), s1 + lambda * (wd + alpha * dd),
                    s2 + lambda * dd
                )
            }

            // The line search: safeguarded Newton on φ' in a bracket.
            var lo = 0.0, hi = Double.infinity
            var alpha: Double
            // Newton from 0, with φ''(0) from the probabilities stored by the last backward pass.
            let curvature0 = f.curvature(probabilities: probabilities, direction: dz) + lambda * dd
            alpha = curvature0 > 0 ? -slope0 / curvature0 : lastAlpha * lastSlope / slope0
            if !(alpha.isFinite && alpha > 0) { alpha = 1 }
            var best = (alpha: 0.0, value: fx)
            var accepted = false
            for _ in 0..<lineSearchEvaluations {
                let (value, slope, curvature) = phi(alpha)
                if !(value.isFinite && slope.isFinite) {
                    hi = alpha
                    alpha = 0.5 * (lo + alpha)
                    continue
                }
                if value < best.value { best = (alpha, value) }
                if abs(slope) <= lineSearchTolerance * abs(slope0) && value <= fx + noise {
                    best = (alpha, value)
                    accepted = true
                    break
                }
                if slope > 0 { hi = alpha } else { lo = alpha }
                var next = curvature > 0 ? alpha - slope / curvature : Double.nan
                if hi.isFinite {
                    if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
                } else if !(next > lo) || next > 8 * alpha {
                    next = 8 * alpha
                }
                if next == alpha { break }
                alpha = next
            }
            if !accepted && !(best.alpha > 0 && best.value < fx - noise) {
                // No decrease along d: restart from −g once; along −g itself the objective is flat to rounding.
                if slope0 == -squaredNorm {
                    reason = .noProgress
                    break
                }
                restartNext = true
                iteration -= 1
                sinceRefresh -= 1
                continue
            }
            alpha = best.alpha
            for j in 0..<size { x[j] += alpha * direction[j] }
            settled = false
            f.step(into: zx, from: zx, minus: -alpha, times: dz)
            swap(&previousGradient, &gradient)
            previousSquaredNorm = squaredNorm
            lastAlpha = alpha
            lastSlope = slope0
            if sinceRefresh >= refreshInterval {
                f.logits(x, into: zx)
                passes += 1
                sinceRefresh = 0
                exact = true
            } else {
                exact = false
            }
            fx = f.lossAndGradient(x, logits: zx, probabilities: probabilities, gradient: &gradient)
            passes += 1
            guard fx.isFinite else { throw .diverged(iteration: iteration) }
            try record(fx, iteration: iteration, maxIter: parameters.maxIter, history: &history, progress: progress)
        }
        let summary = finalSummary(
            f, x, logits: zx, exact: exact, objective: fx, history: &history, passes: &passes, iteration: iteration,
            reason: reason, gradientNorm: gradientNorm, gapBound: gapBound)
        return (x, summary)
    }
}
