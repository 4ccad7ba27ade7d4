import Foundation

/// Numerically stable building blocks of the logistic model.
public enum Numerics {
    /// `1 / (1 + e^{-z})` without overflow for large |z|.
    @inlinable
    public static func sigmoid(_ z: Double) -> Double {
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }

    /// `log(1 + e^z)` without overflow: `max(z, 0) + log1p(e^{-|z|})`.
    @inlinable
    public static func softplus(_ z: Double) -> Double {
        max(z, 0) + log1p(exp(-abs(z)))
    }

    /// Writes `softmax(logits)` into `output[offset ..< offset + logits.count]`, shifting by the max first.
    @inlinable
    public static func softmax(_ logits: [Double], into output: inout [Double], at offset: Int) {
        let top = logits.max() ?? 0
        var total = 0.0
        for (k, logit) in logits.enumerated() {
            let e = exp(logit - top)
            output[offset + k] = e
            total += e
        }
        for k in logits.indices { output[offset + k] /= total }
    }
}
