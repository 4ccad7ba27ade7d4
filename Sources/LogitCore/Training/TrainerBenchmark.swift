/// Hooks for `logit-bench`: time the numeric kernels in isolation. Not used by the service.
public enum TrainerBenchmark {
    /// What each timed kernel did, in seconds per call.
    public struct Timing: Sendable {
        /// Forward pass over X: the logits `Z = X Wᵀ + 1 bᵀ` (once per iteration, for the gradient direction).
        public var forwardPass: [Double]
        /// Backward pass over X: loss, residuals and gradient `Rᵀ X` from given logits (once per iteration).
        public var gradientPass: [Double]
        /// Loss at `Z − s·D` without touching X (once per line-search trial).
        public var lossOnly: [Double]
        /// Bytes of the feature matrix (read once per pass).
        public var matrixBytes: Int
    }

    /// Standardizes `set` as a fit does, then times `repetitions` of each kernel at a fixed, non-trivial point
    /// (every weight 0.01, every intercept 0).
    public static func passes(_ set: TrainingSet, repetitions: Int, kernels: KernelSet = .best) -> Timing {
        var training = set
        let d = training.featureCount
        let standardizer = Standardizer(fitting: training.features, rows: training.rowCount, columns: d)
        standardizer.transform(&training.features)
        let clock = ContinuousClock()
        return training.features.withUnsafeBufferPointer { x in
            training.labels.withUnsafeBufferPointer { y in
                let objective = Objective(
                    features: x, labels: y, sampleWeights: nil, featureCount: d, classCount: training.classes.count,
                    lambda: 1 / Double(training.rowCount), fitIntercept: true, kernels: kernels)
                var theta = [Double](repeating: 0.01, count: objective.parameterCount)
                for j in (objective.rows * d)..<objective.parameterCount { theta[j] = 0 }
                let z = objective.makeLogits(), dz = objective.makeLogits()
                objective.logits(theta, into: dz)
                var gradient = [Double]()
                var sink = 0.0
                var forwardTimes: [Double] = [], gradientTimes: [Double] = [], lossTimes: [Double] = []
                for _ in 0..<repetitions {
                    let start = clock.now
                    objective.logits(theta, into: z)
                    let forwardEnd = clock.now
                    sink += objective.lossAndGradient(theta, logits: z, gradient: &gradient)
                    let gradientEnd = clock.now
                    sink += objective.loss(logits: z, minus: 0.5, times: dz)
                    let lossEnd = clock.now
                    forwardTimes.append((forwardEnd - start) / .seconds(1))
                    gradientTimes.append((gradientEnd - forwardEnd) / .seconds(1))
                    lossTimes.append((lossEnd - gradientEnd) / .seconds(1))
                }
                precondition(sink.isFinite)
                return Timing(
                    forwardPass: forwardTimes, gradientPass: gradientTimes, lossOnly: lossTimes,
                    matrixBytes: x.count * MemoryLayout<Double>.stride)
            }
        }
    }
}
