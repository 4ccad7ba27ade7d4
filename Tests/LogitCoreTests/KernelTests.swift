import CLogitKernels
import Foundation
import LogitCore
import LogitTestSupport
import Testing

/// The C kernels (`CLogitKernels`) against plain sums and the C library's `exp`, on shapes that exercise every remainder path (rows not a
/// multiple of 4, columns not a multiple of 4, an odd number of classes, one logit), for every set this CPU runs.
@Suite struct KernelTests {
    static let shapes: [(n: Int, d: Int, k: Int)] = [(1, 1, 1), (5, 3, 2), (7, 5, 3), (9, 8, 10), (13, 17, 1), (6, 501, 10), (11, 4, 4)]

    static func values(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(Int64(bitPattern: state >> 11) % 2001 - 1000) / 337
        }
    }

    @Test(arguments: KernelSet.available)
    func forwardGivesTheLogitsOfTheRequestedRows(kernels: KernelSet) {
        for (n, d, k) in Self.shapes {
            let x = Self.values(n * d, seed: 1), w = Self.values(k * d, seed: 2), b = Self.values(k, seed: 3)
            for (start, end) in [(0, n), (n / 2, n), (1, max(1, n - 1))] where start < end {
                var z = [Double](repeating: .nan, count: n * k)
                logit_forward(kernels.code, x, w, b, d, k, start, end, &z)
                for i in 0..<n {
                    for c in 0..<k {
                        let index = i * k + c
                        guard (start..<end).contains(i) else {
                            #expect(z[index].isNaN, "row \(i) outside \(start)..<\(end) was written")
                            continue
                        }
                        let expected = (0..<d).reduce(b[c]) { $0 + x[i * d + $1] * w[c * d + $1] }
                        let scale = (0..<d).reduce(abs(b[c])) { $0 + abs(x[i * d + $1] * w[c * d + $1]) }
                        #expect(abs(z[index] - expected) <= 1e-14 * scale, "\(kernels) n=\(n) d=\(d) k=\(k) row \(i) class \(c)")
                    }
                }
            }
        }
    }

    @Test(arguments: KernelSet.available)
    func backwardAddsTheResidualsTimesTheRows(kernels: KernelSet) {
        for (n, d, k) in Self.shapes {
            let x = Self.values(n * d, seed: 4), r = Self.values(n * k, seed: 5), initial = Self.values(k * (d + 1), seed: 6)
            var g = initial
            logit_backward(kernels.code, x, n, d, k, r, &g)
            for c in 0..<k {
                for j in 0..<d {
                    let expected = (0..<n).reduce(initial[c * d + j]) { $0 + r[$1 * k + c] * x[$1 * d + j] }
                    let scale = (0..<n).reduce(abs(initial[c * d + j])) { $0 + abs(r[$1 * k + c] * x[$1 * d + j]) }
                    #expect(abs(g[c * d + j] - expected) <= 1e-14 * scale, "\(kernels) n=\(n) d=\(d) k=\(k) class \(c) column \(j)")
                }
                let expected = (0..<n).reduce(initial[k * d + c]) { $0 + r[$1 * k + c] }
                #expect(abs(g[k * d + c] - expected) <= 1e-13, "\(kernels) intercept \(c)")
            }
        }
    }

    @Test(arguments: KernelSet.available)
    func expIsAccurateToAFewUlpOnTheWholeRange(kernels: KernelSet) {
        var arguments = stride(from: -708.0, through: 0, by: 0.0137).map { $0 }
        arguments += [0, -0.0, -1e-300, -1e-17, -0.5 * log(2.0), -log(2.0), -745, -1e300, -.infinity, .nan]
        var t = arguments
        logit_exp(kernels.code, &t, t.count)
        for (x, value) in zip(arguments, t) {
            if x.isNaN {
                #expect(value.isNaN)
                continue
            }
            let expected = Foundation.exp(max(x, -708))
            #expect(abs(value - expected) <= 4 * expected.ulp, "\(kernels): e^\(x) = \(value), expected \(expected)")
        }
    }

    /// The per-row work of a block against the softmax (or sigmoid) written out plainly: the loss, the residuals
    /// s (p − e_y), the probabilities, and the line search's slope and curvature along a direction, for the unrolled
    /// widths (1, 3, 4 logits) and another (5), with and without class weights.
    @Test(arguments: KernelSet.available)
    func theLossBlockIsTheSoftmaxWrittenOut(kernels: KernelSet) {
        for (m, k) in [(7, 1), (9, 3), (5, 4), (6, 5)] {
            let z = Self.values(m * k, seed: 7), dz = Self.values(m * k, seed: 8)
            let classes = k == 1 ? 2 : k
            let labels = (0..<m).map { Int32(($0 * 7 + 3) % classes) }
            for weights in [nil, (0..<classes).map { 0.5 + Double($0) }] as [[Double]?] {
                for step in [0.0, 0.3] {
                    // Plain: p from the logits z + step·dz, each row on its own.
                    var loss = 0.0, slope = 0.0, curvature = 0.0
                    var residuals = [Double](), probabilities = [Double]()
                    for i in 0..<m {
                        let y = Int(labels[i]), s = weights?[y] ?? 1
                        let row = (0..<k).map { z[i * k + $0] + step * dz[i * k + $0] }, d = (0..<k).map { dz[i * k + $0] }
                        let p: [Double], rowLoss: Double
                        if k == 1 {
                            p = [1 / (1 + Foundation.exp(-row[0]))]
                            rowLoss = Foundation.log(1 + Foundation.exp(row[0])) - (y == 1 ? row[0] : 0)
                            residuals.append(s * (p[0] - Double(y)))
                            curvature += s * p[0] * (1 - p[0]) * d[0] * d[0]
                            slope += s * (p[0] - Double(y)) * d[0]
                        } else {
                            let top = row.max()!, e = row.map { Foundation.exp($0 - top) }, total = e.reduce(0, +)
                            p = e.map { $0 / total }
                            rowLoss = Foundation.log(total) + top - row[y]
                            residuals += (0..<k).map { s * (p[$0] - ($0 == y ? 1 : 0)) }
                            let first = (0..<k).reduce(0) { $0 + p[$1] * d[$1] }, second = (0..<k).reduce(0) { $0 + p[$1] * d[$1] * d[$1] }
                            slope += s * (first - d[y])
                            curvature += s * (second - first * first)
                        }
                        probabilities += p
                        loss += s * rowLoss
                    }
                    // The kernel, once for residuals and probabilities, once for the line search's sums.
                    var t = [Double](repeating: 0, count: m * k), saved = [Double](repeating: 0, count: m)
                    var stored = [Double](repeating: 0, count: m * k)
                    var logs = logit_log_sum(sum: 0, product: 1, count: 0, batch: 3)
                    var kernelLoss = 0.0
                    weights.withOptionalPointer { w in
                        logit_loss_block(kernels.code, m, k, z, dz, step, labels, w, &t, &saved, 1, &stored, &kernelLoss, &logs, nil, nil)
                    }
                    kernelLoss += logs.sum + Foundation.log(logs.product)
                    let context = "\(kernels) m=\(m) k=\(k) weights=\(weights != nil) step=\(step)"
                    #expect(abs(kernelLoss - loss) <= 1e-12 * abs(loss), "\(context): loss \(kernelLoss) vs \(loss)")
                    #expect(zip(t, residuals).allSatisfy { abs($0 - $1) <= 1e-14 }, "\(context): residuals")
                    #expect(zip(stored, probabilities).allSatisfy { abs($0 - $1) <= 1e-14 }, "\(context): probabilities")
                    var lineLoss = 0.0, lineSlope = 0.0, lineCurvature = 0.0
                    logs = logit_log_sum(sum: 0, product: 1, count: 0, batch: 3)
                    weights.withOptionalPointer { w in
                        logit_loss_block(
                            kernels.code, m, k, z, dz, step, labels, w, &t, &saved, 0, nil, &lineLoss, &logs, &lineSlope, &lineCurvature)
                    }
                    #expect(abs(lineLoss + logs.sum + Foundation.log(logs.product) - loss) <= 1e-12 * abs(loss), "\(context): line loss")
                    #expect(abs(lineSlope - slope) <= 1e-12 * max(1, abs(slope)), "\(context): slope \(lineSlope) vs \(slope)")
                    #expect(abs(lineCurvature - curvature) <= 1e-12 * max(1, abs(curvature)), "\(context): curvature")
                }
            }
        }
    }

    @Test func theBestSetIsOneThisCPURuns() {
        #expect(KernelSet.available.contains(KernelSet.best))
        #expect(KernelSet.available.first == .baseline)
    }

    /// Every set reaches the same optimum; they may differ in the last bits (fused multiply-add rounds once), never
    /// by more than the fit's own tolerance.
    @Test func everySetFitsTheSameModel() throws {
        let set = try TrainingSet.parse(Fixtures.bytes("wine.csv"))
        let reference = try Trainer.fit(set, kernels: .baseline)
        for kernels in KernelSet.available {
            let (model, summary) = try Trainer.fit(set, kernels: kernels)
            #expect(abs(summary.objective - reference.summary.objective) <= 1e-11 * reference.summary.objective, "\(kernels)")
            let probabilities = model.probabilities(set.features), expected = reference.model.probabilities(set.features)
            let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-7, "\(kernels): probabilities differ by \(worst)")
            let again = try Trainer.fit(set, kernels: kernels)
            #expect(again.model.weights == model.weights, "\(kernels) is not deterministic")
        }
    }
}

extension Optional where Wrapped == [Double] {
    /// The array's storage as a C pointer, or nil.
    fileprivate func withOptionalPointer<T>(_ body: (UnsafePointer<Double>?) -> T) -> T {
        switch self {
        case .some(let values): values.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
