import Foundation
import Testing

@testable import LogitCore

/// The objective's derivatives against central differences of its values, on a small set (30 rows, 4 features) in
/// every configuration the trainer runs: binary (one sigmoid row) and 3 classes (softmax), plain and balanced
/// sample weights, with and without intercept, with the L2 penalty and without.
///
/// Tolerances: a central difference with step h has truncation error ~h²·f''' and rounding error ~ε·f/h; with
/// f, f''' = O(1) and h = 1e-5 both are below 1e-9, so 1e-6 relative (plus 1e-8 absolute for components near 0)
/// fails only on a real error. Second differences of values (step 1e-4) lose more to rounding (~ε/h² ≈ 1e-8).
@Suite struct ObjectiveDerivativeTests {
    struct Configuration: CustomStringConvertible, Sendable {
        let classCount: Int
        let balanced: Bool
        let fitIntercept: Bool
        let penalized: Bool
        var description: String {
            "K=\(classCount)\(balanced ? " balanced" : "")\(fitIntercept ? "" : " no intercept")\(penalized ? " l2" : " none")"
        }
    }

    static let configurations: [Configuration] = [2, 3].flatMap { k in
        [false, true].flatMap { balanced in
            [false, true].flatMap { intercept in
                [false, true].map { Configuration(classCount: k, balanced: balanced, fitIntercept: intercept, penalized: $0) }
            }
        }
    }

    static let rowCount = 30
    static let featureCount = 4

    /// Features in [−2, 2]; labels mostly class 0 (so balanced weights are not all 1), with a little structure so
    /// that the probabilities are not uniform.
    static func data(classCount k: Int) -> (features: [Double], labels: [Int32]) {
        var generator = LinearCongruential(seed: 7)
        var features: [Double] = [], labels: [Int32] = []
        for i in 0..<rowCount {
            let row = (0..<featureCount).map { _ in generator.uniform() * 4 - 2 }
            features += row
            labels.append(i % 3 == 0 ? Int32((i / 3) % k) : (row[0] > 0.5 ? Int32(k - 1) : 0))
        }
        return (features, labels)
    }

    /// A deterministic point (or direction) with `count` values of order `scale`.
    static func vector(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var generator = LinearCongruential(seed: seed)
        return (0..<count).map { _ in (generator.uniform() * 2 - 1) * scale }
    }

    func withObjective<R>(_ configuration: Configuration, _ body: (borrowing Objective) throws -> R) rethrows -> R {
        let (features, labels) = Self.data(classCount: configuration.classCount)
        var weights: [Double]? = nil
        if configuration.balanced {
            let k = configuration.classCount
            let counts = (0..<k).map { c in labels.filter { $0 == c }.count }
            weights = counts.map { Double(Self.rowCount) / Double(k * $0) }
        }
        return try features.withUnsafeBufferPointer { x in
            try labels.withUnsafeBufferPointer { y in
                let objective = Objective(
                    features: x, labels: y, sampleWeights: weights, featureCount: Self.featureCount,
                    classCount: configuration.classCount, lambda: configuration.penalized ? 0.05 : 0,
                    fitIntercept: configuration.fitIntercept)
                return try body(objective)
            }
        }
    }

    /// f(θ) computed from X (a forward pass and the loss), the function every derivative here is checked against.
    func value(_ f: borrowing Objective, _ theta: [Double]) -> Double {
        let logits = f.makeLogits()
        f.logits(theta, into: logits)
        return f.loss(logits: logits) + f.penalty(theta)
    }

    static func expectClose(
        _ actual: Double, _ expected: Double, relative: Double = 1e-6, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(abs(actual - expected) <= relative * abs(expected) + 1e-8, "\(what): \(actual) vs \(expected)", sourceLocation: sourceLocation)
    }

    @Test(arguments: configurations)
    func valueIsTheWeightedLogLossPlusThePenalty(configuration: Configuration) {
        withObjective(configuration) { f in
            let theta = Self.vector(f.parameterCount, seed: 11)
            let (features, labels) = Self.data(classCount: configuration.classCount)
            let k = configuration.classCount, d = Self.featureCount, rows = f.rows
            var counts = [Double](repeating: 0, count: k)
            for label in labels { counts[Int(label)] += 1 }
            var total = 0.0
            for i in 0..<Self.rowCount {
                let x = features[(i * d)..<(i * d + d)]
                func logit(_ row: Int) -> Double {
                    zip(x, theta[(row * d)..<(row * d + d)]).reduce(theta[rows * d + row]) { $0 + $1.0 * $1.1 }
                }
                let label = Int(labels[i])
                let probability: Double
                if k == 2 {
                    let p1 = 1 / (1 + exp(-logit(0)))
                    probability = label == 1 ? p1 : 1 - p1
                } else {
                    let exponentials = (0..<k).map { exp(logit($0)) }
                    probability = exponentials[label] / exponentials.reduce(0, +)
                }
                let weight = configuration.balanced ? Double(Self.rowCount) / (Double(k) * counts[label]) : 1
                total -= weight * log(probability)
            }
            let penalty = configuration.penalized ? 0.5 * 0.05 * theta[0..<(rows * d)].reduce(0) { $0 + $1 * $1 } : 0
            Self.expectClose(value(f, theta), total / Double(Self.rowCount) + penalty, relative: 1e-12, "f")
        }
    }

    @Test(arguments: configurations)
    func gradientMatchesCentralDifferences(configuration: Configuration) {
        withObjective(configuration) { f in
            let theta = Self.vector(f.parameterCount, seed: 12)
            let logits = f.makeLogits()
            f.logits(theta, into: logits)
            var gradient: [Double] = []
            let fTheta = f.lossAndGradient(theta, logits: logits, gradient: &gradient)
            Self.expectClose(fTheta, value(f, theta), relative: 1e-14, "f from the backward pass")
            let h = 1e-5
            for j in 0..<f.parameterCount {
                var plus = theta, minus = theta
                plus[j] += h
                minus[j] -= h
                let difference = (value(f, plus) - value(f, minus)) / (2 * h)
                if j >= f.rows * f.d && !configuration.fitIntercept {
                    // Without intercept b stays 0: its gradient is reported as 0 so that no solver moves it.
                    #expect(gradient[j] == 0)
                } else {
                    Self.expectClose(gradient[j], difference, "∂f/∂θ_\(j)")
                }
            }
        }
    }

    @Test(arguments: configurations)
    func derivativesAlongALineMatchDifferencesOfTheLoss(configuration: Configuration) {
        withObjective(configuration) { f in
            let logits = f.makeLogits(), direction = f.makeLogits(), moved = f.makeLogits()
            f.logits(Self.vector(f.parameterCount, seed: 13), into: logits)
            f.logits(Self.vector(f.parameterCount, seed: 14, scale: 0.5), into: direction)
            let h = 1e-5
            for alpha in [0, 0.3, -0.7] {
                var lossAt: [Double: Double] = [:]
                for offset in [-1e-4, -h, 0, h, 1e-4] {
                    f.step(into: moved, from: logits, minus: -(alpha + offset), times: direction)
                    lossAt[offset] = f.loss(logits: moved)
                }
                let loss = { (offset: Double) in lossAt[offset]! }
                let line = f.along(logits: logits, direction: direction, step: alpha)
                Self.expectClose(line.value, loss(0), relative: 1e-13, "L(\(alpha))")
                Self.expectClose(line.slope, (loss(h) - loss(-h)) / (2 * h), "L'(\(alpha))")
                let slopes =
                    (f.along(logits: logits, direction: direction, step: alpha + h).slope
                        - f.along(logits: logits, direction: direction, step: alpha - h).slope) / (2 * h)
                Self.expectClose(line.curvature, slopes, "L''(\(alpha)) from slopes")
                let wide = 1e-4
                let values = (loss(wide) - 2 * loss(0) + loss(-wide)) / (wide * wide)
                Self.expectClose(line.curvature, values, relative: 1e-5, "L''(\(alpha)) from values")
            }
        }
    }

    @Test(arguments: configurations)
    func curvatureFromStoredProbabilitiesIsTheLineCurvatureAtZero(configuration: Configuration) {
        withObjective(configuration) { f in
            let theta = Self.vector(f.parameterCount, seed: 15)
            let logits = f.makeLogits(), direction = f.makeLogits(), probabilities = f.makeLogits()
            f.logits(theta, into: logits)
            f.logits(Self.vector(f.parameterCount, seed: 16), into: direction)
            var gradient: [Double] = []
            _ = f.lossAndGradient(theta, logits: logits, storingProbabilitiesIn: probabilities, gradient: &gradient)
            let line = f.along(logits: logits, direction: direction, step: 0)
            Self.expectClose(f.curvature(probabilities: probabilities, direction: direction), line.curvature, relative: 1e-12, "L''(0)")
        }
    }

    @Test(arguments: configurations)
    func interceptTermsMatchDifferences(configuration: Configuration) {
        withObjective(configuration) { f in
            let logits = f.makeLogits()
            f.logits(Self.vector(f.parameterCount, seed: 17), into: logits)
            let k = f.rows
            let beta = Self.vector(k, seed: 18, scale: 0.4)
            let terms = f.interceptTerms(logits: logits, shift: beta, fullHessian: true)
            let diagonal = f.interceptTerms(logits: logits, shift: beta, fullHessian: false)

            let shifted = f.makeLogits()
            shifted.values.base.update(from: logits.values.base, count: f.logitCount)
            f.shiftLogits(shifted, by: beta)
            Self.expectClose(terms.value, f.loss(logits: shifted), relative: 1e-13, "value at Z + 1βᵀ")

            let h = 1e-5
            func moved(_ c: Int, by step: Double) -> [Double] {
                var trial = beta
                trial[c] += step
                return trial
            }
            for c in 0..<k {
                let plus = f.interceptTerms(logits: logits, shift: moved(c, by: h), fullHessian: true)
                let minus = f.interceptTerms(logits: logits, shift: moved(c, by: -h), fullHessian: true)
                Self.expectClose(terms.gradient[c], (plus.value - minus.value) / (2 * h), "∂/∂β_\(c)")
                for e in 0..<k {
                    let difference = (plus.gradient[e] - minus.gradient[e]) / (2 * h)
                    Self.expectClose(terms.hessian[c * k + e], difference, "∂²/∂β_\(c)∂β_\(e)")
                }
                Self.expectClose(diagonal.hessian[c * k + c], terms.hessian[c * k + c], relative: 1e-13, "diagonal \(c)")
            }
        }
    }
}
