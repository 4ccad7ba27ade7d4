import Foundation

/// Where a running fit is: reported to the caller after every iteration.
public struct TrainingProgress: Sendable, Equatable {
    public var iteration: Int
    public var maxIter: Int
    public var objective: Double
}

/// What a fit reports besides the model.
public struct TrainingSummary: Codable, Sendable, Equatable {
    public enum StopReason: String, Codable, Sendable {
        /// The certified objective gap is at most `tol` relative to the objective (see `Trainer`).
        case gradientTolerance = "gradient_tolerance"
        /// `max_iter` iterations were done first.
        case maxIter = "max_iter"
        /// The line search could not decrease the objective further (it is at the limit of floating point).
        case noProgress = "no_progress"
    }

    public var nIter: Int
    public var converged: Bool
    public var stopReason: StopReason
    public var objective: Double
    public var gradientNorm: Double
    /// `‖∇f‖² / (2μ)` at the last gradient evaluated: an upper bound on `f − f*` with the L2 penalty (see `Trainer`).
    public var objectiveGapBound: Double?
    public var objectiveHistory: [Double]
    /// Passes over the data (gradient passes and value-only passes of the line search).
    public var dataPasses: Int?
    public var trainAccuracy: Double
    public var validationAccuracy: Double?
    public var trainingSeconds: Double

    enum CodingKeys: String, CodingKey {
        case converged, objective
        case nIter = "n_iter"
        case stopReason = "stop_reason"
        case gradientNorm = "gradient_max_abs"
        case objectiveGapBound = "objective_gap_bound"
        case objectiveHistory = "objective_history"
        case dataPasses = "data_passes"
        case trainAccuracy = "train_accuracy"
        case validationAccuracy = "validation_accuracy"
        case trainingSeconds = "training_seconds"
    }
}

public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A non-finite objective or gradient appeared (e.g. a fixed learning rate that is too large).
    case diverged(iteration: Int)
    /// The progress callback asked to stop.
    case cancelled

    public var description: String {
        switch self {
        case .diverged(let iteration):
            "the fit diverged at iteration \(iteration) (a non-finite objective or gradient); try a smaller learning_rate or the default line search"
        case .cancelled: "training was cancelled"
        }
    }
}

/// Fits logistic regression by a full-batch first-order method: nonlinear conjugate gradient (`solver=cg`, the
/// default; `minimizeCG`) or accelerated gradient descent (`solver=fista`, and always with a fixed `learning_rate`).
/// Both use only f, ∇f and derivatives of f along one direction, and the same stopping rule below. CG needs 2–4×
/// fewer iterations of the same cost (one forward and one backward pass over X) on the benchmark sets
/// (docs/PERFORMANCE.md).
///
/// FISTA: momentum `y = x_k + (t_k − 1)/t_{k+1} · (x_k − x_{k−1})`, a gradient step from y whose size is found by
/// backtracking (grow by `stepGrowth` each iteration, halve until `f(y − s g) ≤ f(y) − s/2 ‖g‖²`), and an adaptive restart
/// of the momentum whenever the objective rises (O'Donoghue & Candès). First-order and full-batch throughout.
///
/// Stopping rule (a certificate on the objective gap, relative to the objective). With the L2 penalty the objective
/// is μ-strongly convex in W with μ ≥ λ = 1/(C·n) (the loss is convex, the penalty adds λ‖W‖²/2), and for a
/// μ-strongly convex f, `f(θ) − f* ≤ ‖∇f(θ)‖² / (2μ)`. So the fit stops at the first y with
///
///     ‖∇f(y)‖₂² / (2λ) ≤ tol · f(y)
///
/// which guarantees `f(y) ≤ (1 + tol) · f*`. The test is accepted only at logits recomputed from X and with y's
/// intercepts first moved to their optimum for its W (`optimizeIntercepts`): the unpenalized intercept is curved
/// only by the loss itself, far below λ on nearly separable data, and there the bound is then exactly the duality
/// gap. (Without that step it was ~10× optimistic on 20,000 × 500 × 10, docs/PERFORMANCE.md.) The returned point
/// is never worse than y.
/// Default `tol = 1e-12`: six orders of magnitude inside the 1e-6 promise, which makes the coefficients (not only the
/// objective) close enough that probabilities agree with scikit-learn's to 1e-6 (1e-9 was not enough on wine); a
/// linear convergence rate makes each factor of 10 cost only a few iterations (measured in docs/PERFORMANCE.md).
/// With `penalty=none` there is no λ and no certificate: the fit stops when `‖∇f(y)‖₂ ≤ √tol · f(y)` (the gradient
/// small relative to the objective). On separable data the infimum is 0 and `‖∇f‖ ≥ γ · f` (γ the margin), so the
/// fit never claims convergence there: FISTA runs to `max_iter` with finite coefficients and reports `converged: false`;
/// CG's exact line search drives f to 0 (underflow) in a few iterations, its test is on ∇f/f (no underflow), and it
/// ends with `no_progress`, finite coefficients and `converged: false`.
public enum Trainer {
    public static func fit(
        _ data: consuming TrainingSet,
        parameters: TrainingParameters = TrainingParameters(),
        kernels: KernelSet = .best,
        progress: (TrainingProgress) -> Bool = { _ in true }
    ) throws(TrainingError) -> (model: LogisticModel, summary: TrainingSummary) {
        let clock = ContinuousClock()
        let started = clock.now
        let d = data.featureCount
        let classes = data.classes
        let k = classes.count

        var (training, validation) = HoldoutSplit.split(data, fraction: parameters.validationFraction, seed: parameters.seed)
        let standardizer = Standardizer(fitting: training.features, rows: training.rowCount, columns: d)
        standardizer.transform(&training.features)

        var sampleWeights: [Double]? = nil
        if parameters.classWeight == .balanced {
            var counts = [Int](repeating: 0, count: k)
            for label in training.labels { counts[Int(label)] += 1 }
            sampleWeights = counts.map { $0 == 0 ? 0 : Double(training.rowCount) / Double(k * $0) }
        }
        let n = training.rowCount
        let lambda = parameters.penalty == .l2 ? 1 / (parameters.C * Double(n)) : 0

        let result: (theta: [Double], summary: TrainingSummary) = try training.features.withUnsafeBufferPointer { (x) throws(TrainingError) in
            try training.labels.withUnsafeBufferPointer { (y) throws(TrainingError) in
                let objective = Objective(
                    features: x, labels: y, sampleWeights: sampleWeights, featureCount: d, classCount: k,
                    lambda: lambda, fitIntercept: parameters.fitIntercept, kernels: kernels)
                defer { objective.deallocate() }
                return try minimize(objective, parameters: parameters, progress: progress)
            }
        }
        var summary = result.summary
        let rows = k == 2 ? 1 : k
        let model = LogisticModel(
            classes: classes, standardizer: standardizer,
            weights: Array(result.theta[0..<(rows * d)]), intercepts: Array(result.theta[(rows * d)...]))
        summary.trainAccuracy = accuracy(model, standardized: training)
        if var validation, validation.rowCount > 0 {
            standardizer.transform(&validation.features)
            summary.validationAccuracy = accuracy(model, standardized: validation)
        }
        summary.trainingSeconds = (clock.now - started) / .seconds(1)
        return (model, summary)
    }

    static func accuracy(_ model: LogisticModel, standardized set: TrainingSet) -> Double {
        set.features.withUnsafeBufferPointer { x in
            set.labels.withUnsafeBufferPointer { y in
                let objective = Objective(
                    features: x, labels: y, sampleWeights: nil, featureCount: set.featureCount, classCount: model.classes.count,
                    lambda: 0, fitIntercept: true)
                defer { objective.deallocate() }
                return objective.accuracy(model.weights + model.intercepts)
            }
        }
    }

    /// The trial step of each iteration is the last accepted one times this factor (then halved until the sufficient
    /// decrease holds). Trials cost no pass over X, so a bold growth is cheap; measured on the benchmark sets
    /// (docs/PERFORMANCE.md): 1/0.9 → 1.5 cut iterations 104 → 73 (100,000 × 20 × 3) and 183 → 135 (20,000 × 500 × 10);
    /// 2 gave 63 and 142.
    static let stepGrowth = 1.5

    /// Iterations between exact recomputations of the tracked logits (see `minimize`).
    static let refreshInterval = 100

    /// The solver of `parameters`: FISTA whenever a fixed `learningRate` is set (a fixed step is FISTA's), else
    /// `parameters.solver`.
    static func minimize(
        _ f: Objective, parameters: TrainingParameters, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        if parameters.learningRate == nil && parameters.solver == .cg {
            return try minimizeCG(f, parameters: parameters, progress: progress)
        }
        return try minimizeFISTA(f, parameters: parameters, progress: progress)
    }

    /// FISTA with backtracking and adaptive restart, on tracked logits.
    ///
    /// The logits `Z(θ) = X Wᵀ + 1 bᵀ` are linear in θ, so the loop keeps `Z_x` and `Z_prev` for the current and
    /// previous iterates: the momentum point's logits are `(1 + β) Z_x − β Z_prev` and a trial step `y − s g` has
    /// logits `Z_y − s D` with `D = X g_Wᵀ + 1 g_bᵀ`, one forward pass whatever the number of trials. An iteration is
    /// thus one backward pass (loss and gradient at y) and one forward pass (D), and each backtracking trial costs
    /// O(n · rows) exponentials instead of a pass over X.
    ///
    /// The recurrences add rounding of order ε‖Z‖ per iteration, so `Z_x` and `Z_prev` are recomputed from X on each
    /// restart and every `refreshInterval` iterations, `Z_y` is recomputed (with f and ∇f) before the stopping test
    /// is accepted, and the reported objective is always computed from X: the certificate and `summary.objective` are
    /// exact, not tracked values.
    static func minimizeFISTA(
        _ f: Objective, parameters: TrainingParameters, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        let size = f.parameterCount
        let m = max(1, f.logitCount)
        // Logits slots of `f`: Z_x and Z_prev swap roles on every accepted step.
        var zx = 0, zprev = 1
        let zy = 2, dz = 3
        var x = [Double](repeating: 0, count: size)
        var previous = x
        var y = x
        var candidate = x
        var gradient = x
        var passes = 0
        /// Z_x and Z_prev from X (and f(x) from them).
        func refresh() -> Double {
            f.logits(x, into: zx)
            passes += 1
            if previous == x {
                f.slot(zprev).update(from: f.slot(zx), count: m)
            } else {
                f.logits(previous, into: zprev)
                passes += 1
            }
            return f.loss(logits: zx) + f.penalty(x)
        }
        f.zeroLogits(into: zx)
        f.zeroLogits(into: zprev)
        var fx = f.loss(logits: zx) + f.penalty(x)
        var history = [fx]
        var t = 1.0
        var step = parameters.learningRate ?? 1.0
        // The last step that passed the sufficient-decrease test outright (see `noise` below).
        var trustedStep = 0.0
        var iteration = 0
        var sinceRefresh = 0
        var reason = TrainingSummary.StopReason.maxIter
        var gradientNorm = Double.infinity
        var exact = true  // whether fx is computed from logits just recomputed from X
        // μ of the stopping rule: λ with the L2 penalty (see the type's doc comment); without it the reported bound
        // uses the nominal 1/n and is not a certificate.
        let curvature = f.lambda > 0 ? f.lambda : 1 / Double(f.n)
        var gapBound = Double.infinity

        while iteration < parameters.maxIter {
            iteration += 1
            sinceRefresh += 1
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            let beta = (t - 1) / tNext
            for j in 0..<size { y[j] = x[j] + beta * (x[j] - previous[j]) }
            var fy = f.lossAndGradient(y, logits: zy, extrapolating: (zx, zprev, beta), gradient: &gradient)
            passes += 1
            var yExact = false
            var squaredNorm = 0.0
            var converged = false
            while true {
                (squaredNorm, gradientNorm) = norms(gradient)
                guard fy.isFinite, squaredNorm.isFinite else { throw .diverged(iteration: iteration) }
                gapBound = squaredNorm / (2 * curvature)
                converged = f.lambda > 0
                    ? gapBound <= parameters.tol * fy
                    : squaredNorm <= parameters.tol * fy * fy
                guard converged, !yExact else { break }
                // Confirm the test on logits recomputed from X (tracked logits carry rounding from the recurrences),
                // at intercepts made optimal for y's weights, where the certificate is exact.
                f.logits(y, into: zy)
                optimizeIntercepts(f, &y, logits: zy)
                fy = f.lossAndGradient(y, logits: zy, gradient: &gradient)
                passes += 2
                yExact = true
            }
            if converged {
                if fy <= fx {
                    x = y
                    fx = fy
                    exact = true
                }
                reason = .gradientTolerance
                history.append(fx)
                break
            }

            // Near the optimum the decrease a step can make (‖g‖²/(2L) ≈ λ·gap/L) falls below the rounding noise of a
            // sum of n losses (~1e-15 relative, measured), and a strict test would shrink the step to nothing
            // without converging. So differences below `noise` count as no change: a step no larger than the last
            // one that passed strictly is accepted, and x may be replaced by a point that is not worse beyond noise.
            // This never weakens the certificate, which is tested on the gradient at y, computed from X.
            let noise = 1e-13 * abs(fy)
            f.logits(gradient, into: dz)
            passes += 1
            var fCandidate: Double
            if let rate = parameters.learningRate {
                step = rate
                for j in 0..<size { candidate[j] = y[j] - rate * gradient[j] }
                fCandidate = f.loss(logits: zy, minus: rate, times: dz) + f.penalty(candidate)
                guard fCandidate.isFinite else { throw .diverged(iteration: iteration) }
            } else {
                step *= stepGrowth
                while true {
                    for j in 0..<size { candidate[j] = y[j] - step * gradient[j] }
                    fCandidate = f.loss(logits: zy, minus: step, times: dz) + f.penalty(candidate)
                    if fCandidate.isFinite {
                        if fCandidate <= fy - 0.5 * step * squaredNorm {
                            trustedStep = step
                            break
                        }
                        if step <= trustedStep && fCandidate <= fy - 0.5 * step * squaredNorm + noise { break }
                    }
                    step *= 0.5
                    if step < 1e-30 { break }
                }
            }
            if step < 1e-30 {
                reason = .noProgress
                history.append(fx)
                break
            }

            if fCandidate > fx + noise {
                // The momentum overshot: restart it from x (the next step is a plain gradient step), on logits
                // recomputed from X.
                t = 1
                previous = x
                if beta == 0 {
                    // Even a plain gradient step did not decrease f: it is flat to machine precision.
                    reason = .noProgress
                    history.append(fx)
                    break
                }
                fx = refresh()
                sinceRefresh = 0
                exact = true
            } else {
                swap(&previous, &x)
                swap(&x, &candidate)
                // Z_prev ← Z_x, Z_x ← Z_y − s D.
                f.step(into: zprev, from: zy, minus: step, times: dz)
                swap(&zx, &zprev)
                fx = fCandidate
                t = tNext
                exact = false
                if sinceRefresh >= refreshInterval {
                    fx = refresh()
                    sinceRefresh = 0
                    exact = true
                }
            }
            try record(fx, iteration: iteration, maxIter: parameters.maxIter, history: &history, progress: progress)
        }
        let summary = finalSummary(
            f, x, logits: zx, exact: exact, objective: fx, history: &history, passes: &passes, iteration: iteration,
            reason: reason, gradientNorm: gradientNorm, gapBound: gapBound)
        return (x, summary)
    }

    /// The end of an iteration of either solver: its objective joins the history and is reported; a `false` from
    /// `progress` cancels the fit.
    static func record(
        _ objective: Double, iteration: Int, maxIter: Int, history: inout [Double], progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) {
        history.append(objective)
        if !progress(TrainingProgress(iteration: iteration, maxIter: maxIter, objective: objective)) { throw .cancelled }
    }

    /// The end of either solver: the reported objective comes from logits recomputed from X when the last one was
    /// tracked, and the history at most 500 values.
    static func finalSummary(
        _ f: Objective, _ x: [Double], logits zx: Int, exact: Bool, objective: Double, history: inout [Double], passes: inout Int,
        iteration: Int, reason: TrainingSummary.StopReason, gradientNorm: Double, gapBound: Double
    ) -> TrainingSummary {
        var fx = objective
        if !exact {
            f.logits(x, into: zx)
            passes += 1
            fx = f.loss(logits: zx) + f.penalty(x)
            history[history.count - 1] = fx
        }
        return TrainingSummary(
            nIter: iteration, converged: reason == .gradientTolerance, stopReason: reason, objective: fx,
            gradientNorm: gradientNorm, objectiveGapBound: gapBound.isFinite ? gapBound : nil,
            objectiveHistory: sampled(history, atMost: 500), dataPasses: passes, trainAccuracy: 0,
            validationAccuracy: nil, trainingSeconds: 0)
    }

    /// ‖g‖₂² and max_j |g_j|.
    static func norms(_ gradient: [Double]) -> (squared: Double, maxAbs: Double) {
        var squared = 0.0, maxAbs = 0.0
        for g in gradient {
            squared += g * g
            maxAbs = max(maxAbs, abs(g))
        }
        return (squared, maxAbs)
    }

    /// At most `limit` values of a history, evenly spaced, always with the first and last.
    static func sampled(_ history: [Double], atMost limit: Int) -> [Double] {
        guard history.count > limit else { return history }
        return (0..<limit).map { history[Int((Double($0) * Double(history.count - 1) / Double(limit - 1)).rounded())] }
    }
}
