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
    // disjoint chunks inside one `evaluate` call, and `evaluate` is never called concurrently with itself
    // (`point` is written before the parallel pass and only read during it).
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

    /// Rows per chunk: about 64 Ki matrix values (512 KB, half an L2 cache), at least 64 rows and at most 8192. It
    /// depends only on the shape of the data, never on the number of cores, so the reduction order (and the
    /// result, bit for bit) is the same on any machine.
    let chunkRows: Int
    let chunkCount: Int
    /// The per-class sample weights as a raw pointer (nil: every weight 1), read in the hot loop.
    private let sampleWeightPointer: UnsafeMutablePointer<Double>?
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
        let chunkRows = max(64, min(8192, 65_536 / max(1, featureCount)))
        self.chunkRows = chunkRows
        self.chunkCount = max(1, (labels.count + chunkRows - 1) / chunkRows)
        if let sampleWeights {
            let pointer = UnsafeMutablePointer<Double>.allocate(capacity: sampleWeights.count)
            pointer.initialize(from: sampleWeights, count: sampleWeights.count)
            self.sampleWeightPointer = pointer
        } else {
            self.sampleWeightPointer = nil
        }
        self.partials = .allocate(capacity: chunkCount * (rows * (featureCount + 1) + 1))
        self.point = .allocate(capacity: rows * (featureCount + 1))
    }

    func deallocate() {
        partials.deallocate()
        point.deallocate()
        sampleWeightPointer?.deallocate()
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

    /// `Σ_j a[j] · b[j]` with four independent accumulators, added in a fixed order (so the result is deterministic).
    ///
    /// Hand-unrolled: a single accumulator is one chain of dependent adds (4 cycles each); four chains let the core
    /// overlap them. Measured on 100,000 × 20 × 3 (release, 2 shared cores): value pass 4.9 → 3.4 ms, gradient pass
    /// 6.5 → 5.2 ms (docs/PERFORMANCE.md).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var j = 0
        while j + 4 <= count {
            s0 += a[j] * b[j]
            s1 += a[j + 1] * b[j + 1]
            s2 += a[j + 2] * b[j + 2]
            s3 += a[j + 3] * b[j + 3]
            j += 4
        }
        while j < count {
            s0 += a[j] * b[j]
            j += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// `g[j] += r · x[j]` for `j < count` (the compiler vectorizes this loop).
    @inline(__always)
    static func axpy(_ r: Double, _ x: UnsafePointer<Double>, _ g: UnsafeMutablePointer<Double>, _ count: Int) {
        for j in 0..<count { g[j] += r * x[j] }
    }

    /// One fused pass over a chunk of rows: logits, probabilities, loss and gradient, no allocation per row.
    ///
    /// Binary (one row w): `ℓ = softplus(z) − y z` and `∂ℓ/∂z = σ(z) − y`, both from one `e = exp(−|z|)`:
    /// `softplus(z) = max(z, 0) + log1p(e)`, `σ(z) = 1/(1+e)` for z ≥ 0 and `e/(1+e)` otherwise.
    /// Softmax (K rows): `ℓ = log Σ_c e^{z_c − m} − (z_y − m)` with `m = max_c z_c`, `∂ℓ/∂z_c = p_c − [c = y]`.
    private func pass(chunk: Int, into out: UnsafeMutablePointer<Double>, wantGradient: Bool) {
        let start = chunk * chunkRows
        let end = min(n, start + chunkRows)
        let p = parameterCount
        out.initialize(repeating: 0, count: p + 1)
        let w = UnsafePointer(point.baseAddress!)
        let b = w + rows * d
        let x = features.baseAddress!
        let weights = sampleWeightPointer
        let d = self.d
        var loss = 0.0
        // Σ_i log(t_i) = log Π_i t_i: one `log` per `logBatch` rows instead of one per row. Each factor t_i is in
        // [1, K] (Σ_c e^{z_c − max}) or [1, 2] (1 + e^{−|z|}), so a product of `logBatch` factors stays below 1e300;
        // the product's rounding adds about `logBatch · ε` to a batch's log, ~1e-14, far below the 1e-6 we promise.
        // Hand-written because `log` was 17 % of a fit of 100,000 × 20 × 3 (perf); value pass 3.4 → 2.7 ms.
        let logBatch = max(1, Int(300 / log10(Double(max(2, classCount)))))
        var product = 1.0
        var batched = 0
        if rows == 1 {
            let b0 = b[0]
            for i in start..<end {
                let row = x + i * d
                let z = b0 + Self.dot(w, row, d)
                let label = Int(labels[i])
                let s = weights?[label] ?? 1
                let e = exp(-abs(z))
                if weights == nil {
                    // log1p(e) summed as the log of a product (see `logBatch`).
                    loss += max(z, 0) - (label == 1 ? z : 0)
                    product *= 1 + e
                    batched += 1
                    if batched == logBatch {
                        loss += log(product)
                        product = 1
                        batched = 0
                    }
                } else {
                    loss += s * (max(z, 0) + log1p(e) - (label == 1 ? z : 0))
                }
                guard wantGradient else { continue }
                let sigma = z >= 0 ? 1 / (1 + e) : e / (1 + e)
                let r = s * (sigma - Double(label))
                Self.axpy(r, row, out, d)
                out[d] += r
            }
        } else {
            let k = rows
            withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { logits in
                let logits = logits.baseAddress!
                for i in start..<end {
                    let row = x + i * d
                    var top = -Double.infinity
                    for c in 0..<k {
                        let z = b[c] + Self.dot(w + c * d, row, d)
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
                    let s = weights?[label] ?? 1
                    // ℓ = log Σ_c e^{z_c} − z_y = log(total) − (z_y − top); unweighted, Σ log(total) is taken as the
                    // log of a product of `logBatch` rows (see `logBatch`).
                    if weights == nil {
                        loss -= shiftedLabelLogit
                        product *= total
                        batched += 1
                        if batched == logBatch {
                            loss += log(product)
                            product = 1
                            batched = 0
                        }
                    } else {
                        loss += s * (log(total) - shiftedLabelLogit)
                    }
                    guard wantGradient else { continue }
                    let scale = s / total
                    for c in 0..<k {
                        let r = logits[c] * scale - (c == label ? s : 0)
                        Self.axpy(r, row, out + c * d, d)
                        out[k * d + c] += r
                    }
                }
            }
        }
        out[p] = loss + log(product)
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
