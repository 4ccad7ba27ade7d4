extension Trainer {
    /// The line search along a CG direction stops when `|φ'(α)| ≤ lineSearchTolerance · |φ'(0)|` (the strong Wolfe
    /// curvature condition) and φ(α) ≤ φ(0) (to rounding). Measured on the three benchmark sets (iterations
    /// 100k / wide / 1M): 0.01 → 42 / 49 / 50, 0.1 → 46 / 47 / 60, 0.2 → 41 / 48 / 45, 0.3 → 45 / 35 / 46,
    /// 0.5 → 45 / 52 / 49: CG on these ill-conditioned (nearly separable) problems is sensitive to where exactly
    /// each line search stops, and no value is uniformly best; 0.3 had the fewest in total.
    static let lineSearchTolerance = 0.3

    /// Evaluations of φ (each O(n · rows), no pass over X) allowed per line search.
    static let lineSearchEvaluations = 12

    /// Nonlinear conjugate gradient with an exact line search on tracked logits (see `CGState`).
    ///
    /// The stopping test is at the iterate, before each iteration (and after the last one); a failed line search
    /// along a conjugate direction is retried along −∇f without counting as an iteration.
    static func minimizeCG(
        _ f: borrowing Objective, parameters: TrainingParameters, from start: [Double]? = nil, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        var state = CGState(f, parameters: parameters, from: start)
        var history = [state.objective]
        var iteration = 0
        var reason = TrainingSummary.StopReason.maxIter
        iterations: while true {
            if try state.hasConverged(f, iteration: iteration) {
                reason = .gradientTolerance
                history[history.count - 1] = state.objective
                break
            }
            guard iteration < parameters.maxIter else { break }
            iteration += 1
            switch try state.step(f, iteration: iteration) {
            case .moved:
                try record(state.objective, iteration: iteration, maxIter: parameters.maxIter, history: &history, progress: progress)
            case .retry:
                iteration -= 1
            case .stopped(let why):
                reason = why
                break iterations
            }
        }
        let summary = finalSummary(
            f, state.x, logits: state.logits, exact: state.isExact, objective: state.objective, history: &history,
            passes: &state.passes, iteration: iteration, reason: reason, gradientNorm: state.gradientNorm, gapBound: state.gapBound)
        return (state.x, summary)
    }
}

/// Nonlinear conjugate gradient's state between iterations (Polak–Ribière+ with an exact line search on tracked
/// logits), and its iteration (`step`).
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
/// backward pass gives f, ∇f and the probabilities at the new point. An iteration is one forward and one backward
/// pass, as FISTA's, but it takes far fewer iterations (docs/PERFORMANCE.md). Only gradients and derivatives along d
/// are used: first-order, no Hessian or quasi-Newton matrix.
///
/// The stopping rule (`StoppingRule`) and its exactness are FISTA's: the certificate is confirmed on logits, f and
/// ∇f recomputed from X at intercepts made optimal for W, the tracked logits are recomputed every
/// `Trainer.refreshInterval` iterations, and the reported objective is computed from X.
struct CGState: ~Copyable {
    let rule: StoppingRule

    /// The iterate θ, its objective and gradient, and the probabilities the backward pass stored there.
    private(set) var x: [Double]
    private(set) var objective: Double
    private var gradient: [Double]
    /// Whether `objective` comes from logits just recomputed from X (else tracked along the lines searched).
    private(set) var isExact = true
    /// Whether the objective and gradient come from X at a point whose intercepts are optimal for its W, where the
    /// certificate is exact (`Trainer.optimizeIntercepts`); the stopping test is only accepted there.
    private var isSettled = false
    /// The direction d and the previous gradient (for PR+).
    private var direction: [Double]
    private var previousGradient: [Double]
    private var previousSquaredNorm = 0.0
    /// ‖∇f‖² at the iterate, from its last stopping test.
    private var squaredNorm = 0.0
    /// Whether the next direction is −∇f whatever PR+ says.
    private var restartNext = true
    private var sinceRestart = 0
    private var sinceRefresh = 0
    /// The last step α and `φ'(0)`: their product scales the first trial when `φ''(0)` is unusable.
    private var lastAlpha = 0.0
    private var lastSlope = 0.0
    var passes = 0
    /// Of the last stopping test: `max_j |∂f/∂θ_j|` and the gap bound at the iterate.
    private(set) var gradientNorm = Double.infinity
    private(set) var gapBound = Double.infinity

    /// Z, the logits of the iterate.
    private(set) var logits: DoubleBuffer
    /// D, the logits of the direction.
    private let directionLogits: DoubleBuffer
    /// The class probabilities at the iterate (`n × rows`), for φ''(0).
    private let probabilities: DoubleBuffer

    /// At `start`, or at θ = 0, whose logits are all zero (no forward pass), with f and ∇f there (one backward pass).
    init(_ f: borrowing Objective, parameters: TrainingParameters, from start: [Double]? = nil) {
        rule = StoppingRule(lambda: f.lambda, tolerance: parameters.tol, rowCount: f.n)
        x = [Double](repeating: 0, count: f.parameterCount)
        gradient = x
        previousGradient = x
        direction = x
        logits = f.makeLogits()
        directionLogits = f.makeLogits()
        probabilities = f.makeLogits()
        if let start, start.count == x.count {
            x = start
            f.logits(x, into: logits)
            passes = 1
        } else {
            f.zeroLogits(logits)
        }
        objective = f.lossAndGradient(x, logits: logits, storingProbabilitiesIn: probabilities, gradient: &gradient)
        passes += 1
    }

    /// The stopping test at the iterate, accepted only once confirmed on values recomputed from X at settled
    /// intercepts (see `StoppingRule`).
    mutating func hasConverged(_ f: borrowing Objective, iteration: Int) throws(TrainingError) -> Bool {
        var verdict = try stoppingTest(iteration: iteration)
        if verdict != .proceed && !isSettled {
            f.logits(x, into: logits)
            Trainer.optimizeIntercepts(f, &x, logits: logits)
            objective = f.lossAndGradient(x, logits: logits, storingProbabilitiesIn: probabilities, gradient: &gradient)
            passes += 2
            isExact = true
            isSettled = true
            sinceRefresh = 0
            // x may have moved (its intercepts): if the fit goes on, the next direction starts afresh.
            restartNext = true
            verdict = try stoppingTest(iteration: iteration)
        }
        return verdict != .proceed
    }

    /// One iteration: a direction, the line search along it, and f, ∇f and the probabilities at the new iterate.
    mutating func step(_ f: borrowing Objective, iteration: Int) throws(TrainingError) -> StepOutcome {
        sinceRefresh += 1
        sinceRestart += 1
        let slope0 = chooseDirection()
        f.logits(direction, into: directionLogits)
        passes += 1
        let line = LineTerms(f, x: x, direction: direction)
        let noise = 1e-13 * abs(objective)
        let search = lineSearch(f, along: line, slope0: slope0, noise: noise)
        if !search.accepted && !(search.alpha > 0 && search.value < objective - noise) {
            // No decrease along d: restart from −g once; along −g itself the objective is flat to rounding.
            if slope0 == -squaredNorm { return .stopped(.noProgress) }
            restartNext = true
            sinceRefresh -= 1
            return .retry
        }
        let alpha = search.alpha
        for j in 0..<x.count { x[j] += alpha * direction[j] }
        isSettled = false
        f.step(into: logits, from: logits, minus: -alpha, times: directionLogits)
        swap(&previousGradient, &gradient)
        previousSquaredNorm = squaredNorm
        lastAlpha = alpha
        lastSlope = slope0
        if sinceRefresh >= Trainer.refreshInterval {
            f.logits(x, into: logits)
            passes += 1
            sinceRefresh = 0
            isExact = true
        } else {
            isExact = false
        }
        objective = f.lossAndGradient(x, logits: logits, storingProbabilitiesIn: probabilities, gradient: &gradient)
        passes += 1
        guard objective.isFinite else { throw .diverged(iteration: iteration) }
        return .moved
    }

    /// The stopping rule at the iterate, keeping what the summary reports and ‖∇f‖² for the next direction.
    private mutating func stoppingTest(iteration: Int) throws(TrainingError) -> StoppingRule.Verdict {
        let test = rule.evaluate(objective: objective, gradient: gradient)
        squaredNorm = test.squaredNorm
        gradientNorm = test.maxAbs
        gapBound = test.gapBound
        guard test.verdict != .diverged else { throw .diverged(iteration: iteration) }
        return test.verdict
    }

    /// The next direction (PR+, restarted to −g when it is not a descent direction or every `parameterCount`
    /// iterations) into `direction`, and `φ'(0) = ⟨∇f, d⟩` along it.
    private mutating func chooseDirection() -> Double {
        let size = x.count
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
        return slope0
    }

    /// The penalty's part of φ along `θ + α d`: `⟨W, d_W⟩`, `‖d_W‖²` and `‖W‖²`, with λ.
    struct LineTerms {
        let lambda: Double
        var wd = 0.0, dd = 0.0, ww = 0.0

        init(_ f: borrowing Objective, x: [Double], direction: [Double]) {
            lambda = f.lambda
            for j in 0..<(f.rows * f.d) {
                wd += x[j] * direction[j]
                dd += direction[j] * direction[j]
                ww += x[j] * x[j]
            }
        }
    }

    /// φ(α), φ'(α) and φ''(α) (see the type's comment).
    private func phi(_ f: borrowing Objective, _ line: LineTerms, _ alpha: Double) -> (value: Double, slope: Double, curvature: Double) {
        let (l, s1, s2) = f.along(logits: logits, direction: directionLogits, step: alpha)
        let lambda = line.lambda
        return (
            l + 0.5 * lambda * (line.ww + alpha * (2 * line.wd + alpha * line.dd)), s1 + lambda * (line.wd + alpha * line.dd),
            s2 + lambda * line.dd
        )
    }

    /// Safeguarded Newton on φ' in a bracket, from Newton's step at 0: the step with the lowest φ seen, and whether
    /// it met `|φ'(α)| ≤ lineSearchTolerance · |φ'(0)|` with `φ(α) ≤ φ(0) + noise`.
    private func lineSearch(
        _ f: borrowing Objective, along line: LineTerms, slope0: Double, noise: Double
    ) -> (alpha: Double, value: Double, accepted: Bool) {
        var lo = 0.0, hi = Double.infinity
        // Newton from 0, with φ''(0) from the probabilities stored by the last backward pass.
        let curvature0 = f.curvature(probabilities: probabilities, direction: directionLogits) + line.lambda * line.dd
        var alpha = curvature0 > 0 ? -slope0 / curvature0 : lastAlpha * lastSlope / slope0
        if !(alpha.isFinite && alpha > 0) { alpha = 1 }
        var best = (alpha: 0.0, value: objective)
        for _ in 0..<Trainer.lineSearchEvaluations {
            let (value, slope, curvature) = phi(f, line, alpha)
            if !(value.isFinite && slope.isFinite) {
                hi = alpha
                alpha = 0.5 * (lo + alpha)
                continue
            }
            if value < best.value { best = (alpha, value) }
            if abs(slope) <= Trainer.lineSearchTolerance * abs(slope0) && value <= objective + noise {
                return (alpha, value, true)
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
        return (best.alpha, best.value, false)
    }
}
