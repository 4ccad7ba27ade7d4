import Dispatch
import Foundation

/// scikit-learn's logistic-regression objective on standardized features, and its gradient.
///
///     f(W, b) = (1/n) Σ_i s_i · ℓ(y_i, W z_i + b) + λ/2 · ‖W‖²,   λ = 1 / (C · n)  (0 with penalty=none)
///
/// where ℓ is the log-loss of the softmax over K rows (K ≥ 3), or of the sigmoid of one row for K = 2,
/// `s_i` the sample weight (1, or `n / (K · n_c)` with class_weight=balanced), and the intercept b is not penalized.
/// Gradient: `∇_W f = (1/n) Σ_i s_i (p_i − e_{y_i}) z_iᵀ + λ W`, `∇_b f = (1/n) Σ_i s_i (p_i − e_{y_i})`.
///
/// Parameters are one flat vector: W row-major (`rows × d`), then b (`rows`).
/// The pass is split into fixed chunks of rows whose partial sums are added in chunk order, so the result is
/// the same bit for bit whatever the number of cores; chunks run in parallel with `concurrentPerform`.
struct Objective: @unchecked Sendable {
    // @unchecked: the only stored state is immutable after init; the scratch `partials` buffer is written by
    // disjoint chunks inside one `evaluate` call, and `evaluate` is never called concurrently with itself.
    let features: UnsafeBufferPointer<Double>
    let labels: UnsafeBufferPointer<Int32>
    let sampleWeights: [Double]?
    let n: Int
    let d: Int
    let classCount: Int
    let rows: Int
    let lambda: Double
    let fitIntercept: Bool
    var parameterCount: Int { rows * (d + 1) }

    static let chunkRows = 4096
    let chunkCount: Int
    private let partials: UnsafeMutableBufferPointer<Double>
    /// The point being evaluated, copied here so the parallel chunks read it through `self`.
    private let point: UnsafeMutableBufferPointer<Double>

    init(features: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<Int32>, sampleWeights: [Double]?, featureCount: Int,
         classCount: Int, lambda: Double, fitIntercept: Bool) {
        self.features = features
        self.labels = labels
        self.sampleWeights = sampleWeights
        self.n = labels.count
        self.d = featureCount
        self.classCount = classCount
        self.rows = classCount == 2 ? 1 : classCount
        self.lambda = lambda
        self.fitIntercept = fitIntercept
        self.chunkCount = max(1, (labels.count + Self.chunkRows - 1) / Self.chunkRows)
        self.partials = .allocate(capacity: chunkCount * (rows * (featureCount + 1) + 1))
        self.point = .allocate(capacity: rows * (featureCount + 1))
    }

    func deallocate() {
        partials.deallocate()
        point.deallocate()
    }

    /// f(θ); and ∇f(θ) into `gradient` when it is given.
    func evaluate(_ theta: [Double], gradient: inout [Double]) -> Double { evaluate(theta, gradient: &gradient, wantGradient: true) }

    func value(_ theta: [Double]) -> Double {
        var unused: [Double] = []
        return evaluate(theta, gradient: &unused, wantGradient: false)
    }

    private func evaluate(_ theta: [Double], gradient: inout [Double], wantGradient: Bool) -> Double {
        let stride = parameterCount + 1  // per chunk: gradient, then the loss sum
        _ = point.update(fromContentsOf: theta)
        if chunkCount == 1 {
            pass(chunk: 0, into: partials.baseAddress!, wantGradient: wantGradient)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
                pass(chunk: chunk, into: partials.baseAddress! + chunk * stride, wantGradient: wantGradient)
            }
        }
        var lossSum = 0.0
        for chunk in 0..<chunkCount { lossSum += partials[chunk * stride + parameterCount] }
        var penalty = 0.0
        for j in 0..<(rows * d) { penalty += theta[j] * theta[j] }
        let objective = lossSum / Double(n) + 0.5 * lambda * penalty
        guard wantGradient else { return objective }

        if gradient.count != parameterCount { gradient = [Double](repeating: 0, count: parameterCount) }
        let inverseN = 1 / Double(n)
        for j in 0..<parameterCount {
            var sum = 0.0
            for chunk in 0..<chunkCount { sum += partials[chunk * stride + j] }
            gradient[j] = sum * inverseN
        }
        for j in 0..<(rows * d) { gradient[j] += lambda * theta[j] }
        if !fitIntercept { for j in (rows * d)..<parameterCount { gradient[j] = 0 } }
        return objective
    }

    /// One fused pass over a chunk of rows: logits, probabilities, loss and gradient, no allocation per row.
    private func pass(chunk: Int, into out: UnsafeMutablePointer<Double>, wantGradient: Bool) {
        let start = chunk * Self.chunkRows
        let end = min(n, start + Self.chunkRows)
        let p = parameterCount
        out.initialize(repeating: 0, count: p + 1)
        let w = UnsafePointer(point.baseAddress!)
        let b = w + rows * d
        let x = features.baseAddress!
        var loss = 0.0
        if rows == 1 {
            for i in start..<end {
                let row = x + i * d
                var z = b[0]
                for j in 0..<d { z += w[j] * row[j] }
                let y = Double(labels[i])
                let s = sampleWeights?[Int(labels[i])] ?? 1
                loss += s * (Numerics.softplus(z) - y * z)
                guard wantGradient else { continue }
                let r = s * (Numerics.sigmoid(z) - y)
                for j in 0..<d { out[j] += r * row[j] }
                out[d] += r
            }
        } else {
            let k = rows
            withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { logits in
                for i in start..<end {
                    let row = x + i * d
                    var top = -Double.infinity
                    for c in 0..<k {
                        let wc = w + c * d
                        var z = b[c]
                        for j in 0..<d { z += wc[j] * row[j] }
                        logits[c] = z
                        top = max(top, z)
                    }
                    let label = Int(labels[i])
                    let shiftedLabelLogit = logits[label] - top
                    var total = 0.0
                    for c in 0..<k {
                        let e = exp(logits[c] - top)
                        total += e
                        logits[c] = e  // now e^{z_c - top}
                    }
                    let s = sampleWeights?[label] ?? 1
                    // ℓ = log Σ_c e^{z_c} − z_y = log(total) − (z_y − top)
                    loss += s * (log(total) - shiftedLabelLogit)
                    guard wantGradient else { continue }
                    let inverseTotal = 1 / total
                    for c in 0..<k {
                        let r = s * (logits[c] * inverseTotal - (c == label ? 1 : 0))
                        let gc = out + c * d
                        for j in 0..<d { gc[j] += r * row[j] }
                        out[k * d + c] += r
                    }
                }
            }
        }
        out[p] = loss
    }

    /// The fraction of rows whose most probable class is their label.
    func accuracy(_ theta: [Double]) -> Double {
        guard n > 0 else { return 0 }
        var correct = 0
        theta.withUnsafeBufferPointer { parameters in
            let w = parameters.baseAddress!
            let b = w + rows * d
            for i in 0..<n {
                let row = features.baseAddress! + i * d
                var best = 0
                var bestLogit = -Double.infinity
                for c in 0..<rows {
                    var z = b[c]
                    for j in 0..<d { z += w[c * d + j] * row[j] }
                    if z > bestLogit { bestLogit = z; best = c }
                }
                let predicted = rows == 1 ? (bestLogit > 0 ? 1 : 0) : best
                if predicted == Int(labels[i]) { correct += 1 }
            }
        }
        return Double(correct) / Double(n)
    }
}
