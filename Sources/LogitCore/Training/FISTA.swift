extension Trainer {
    /// The trial step of each iteration is the last accepted one times this factor (then halved until the sufficient
    /// decrease holds). Trials cost no pass over X, so a bold growth is cheap; measured on the benchmark sets
    /// (docs/PERFORMANCE.md): 1/0.9 → 1.5 cut iterations 104 → 73 (100,000 × 20 × 3) and 183 → 135 (20,000 × 500 × 10);
    /// 2 gave 63 and 142.
    static let stepGrowth = 1.5

    /// FISTA with backtracking and adaptive restart, on tracked logits (see `FISTAState`).
    static func minimizeFISTA(
        _ f: borrowing Objective, parameters: TrainingParameters, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        var state = FISTAState(f, parameters: parameters)
        var history = [state.objective]
        var iteration = 0
        var reason = TrainingSummary.StopReason.maxIter
        while iteration < parameters.maxIter {
            iteration += 1
            if case .stopped(let why) = try state.step(f, iteration: iteration) {
                reason = why
                history.append(state.objective)
                break
            }
            try record(state.objective, iteration: iteration, maxIter: parameters.maxIter, history: &history, progress: progress)
        }
        let summary = finalSummary(
            f, state.x, logits: state.currentLogits, exact: state.isExact, objective: state.objective, history: &history,
            passes: &state.passes, iteration: iteration, reason: reason, gradientNorm: state.gradientNorm, gapBound: state.gapBound)
        return (state.x, summary)
    }
}

/// What an iteration of a solver did.
enum StepOutcome: Equatable {
    /// It moved to a new iterate: its objective joins the history and is reported.
    case moved
    /// The fit ends here, for this reason.
    case stopped(TrainingSummary.StopReason)
    /// It found no decrease along a direction that was not −∇f and will retry along −∇f; it does not count (CG).
    case retry
}

/// FISTA's state between iterations, and its iteration (`step`).
///
/// Momentum `y = x_k + (t_k − 1)/t_{k+1} · (x_k − x_{k−1})`, a gradient step from y whose size is found by
/// backtracking (grow by `Trainer.stepGrowth` each iteration, halve until `f(y − s g) ≤ f(y) − s/2 ‖g‖²`), and an
/// adaptive restart of the momentum whenever the objective rises (O'Donoghue & Candès). First-order and full-batch
/// throughout.
///
/// The logits `Z(θ) = X Wᵀ + 1 bᵀ` are linear in θ, so the state keeps `Z_x` and `Z_prev` for the current and
/// previous iterates: the momentum point's logits are `(1 + β) Z_x − β Z_prev` and a trial step `y − s g` has
/// logits `Z_y − s D` with `D = X g_Wᵀ + 1 g_bᵀ`, one forward pass whatever the number of trials. An iteration is
/// thus one backward pass (loss and gradient at y) and one forward pass (D), and each backtracking trial costs
/// O(n · rows) exponentials instead of a pass over X.
///
/// The recurrences add rounding of order ε‖Z‖ per iteration, so `Z_x` and `Z_prev` are recomputed from X on each
/// restart and every `Trainer.refreshInterval` iterations, `Z_y` is recomputed (with f and ∇f) before the stopping
/// test is accepted, and the reported objective is always computed from X: the certificate and `summary.objective`
/// are exact, not tracked values.
struct FISTAState: ~Copyable {
    let rule: StoppingRule
    /// A fixed step instead of backtracking (nil: backtracking).
    let learningRate: Double?

    /// The iterate x_k, and its objective.
    private(set) var x: [Double]
    private(set) var objective: Double
    /// Whether `objective` comes from logits just recomputed from X (else from the recurrences).
    private(set) var isExact = true
    /// x_{k−1}.
    private var previous: [Double]
    /// The momentum point y and its gradient.
    private var y: [Double]
    private var gradient: [Double]
    /// The trial point `y − s g`.
    private var candidate: [Double]
    /// FISTA's t_k (1 after a restart).
    private var t = 1.0
    /// The step size of the last iteration.
    private var stepSize: Double
    /// The last step that passed the sufficient-decrease test outright (see `backtrack`).
    private var trustedStep = 0.0
    private var sinceRefresh = 0
    var passes = 0
    /// Of the last stopping test: `max_j |∂f/∂θ_j|` and the gap bound at y.
    private(set) var gradientNorm = Double.infinity
    private(set) var gapBound = Double.infinity

    /// Z_x, the logits of x; Z_prev, those of x_{k−1} (the two swap roles on every accepted step).
    private(set) var currentLogits: DoubleBuffer
    private var previousLogits: DoubleBuffer
    /// Z_y, the logits of the momentum point y.
    private let momentumLogits: DoubleBuffer
    /// D, the logits of the gradient at y (the direction of the step).
    private let directionLogits: DoubleBuffer

    /// At θ = 0, whose logits are all zero.
    init(_ f: borrowing Objective, parameters: TrainingParameters) {
        rule = StoppingRule(lambda: f.lambda, tolerance: parameters.tol, rowCount: f.n)
        learningRate = parameters.learningRate
        stepSize = parameters.learningRate ?? 1.0
        x = [Double](repeating: 0, count: f.parameterCount)
        previous = x
        y = x
        candidate = x
        gradient = x
        currentLogits = f.makeLogits()
        previousLogits = f.makeLogits()
        momentumLogits = f.makeLogits()
        directionLogits = f.makeLogits()
        f.zeroLogits(currentLogits)
        f.zeroLogits(previousLogits)
        objective = f.loss(logits: currentLogits) + f.penalty(x)
    }

    /// One iteration: the momentum point y, its gradient, the stopping test there, a step from y, and the restart
    /// when the objective rose.
    mutating func step(_ f: borrowing Objective, iteration: Int) throws(TrainingError) -> StepOutcome {
        sinceRefresh += 1
        let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
        let beta = (t - 1) / tNext
        for j in 0..<x.count { y[j] = x[j] + beta * (x[j] - previous[j]) }
        var fy = f.lossAndGradient(
            atMomentumPoint: y, logits: momentumLogits, current: currentLogits, previous: previousLogits, beta: beta,
            gradient: &gradient)
        passes += 1
        var test = try stoppingTest(fy, iteration: iteration)
        if test.verdict != .proceed {
            // Confirm the test on logits recomputed from X (tracked logits carry rounding from the recurrences),
            // at intercepts made optimal for y's weights, where the certificate is exact.
            f.logits(y, into: momentumLogits)
            Trainer.optimizeIntercepts(f, &y, logits: momentumLogits)
            fy = f.lossAndGradient(y, logits: momentumLogits, gradient: &gradient)
            passes += 2
            test = try stoppingTest(fy, iteration: iteration)
        }
        if case .stop(let reason) = test.verdict {
            if fy <= objective {
                x = y
                objective = fy
                isExact = true
            }
            return .stopped(reason)
        }

        f.logits(gradient, into: directionLogits)
        passes += 1
        let fCandidate = try backtrack(f, from: fy, squaredNorm: test.squaredNorm, iteration: iteration)
        guard stepSize >= 1e-30 else { return .stopped(.noProgress) }

        if fCandidate > objective + noise(fy) {
            // The momentum overshot: restart it from x (the next step is a plain gradient step), on logits
            // recomputed from X.
            t = 1
            previous = x
            // Even a plain gradient step did not decrease f: it is flat to machine precision.
            guard beta != 0 else { return .stopped(.noProgress) }
            refresh(f)
        } else {
            swap(&previous, &x)
            swap(&x, &candidate)
            // Z_prev ← Z_x, Z_x ← Z_y − s D.
            f.step(into: previousLogits, from: momentumLogits, minus: stepSize, times: directionLogits)
            swap(&currentLogits, &previousLogits)
            objective = fCandidate
            t = tNext
            isExact = false
            if sinceRefresh >= Trainer.refreshInterval { refresh(f) }
        }
        return .moved
    }

    /// The stopping rule at y (objective `fy`, gradient `gradient`), keeping what the summary reports.
    private mutating func stoppingTest(_ fy: Double, iteration: Int) throws(TrainingError) -> StoppingRule.Evaluation {
        let test = rule.evaluate(objective: fy, gradient: gradient)
        gradientNorm = test.maxAbs
        gapBound = test.gapBound
        guard test.verdict != .diverged else { throw .diverged(iteration: iteration) }
        return test
    }

    /// Near the optimum the decrease a step can make (‖g‖²/(2L) ≈ λ·gap/L) falls below the rounding noise of a sum
    /// of n losses (~1e-15 relative, measured), and a strict test would shrink the step to nothing without
    /// converging. So differences below this count as no change: a step no larger than the last one that passed
    /// strictly is accepted, and x may be replaced by a point that is not worse beyond noise. This never weakens the
    /// certificate, which is tested on the gradient at y, computed from X.
    private func noise(_ fy: Double) -> Double { 1e-13 * abs(fy) }

    /// The step from y along −g: `learningRate`, or the largest of `stepGrowth ×` the last step halved until the
    /// sufficient decrease `f(y − s g) ≤ f(y) − s/2 ‖g‖²` holds (to `noise` for a trusted step); `stepSize` below
    /// 1e-30 when none does. Sets `candidate` and returns its objective.
    private mutating func backtrack(
        _ f: borrowing Objective, from fy: Double, squaredNorm: Double, iteration: Int
    ) throws(TrainingError) -> Double {
        var fCandidate: Double
        if let rate = learningRate {
            stepSize = rate
            for j in 0..<y.count { candidate[j] = y[j] - rate * gradient[j] }
            fCandidate = f.loss(logits: momentumLogits, minus: rate, times: directionLogits) + f.penalty(candidate)
            guard fCandidate.isFinite else { throw .diverged(iteration: iteration) }
            return fCandidate
        }
        let noise = noise(fy)
        stepSize *= Trainer.stepGrowth
        while true {
            for j in 0..<y.count { candidate[j] = y[j] - stepSize * gradient[j] }
            fCandidate = f.loss(logits: momentumLogits, minus: stepSize, times: directionLogits) + f.penalty(candidate)
            if fCandidate.isFinite {
                if fCandidate <= fy - 0.5 * stepSize * squaredNorm {
                    trustedStep = stepSize
                    break
                }
                if stepSize <= trustedStep && fCandidate <= fy - 0.5 * stepSize * squaredNorm + noise { break }
            }
            stepSize *= 0.5
            if stepSize < 1e-30 { break }
        }
        return fCandidate
    }

    /// Z_x and Z_prev recomputed from X, and f(x) from them.
    private mutating func refresh(_ f: borrowing Objective) {
        f.logits(x, into: currentLogits)
        passes += 1
        if previous == x {
            previousLogits.values.base.update(from: currentLogits.values.base, count: f.logitCount)
        } else {
            f.logits(previous, into: previousLogits)
            passes += 1
        }
        objective = f.loss(logits: currentLogits) + f.penalty(x)
        sinceRefresh = 0
        isExact = true
    }
}
