import CLogitKernels
import Dispatch
import Foundation

/// scikit-learn's logistic-regression objective on standardized features, and its gradient, computed from logits.
///
///     f(W, b) = L(Z) + λ/2 · ‖W‖²,   L(Z) = (1/n) Σ_i s_i · ℓ(y_i, Z_i),   Z = X Wᵀ + 1 bᵀ,   λ = 1 / (C · n)
///
/// (λ = 0 with penalty=none), where ℓ is the log-loss of the softmax over the K logits of a row (K ≥ 3), or of the
/// sigmoid of its one logit for K = 2, `s_i` the sample weight (1, or `n / (K · n_c)` with class_weight=balanced), and
/// the intercept b is not penalized. Gradient: with the residuals `R_i = s_i (p_i − e_{y_i})` (n × rows),
/// `∇_W f = (1/n) Rᵀ X + λ W` and `∇_b f = (1/n) Σ_i R_i`.
///
/// The logits are linear in θ = (W, b), so the trainer keeps them (`n × rows` values, row-major) instead of θ alone:
/// the loss at any point of a line `θ − s·g` is `L(Z − s·D)` with `D = X ∇_Wᵀ + 1 ∇_bᵀ` computed once, without
/// touching X again. The three kernels are therefore:
/// - `logits` (forward, one pass over X): Z = X Wᵀ + 1 bᵀ, a small GEMM;
/// - `lossAndGradient` (backward, one pass over X): L and ∇f from given logits, fused (residuals are never stored);
/// - `loss` (no pass over X): L(Z − s·D), O(n · rows) exponentials.
/// Their inner loops over X (`logit_forward`, `logit_backward`) and the exponentials (`logit_exp`) are C, in
/// `CLogitKernels`, in the version `kernels` names (AVX2+FMA or baseline).
///
/// Parameters are one flat vector: W row-major (`rows × d`), then b (`rows`).
/// Every kernel splits the rows into `RowChunks`, run in parallel, whose partial sums are added in chunk order, so
/// the result is the same bit for bit whatever the number of cores.
///
/// The logits matrices (`n × rows` values, row-major, made by `makeLogits()`) belong to the solver that uses them,
/// which names them for what they hold; the kernels read and write them through their `values` pointers.
struct Objective: ~Copyable, @unchecked Sendable {
    // @unchecked for `features` and `labels` only: pointers into arrays that outlive the objective and that nothing
    // writes while it exists, so the parallel chunks may read them. The scratch buffers are `DoubleBuffer`s, whose
    // chunk-sharing rule is `SharedDoubles`'s (`point` is written before a parallel pass and only read during it).
    let features: UnsafeBufferPointer<Double>
    let labels: UnsafeBufferPointer<Int32>
    let n: Int
    let d: Int
    let classCount: Int
    let rows: Int
    let lambda: Double
    let fitIntercept: Bool
    /// Which compiled version of the C kernels (passes over X, exponentials) runs.
    let kernels: KernelSet
    let chunks: RowChunks
    var parameterCount: Int { rows * (d + 1) }
    /// Values in one logits matrix (`n × rows`).
    var logitCount: Int { n * rows }

    /// The per-class sample weights (nil: every weight 1), read in the hot loop.
    private let classWeights: DoubleBuffer?
    /// Per-chunk partial sums of the kernel running.
    private let partials: DoubleBuffer
    /// The point being evaluated, copied here so the parallel chunks read it through `self`.
    private let point: DoubleBuffer

    /// Rows whose logits are turned into losses and residuals together (a stack buffer of `block × rows` values).
    static let block = 128

    init(
        features: UnsafeBufferPointer<Double>, labels: UnsafeBufferPointer<Int32>, sampleWeights: [Double]?, featureCount: Int,
        classCount: Int, lambda: Double, fitIntercept: Bool, kernels: KernelSet = .best
    ) {
        self.features = features
        self.labels = labels
        self.n = labels.count
        self.d = featureCount
        self.classCount = classCount
        self.rows = classCount == 2 ? 1 : classCount
        self.lambda = lambda
        self.fitIntercept = fitIntercept
        self.kernels = kernels
        self.chunks = RowChunks(rowCount: labels.count, featureCount: featureCount)
        self.classWeights = sampleWeights.map { DoubleBuffer(copying: $0) }
        self.partials = DoubleBuffer(count: chunks.count * max(3, rows * (featureCount + 1) + 1, 1 + rows + rows * rows))
        self.point = DoubleBuffer(count: rows * (featureCount + 1))
    }

    /// A logits matrix for this data (`n × rows`, uninitialized), to be filled by `logits(_:into:)`.
    func makeLogits() -> DoubleBuffer { DoubleBuffer(count: logitCount) }

    /// The class weights as a raw pointer (nil: every weight 1).
    private var sampleWeightPointer: UnsafeMutablePointer<Double>? {
        switch classWeights {
        case .some(let weights): weights.values.base
        case .none: nil
        }
    }

    /// `λ/2 · ‖W‖²`.
    func penalty(_ theta: [Double]) -> Double {
        var sum = 0.0
        for j in 0..<(rows * d) { sum += theta[j] * theta[j] }
        return 0.5 * lambda * sum
    }

    // MARK: - The three kernels

    /// `Z = X Wᵀ + 1 bᵀ` for θ = (W, b), into `target`: one pass over X.
    func logits(_ theta: [Double], into target: borrowing DoubleBuffer) {
        _ = UnsafeMutableBufferPointer(start: point.values.base, count: point.count).update(fromContentsOf: theta)
        let z = target.values
        chunks.forEachInParallel { chunk in
            forward(rows: chunks.rows(chunk), into: z.base)
        }
    }

    /// The logits of θ = 0 into `target`: all zero, without a pass over X (both solvers start there).
    func zeroLogits(_ target: borrowing DoubleBuffer) {
        target.values.base.update(repeating: 0, count: logitCount)
    }

    /// `target ← source − step · direction` (O(n · rows), no pass over X); `target` may be `source`.
    func step(into target: borrowing DoubleBuffer, from source: borrowing DoubleBuffer, minus step: Double, times direction: borrowing DoubleBuffer) {
        let z = target.values, a = source.values, dz = direction.values
        chunks.forEachInParallel { chunk in
            let range = chunks.rows(chunk)
            for j in (range.lowerBound * rows)..<(range.upperBound * rows) { z.base[j] = a.base[j] - step * dz.base[j] }
        }
    }

    /// f and ∇f (into `gradient`) at the point θ whose logits are in `logits`: one pass over X.
    func lossAndGradient(_ theta: [Double], logits: borrowing DoubleBuffer, gradient: inout [Double]) -> Double {
        lossAndGradient(theta, logits: logits.values, extrapolating: nil, probabilities: nil, gradient: &gradient)
    }

    /// `lossAndGradient`, also storing each row's class probabilities (`n × rows`) in `probabilities` (for
    /// `curvature(probabilities:direction:)`).
    func lossAndGradient(
        _ theta: [Double], logits: borrowing DoubleBuffer, storingProbabilitiesIn probabilities: borrowing DoubleBuffer,
        gradient: inout [Double]
    ) -> Double {
        lossAndGradient(theta, logits: logits.values, extrapolating: nil, probabilities: probabilities.values, gradient: &gradient)
    }

    /// `lossAndGradient` at a momentum point `θ = x + β (x − x_prev)`, whose logits `(1 + β) Z_x − β Z_prev` are formed
    /// from `current` (Z_x) and `previous` (Z_prev) and written to `logits` in the same pass.
    func lossAndGradient(
        atMomentumPoint theta: [Double], logits: borrowing DoubleBuffer, current: borrowing DoubleBuffer,
        previous: borrowing DoubleBuffer, beta: Double, gradient: inout [Double]
    ) -> Double {
        lossAndGradient(
            theta, logits: logits.values, extrapolating: (current.values, previous.values, beta), probabilities: nil,
            gradient: &gradient)
    }

    private func lossAndGradient(
        _ theta: [Double], logits target: SharedDoubles, extrapolating: (current: SharedDoubles, previous: SharedDoubles, beta: Double)?,
        probabilities: SharedDoubles?, gradient: inout [Double]
    ) -> Double {
        let p = parameterCount
        let stride = p + 1  // per chunk: gradient, then the loss sum
        let out = partials.values.base
        let shared = partials.values
        chunks.forEachInParallel { chunk in
            let range = chunks.rows(chunk)
            let partial = shared.base + chunk * stride
            partial.initialize(repeating: 0, count: stride)
            let z = target.base
            if let (current, previous, beta) = extrapolating {
                let a = 1 + beta, zx = current.base, zprev = previous.base
                for j in (range.lowerBound * rows)..<(range.upperBound * rows) { z[j] = a * zx[j] - beta * zprev[j] }
            }
            partial[p] = lossChunk(
                rows: range.lowerBound, range.upperBound, logits: z, direction: nil, step: 0, gradient: partial,
                probabilities: probabilities?.base)
        }
        if gradient.count != p { gradient = [Double](repeating: 0, count: p) }
        var lossSum = 0.0
        gradient.withUnsafeMutableBufferPointer { g in
            let g = g.baseAddress!
            g.update(from: out, count: p)
            lossSum = out[p]
            for chunk in 1..<max(1, chunks.count) {
                let partial = out + chunk * stride
                for j in 0..<p { g[j] += partial[j] }
                lossSum += partial[p]
            }
            let inverseN = 1 / Double(n)
            for j in 0..<(rows * d) { g[j] = g[j] * inverseN + lambda * theta[j] }
            for j in (rows * d)..<p { g[j] = fitIntercept ? g[j] * inverseN : 0 }
        }
        return lossSum / Double(n) + penalty(theta)
    }

    /// `L(Z)`, the mean weighted loss (no penalty) at the logits `logits`. No pass over X: O(n · rows) exponentials.
    func loss(logits: borrowing DoubleBuffer) -> Double {
        loss(logits: logits.values, minus: 0, times: nil)
    }

    /// `L(Z − s·D)`, the mean weighted loss (no penalty) at the logits `logits − step · direction`. No pass over X:
    /// O(n · rows) exponentials.
    func loss(logits: borrowing DoubleBuffer, minus step: Double, times direction: borrowing DoubleBuffer) -> Double {
        loss(logits: logits.values, minus: step, times: direction.values)
    }

    private func loss(logits source: SharedDoubles, minus step: Double, times direction: SharedDoubles?) -> Double {
        let shared = partials.values
        chunks.forEachInParallel { chunk in
            let range = chunks.rows(chunk)
            shared.base[chunk] = lossChunk(
                rows: range.lowerBound, range.upperBound, logits: source.base, direction: direction?.base, step: step, gradient: nil)
        }
        var sum = 0.0
        for chunk in 0..<chunks.count { sum += shared.base[chunk] }
        return sum / Double(n)
    }

    /// The mean weighted loss along a line and its first two derivatives there, at the logits `Z + α·D` (`logits`
    /// and `direction`), without the penalty and with no pass over X (O(n · rows) exponentials):
    ///
    ///     L(α) = (1/n) Σ_i s_i ℓ(y_i, Z_i + α D_i)
    ///     L'(α) = (1/n) Σ_i s_i (p_i − e_{y_i}) · D_i
    ///     L''(α) = (1/n) Σ_i s_i D_iᵀ (diag p_i − p_i p_iᵀ) D_i     (binary: s_i σ(1 − σ) D_i²)
    ///
    /// with p_i the probabilities at `Z_i + α D_i`. These are derivatives of a 1-D function along a direction (the
    /// nonlinear CG's line search): no Hessian matrix is formed.
    func along(
        logits: borrowing DoubleBuffer, direction: borrowing DoubleBuffer, step alpha: Double
    ) -> (value: Double, slope: Double, curvature: Double) {
        let z = logits.values, dz = direction.values, shared = partials.values
        chunks.forEachInParallel { chunk in
            let range = chunks.rows(chunk)
            let r = lineChunk(rows: range.lowerBound, range.upperBound, logits: z.base, direction: dz.base, step: alpha)
            let out = shared.base + 3 * chunk
            out[0] = r.0
            out[1] = r.1
            out[2] = r.2
        }
        let out = shared.base
        var value = 0.0, slope = 0.0, curvature = 0.0
        for chunk in 0..<chunks.count {
            value += out[3 * chunk]
            slope += out[3 * chunk + 1]
            curvature += out[3 * chunk + 2]
        }
        let inverseN = 1 / Double(n)
        return (value * inverseN, slope * inverseN, curvature * inverseN)
    }

    /// `L''(0)` of `along` from the probabilities `p_i` stored by `lossAndGradient(storingProbabilitiesIn:)` at the
    /// same point and the direction's logits D: `(1/n) Σ_i s_i D_iᵀ (diag p_i − p_i p_iᵀ) D_i` (binary:
    /// `s_i σ(1 − σ) D_i²`). No exponentials: about a quarter of an `along` evaluation (it lets the line search start
    /// with a Newton step).
    func curvature(probabilities: borrowing DoubleBuffer, direction: borrowing DoubleBuffer) -> Double {
        let probabilityValues = probabilities.values, directionValues = direction.values, shared = partials.values
        chunks.forEachInParallel { chunk in
            let k = rows
            let p = probabilityValues.base, dz = directionValues.base
            let weights = sampleWeightPointer
            var sum = 0.0
            for i in chunks.rows(chunk) {
                let s = weights?[Int(labels[i])] ?? 1
                if k == 1 {
                    let sigma = p[i], di = dz[i]
                    sum += s * sigma * (1 - sigma) * di * di
                } else {
                    var first = 0.0, second = 0.0
                    for c in 0..<k {
                        let pd = p[i * k + c] * dz[i * k + c]
                        first += pd
                        second += pd * dz[i * k + c]
                    }
                    sum += s * max(0, second - first * first)
                }
            }
            shared.base[chunk] = sum
        }
        var total = 0.0
        for chunk in 0..<chunks.count { total += shared.base[chunk] }
        return total / Double(n)
    }

    /// The sums of `along` over rows `start..<end` (same exponentials and log batching as `lossChunk`).
    private func lineChunk(
        rows start: Int, _ end: Int, logits z: UnsafeMutablePointer<Double>, direction: UnsafeMutablePointer<Double>, step: Double
    ) -> (Double, Double, Double) {
        var loss = 0.0, slope = 0.0, curvature = 0.0
        let logs = forEachBlock(rows: start, end) { t, saved, i0, m, logs in
            logit_loss_block(
                kernels.code, m, rows, z + i0 * rows, direction + i0 * rows, step, labels.baseAddress! + i0, sampleWeightPointer, t,
                saved, 0, nil, &loss, &logs, &slope, &curvature)
        }
        return (loss + logs, slope, curvature)
    }

    /// Rows `start..<end` in blocks of `block` rows: `body(t, saved, i0, m, logs)` with scratch for the block's
    /// `m × rows` logits (`t`) and `m` values (`saved`), and the running log sum (see `logit_log_sum`); returns that
    /// sum's total.
    @inline(__always)
    private func forEachBlock(
        rows start: Int, _ end: Int,
        body: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, Int, Int, inout logit_log_sum) -> Void
    ) -> Double {
        let block = Self.block
        var logs = logit_log_sum(sum: 0, product: 1, count: 0, batch: BatchedLogSum.batchSize(classCount: classCount))
        withUnsafeTemporaryAllocation(of: Double.self, capacity: block * (rows + 1)) { scratch in
            let t = scratch.baseAddress!
            var i0 = start
            while i0 < end {
                let m = min(block, end - i0)
                body(t, t + block * rows, i0, m, &logs)
                i0 += m
            }
        }
        return logs.sum + log(logs.product)
    }

    // MARK: - Chunk bodies

    /// Logits of rows `range` from the parameters in `point` (`logit_forward`, C: see `KernelSet`).
    private func forward(rows range: Range<Int>, into z: UnsafeMutablePointer<Double>) {
        let w = UnsafePointer(point.values.base)
        logit_forward(kernels.code, features.baseAddress!, w, w + rows * d, d, rows, range.lowerBound, range.upperBound, z)
    }

    /// `G += Rᵀ X` for `m` rows starting at `x` with residuals `r` (`m × rows`), G the `rows × d` block of `g`, and
    /// the intercept sums `g[rows·d + c] += Σ_i r_ic` (`logit_backward`, C: see `KernelSet`).
    private func backward(_ x: UnsafePointer<Double>, _ m: Int, residuals r: UnsafePointer<Double>, into g: UnsafeMutablePointer<Double>) {
        logit_backward(kernels.code, x, m, d, rows, r, g)
    }

    /// The weighted loss sum of rows `start..<end` at the logits `z − step · direction`, and with `gradient` given, the
    /// residuals' contribution `Rᵀ X` (and `Σ R` for the intercepts) added to it.
    ///
    /// Binary (one logit z): `ℓ = softplus(z) − y z` and `∂ℓ/∂z = σ(z) − y`, both from one `e = exp(−|z|)`:
    /// `softplus(z) = max(z, 0) + log1p(e)`, `σ(z) = 1/(1+e)` for z ≥ 0 and `e/(1+e)` otherwise.
    /// Softmax (K logits): `ℓ = log Σ_c e^{z_c − m} − (z_y − m)` with `m = max_c z_c`, `∂ℓ/∂z_c = p_c − [c = y]`.
    /// The per-row work of a block (exponentials, losses, residuals) is `logit_loss_block` (C, the same arithmetic as
    /// the Swift it replaced): on 1,000,000 × 20 × 3 the gradient pass went 32.8 → 23.9 ms, the loss without a pass
    /// over X 13.7 → 6.1 ms, and the fit 1.66 → 1.43 s (docs/PERFORMANCE.md).
    private func lossChunk(
        rows start: Int, _ end: Int, logits z: UnsafeMutablePointer<Double>, direction: UnsafeMutablePointer<Double>?, step: Double,
        gradient: UnsafeMutablePointer<Double>?, probabilities: UnsafeMutablePointer<Double>? = nil
    ) -> Double {
        var loss = 0.0
        let logs = forEachBlock(rows: start, end) { t, saved, i0, m, logs in
            logit_loss_block(
                kernels.code, m, rows, z + i0 * rows, direction.map { $0 + i0 * rows }, -step, labels.baseAddress! + i0,
                sampleWeightPointer, t, saved, gradient == nil ? 0 : 1, probabilities.map { $0 + i0 * rows }, &loss, &logs, nil, nil)
            // Rᵀ X.
            if let gradient { backward(features.baseAddress! + i0 * d, m, residuals: t, into: gradient) }
        }
        return loss + logs
    }

    // MARK: - The intercepts alone

    /// The mean weighted loss at the logits `Z + 1 βᵀ` (`logits`: every row shifted by the same β), and its
    /// gradient and Hessian in β (`rows × rows`, row-major; only the diagonal when `fullHessian` is false):
    ///
    ///     ∂/∂β_c = (1/n) Σ_i s_i (p_ic − [y_i = c]),   ∂²/∂β_c∂β_e = (1/n) Σ_i s_i (p_ic [c = e] − p_ic p_ie)
    ///
    /// No pass over X: O(n · rows²) (O(n · rows) for the diagonal).
    func interceptTerms(
        logits: borrowing DoubleBuffer, shift beta: [Double], fullHessian: Bool
    ) -> (value: Double, gradient: [Double], hessian: [Double]) {
        let k = rows
        let stride = 1 + k + k * k
        let source = logits.values, shared = partials.values
        chunks.forEachInParallel { chunk in
            let range = chunks.rows(chunk)
            let start = range.lowerBound, end = range.upperBound
            let out = shared.base + chunk * stride
            out.initialize(repeating: 0, count: stride)
            let gradient = out + 1, hessian = out + 1 + k
            let weights = sampleWeightPointer
            var loss = 0.0
            // The logits Z + 1 βᵀ as `Z + 1 · D` with D a block of β rows; the block's probabilities into `p`.
            let logs = withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * Self.block * k) { scratch in
                let shift = scratch.baseAddress!, p = shift + Self.block * k
                for i in 0..<Self.block { for c in 0..<k { shift[i * k + c] = beta[c] } }
                return forEachBlock(rows: start, end) { t, saved, i0, m, logs in
                    logit_loss_block(
                        kernels.code, m, k, source.base + i0 * k, shift, 1, labels.baseAddress! + i0, weights, t, saved, 1, p, &loss, &logs,
                        nil, nil)
                    for i in 0..<m {
                        let label = Int(labels[i0 + i])
                        let s = weights?[label] ?? 1
                        let row = p + i * k
                        if k == 1 {
                            gradient[0] += s * (row[0] - Double(label))
                            hessian[0] += s * row[0] * (1 - row[0])
                        } else {
                            for c in 0..<k {
                                let sp = s * row[c]
                                gradient[c] += sp
                                if fullHessian {
                                    let line = hessian + c * k
                                    for e in 0..<k { line[e] -= sp * row[e] }
                                    line[c] += sp
                                } else {
                                    hessian[c * k + c] += sp * (1 - row[c])
                                }
                            }
                            gradient[label] -= s
                        }
                    }
                }
            }
            out[0] = loss + logs
        }
        var value = 0.0
        var gradient = [Double](repeating: 0, count: k), hessian = [Double](repeating: 0, count: k * k)
        let inverseN = 1 / Double(n)
        for chunk in 0..<chunks.count {
            let out = shared.base + chunk * stride
            value += out[0]
            for c in 0..<k { gradient[c] += out[1 + c] }
            for c in 0..<(k * k) { hessian[c] += out[1 + k + c] }
        }
        return (value * inverseN, gradient.map { $0 * inverseN }, hessian.map { $0 * inverseN })
    }

    /// `target` ← its logits with every row shifted by β (the logits after the intercepts moved by β).
    func shiftLogits(_ target: borrowing DoubleBuffer, by beta: [Double]) {
        let values = target.values
        chunks.forEachInParallel { chunk in
            let z = values.base
            for i in chunks.rows(chunk) {
                for c in 0..<rows { z[i * rows + c] += beta[c] }
            }
        }
    }
}
