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
    /// With `validation_fraction`: the holdout's accuracy, log-loss, per-class precision/recall/F1, macro F1,
    /// confusion matrix and (binary) ROC AUC (`ClassificationMetrics`).
    public var validationMetrics: ClassificationMetrics?
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
        case validationMetrics = "validation_metrics"
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
/// default; `CGState`) or accelerated gradient descent (`solver=fista`, and always with a fixed `learning_rate`;
/// `FISTAState`). Both use only f, ∇f and derivatives of f along one direction (`Objective`), and the same stopping
/// rule (`StoppingRule`): with the L2 penalty, a certificate that the objective is within `tol` of the optimum,
/// relative to it. CG needs 2–4× fewer iterations of the same cost (one forward and one backward pass over X) on the
/// benchmark sets (docs/PERFORMANCE.md).
///
/// Default `tol = 1e-12` (the service's default for data of up to 1,000,000 values; 1e-6 above, see
/// `TrainingParameters.defaultTolerance`): six orders of magnitude inside the 1e-6 promise, which makes the
/// coefficients (not only the objective) close enough that probabilities agree with scikit-learn's to 1e-6 (1e-9 was
/// not enough on wine); a linear convergence rate makes each factor of 10 cost only a few iterations (measured in
/// docs/PERFORMANCE.md).
/// With `penalty=none` there is no certificate (see `StoppingRule`). On separable data the infimum is 0 and
/// `‖∇f‖ ≥ γ · f` (γ the margin), so the fit never claims convergence there: FISTA runs to `max_iter` with finite
/// coefficients and reports `converged: false`; CG's exact line search drives f to 0 (underflow) in a few
/// iterations and ends with `no_progress`, finite coefficients and `converged: false`.
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
                if parameters.learningRate == nil && parameters.solver == .cg && lambda > 0 && n >= warmStartRows {
                    let start = try warmStart(
                        x, y, featureCount: d, classCount: k, sampleWeights: sampleWeights, lambda: lambda, parameters: parameters, kernels: kernels)
                    return try minimizeCG(objective, parameters: parameters, from: start, progress: progress)
                }
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
            summary.validationMetrics = model.metrics(raw: validation.features, labels: validation.labels.map { Int($0) })
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
                return objective.accuracy(model.weights + model.intercepts)
            }
        }
    }

    /// Training rows from which a CG fit with the L2 penalty starts from `warmStart` rather than from 0.
    static let warmStartRows = 100_000

    /// The start of a large CG fit: `warmStartIterations` of CG on every `warmStartStride`-th row, with the whole
    /// set's λ, so that its optimum is the whole set's up to the subsample's noise. It costs about a tenth of a
    /// full iteration per iteration, and the full fit then needs fewer iterations (1,000,000 × 20 × 3: 24 → 14,
    /// docs/PERFORMANCE.md). The full fit's stopping test, and so its certificate, are unchanged: only its start
    /// moves.
    static func warmStart(
        _ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Int32>, featureCount d: Int, classCount k: Int, sampleWeights: [Double]?,
        lambda: Double, parameters: TrainingParameters, kernels: KernelSet
    ) throws(TrainingError) -> [Double] {
        let rows = stride(from: 0, to: y.count, by: warmStartStride)
        var features: [Double] = []
        features.reserveCapacity(rows.underestimatedCount * d)
        for row in rows { features.append(contentsOf: x[(row * d)..<((row + 1) * d)]) }
        let labels = rows.map { y[$0] }
        var subsample = parameters
        subsample.maxIter = warmStartIterations
        return try features.withUnsafeBufferPointer { (sx) throws(TrainingError) in
            try labels.withUnsafeBufferPointer { (sy) throws(TrainingError) in
                let objective = Objective(
                    features: sx, labels: sy, sampleWeights: sampleWeights, featureCount: d, classCount: k, lambda: lambda,
                    fitIntercept: parameters.fitIntercept, kernels: kernels)
                return try minimizeCG(objective, parameters: subsample) { _ in true }.theta
            }
        }
    }

    static let warmStartStride = 10
    static let warmStartIterations = 10

    /// Iterations between exact recomputations of the tracked logits (see `FISTAState` and `CGState`).
    static let refreshInterval = 100

    /// The solver of `parameters`: FISTA whenever a fixed `learningRate` is set (a fixed step is FISTA's), else
    /// `parameters.solver`.
    static func minimize(
        _ f: borrowing Objective, parameters: TrainingParameters, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        if parameters.learningRate == nil && parameters.solver == .cg {
            return try minimizeCG(f, parameters: parameters, progress: progress)
        }
        return try minimizeFISTA(f, parameters: parameters, progress: progress)
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
        _ f: borrowing Objective, _ x: [Double], logits zx: borrowing DoubleBuffer, exact: Bool, objective: Double, history: inout [Double],
        passes: inout Int,
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

    /// At most `limit` values of a history, evenly spaced, always with the first and last.
    static func sampled(_ history: [Double], atMost limit: Int) -> [Double] {
        guard history.count > limit else { return history }
        return (0..<limit).map { history[Int((Double($0) * Double(history.count - 1) / Double(limit - 1)).rounded())] }
    }
}
