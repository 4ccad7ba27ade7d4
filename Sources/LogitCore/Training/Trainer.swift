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
        /// Every gradient component is at most `tol`.
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
    public var objectiveHistory: [Double]
    public var trainAccuracy: Double
    public var validationAccuracy: Double?
    public var trainingSeconds: Double

    enum CodingKeys: String, CodingKey {
        case converged, objective
        case nIter = "n_iter"
        case stopReason = "stop_reason"
        case gradientNorm = "gradient_max_abs"
        case objectiveHistory = "objective_history"
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

/// Fits logistic regression by full-batch accelerated gradient descent.
///
/// FISTA momentum `y = x_k + (t_k − 1)/t_{k+1} · (x_k − x_{k−1})`, a gradient step from y whose size is found by
/// backtracking (grow by 1/0.9 each iteration, halve until `f(y − s g) ≤ f(y) − s/2 ‖g‖²`), and an adaptive restart
/// of the momentum whenever the objective rises (O'Donoghue & Candès). Stops when `max_j |∇f(y)_j| ≤ tol`.
/// First-order and full-batch throughout, as the product promises.
public enum Trainer {
    public static func fit(
        _ data: consuming TrainingSet,
        parameters: TrainingParameters = TrainingParameters(),
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
                    lambda: lambda, fitIntercept: parameters.fitIntercept)
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

    static func minimize(
        _ f: Objective, parameters: TrainingParameters, progress: (TrainingProgress) -> Bool
    ) throws(TrainingError) -> (theta: [Double], summary: TrainingSummary) {
        let size = f.parameterCount
        var x = [Double](repeating: 0, count: size)
        var previous = x
        var y = x
        var candidate = x
        var gradient = x
        var fx = f.value(x)
        var history = [fx]
        var t = 1.0
        var step = parameters.learningRate ?? 1.0
        var iteration = 0
        var reason = TrainingSummary.StopReason.maxIter
        var gradientNorm = Double.infinity

        while iteration < parameters.maxIter {
            iteration += 1
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            let beta = (t - 1) / tNext
            for j in 0..<size { y[j] = x[j] + beta * (x[j] - previous[j]) }
            let fy = f.evaluate(y, gradient: &gradient)
            var squaredNorm = 0.0
            gradientNorm = 0
            for g in gradient {
                squaredNorm += g * g
                gradientNorm = max(gradientNorm, abs(g))
            }
            guard fy.isFinite, squaredNorm.isFinite else { throw .diverged(iteration: iteration) }
            if gradientNorm <= parameters.tol {
                if fy <= fx { x = y; fx = fy }
                reason = .gradientTolerance
                history.append(fx)
                break
            }

            var fCandidate: Double
            if let rate = parameters.learningRate {
                for j in 0..<size { candidate[j] = y[j] - rate * gradient[j] }
                fCandidate = f.value(candidate)
                guard fCandidate.isFinite else { throw .diverged(iteration: iteration) }
            } else {
                step /= 0.9
                while true {
                    for j in 0..<size { candidate[j] = y[j] - step * gradient[j] }
                    fCandidate = f.value(candidate)
                    if fCandidate.isFinite && fCandidate <= fy - 0.5 * step * squaredNorm { break }
                    step *= 0.5
                    if step < 1e-30 { break }
                }
            }
            if step < 1e-30 {
                reason = .noProgress
                history.append(fx)
                break
            }

            if fCandidate > fx {
                // The momentum overshot: restart it from x (the next step is a plain gradient step).
                t = 1
                previous = x
                if beta == 0 {
                    // Even a plain gradient step did not decrease f: it is flat to machine precision.
                    reason = .noProgress
                    history.append(fx)
                    break
                }
            } else {
                swap(&previous, &x)
                swap(&x, &candidate)
                fx = fCandidate
                t = tNext
            }
            history.append(fx)
            if !progress(TrainingProgress(iteration: iteration, maxIter: parameters.maxIter, objective: fx)) {
                throw .cancelled
            }
        }
        let summary = TrainingSummary(
            nIter: iteration, converged: reason == .gradientTolerance, stopReason: reason, objective: fx,
            gradientNorm: gradientNorm, objectiveHistory: sampled(history, atMost: 500), trainAccuracy: 0,
            validationAccuracy: nil, trainingSeconds: 0)
        return (x, summary)
    }

    /// At most `limit` values of a history, evenly spaced, always with the first and last.
    static func sampled(_ history: [Double], atMost limit: Int) -> [Double] {
        guard history.count > limit else { return history }
        return (0..<limit).map { history[Int((Double($0) * Double(history.count - 1) / Double(limit - 1)).rounded())] }
    }
}
