/// Hooks for `logit-bench`: time the numeric kernels in isolation. Not used by the service.
public enum TrainerBenchmark {
    /// What one timed kernel did, in seconds per call.
    public struct Timing: Sendable {
        /// The fused pass: logits, probabilities, loss and gradient.
        public var gradientPass: [Double]
        /// The value-only pass the line search uses: logits and loss.
        public var valuePass: [Double]
        /// Bytes of the feature matrix (read once per pass).
        public var matrixBytes: Int
    }

    /// Standardizes `set` as a fit does, then times `repetitions` gradient passes and value passes at a fixed,
    /// non-trivial point (every weight 0.01, every intercept 0).
    public static func passes(_ set: TrainingSet, repetitions: Int) -> Timing {
        var training = set
        let d = training.featureCount
        let standardizer = Standardizer(fitting: training.features, rows: training.rowCount, columns: d)
        standardizer.transform(&training.features)
        let clock = ContinuousClock()
        return training.features.withUnsafeBufferPointer { x in
            training.labels.withUnsafeBufferPointer { y in
                let objective = Objective(
                    features: x, labels: y, sampleWeights: nil, featureCount: d, classCount: training.classes.count,
                    lambda: 1 / Double(training.rowCount), fitIntercept: true)
                defer { objective.deallocate() }
                var theta = [Double](repeating: 0.01, count: objective.parameterCount)
                for j in (objective.rows * d)..<objective.parameterCount { theta[j] = 0 }
                var gradient = [Double]()
                var sink = 0.0
                var gradientTimes: [Double] = [], valueTimes: [Double] = []
                for _ in 0..<repetitions {
                    let start = clock.now
                    sink += objective.evaluate(theta, gradient: &gradient)
                    gradientTimes.append((clock.now - start) / .seconds(1))
                    let middle = clock.now
                    sink += objective.value(theta)
                    valueTimes.append((clock.now - middle) / .seconds(1))
                }
                precondition(sink.isFinite)
                return Timing(gradientPass: gradientTimes, valuePass: valueTimes, matrixBytes: x.count * MemoryLayout<Double>.stride)
            }
        }
    }
}
