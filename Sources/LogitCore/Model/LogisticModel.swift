/// A fitted logistic-regression model: everything prediction needs, nothing else.
///
/// Coefficients act on standardized features `z = (x - mean) / scale`. For K = 2 classes there is one row
/// (the sigmoid model, as scikit-learn's `coef_`); for K ≥ 3, K rows (softmax).
public struct LogisticModel: Codable, Sendable, Equatable {
    public var classes: [String]
    public var standardizer: Standardizer
    /// `rows × featureCount`, row-major, on the standardized scale.
    public var weights: [Double]
    /// One per row.
    public var intercepts: [Double]
    /// The features' names, in order, when the training body had a header: predictions may then name their
    /// columns in any order.
    public var featureNames: [String]? = nil

    public var featureCount: Int { standardizer.mean.count }
    public var isBinary: Bool { classes.count == 2 }
    /// Rows of coefficients: 1 for a binary model, K otherwise.
    public var rowCount: Int { intercepts.count }

    public init(classes: [String], standardizer: Standardizer, weights: [Double], intercepts: [Double]) {
        precondition(classes.count >= 2)
        precondition(intercepts.count == (classes.count == 2 ? 1 : classes.count))
        precondition(weights.count == intercepts.count * standardizer.mean.count)
        self.classes = classes
        self.standardizer = standardizer
        self.weights = weights
        self.intercepts = intercepts
    }

    /// Coefficients on the original feature scale: `coef[k][j] = w[k][j] / scale[j]`,
    /// `intercept[k] = b[k] - Σ_j w[k][j] · mean[j] / scale[j]`, so that `x · coef[k] + intercept[k]` is the logit.
    public var originalScale: (coef: [[Double]], intercept: [Double]) {
        let d = featureCount
        var coef: [[Double]] = []
        var intercept: [Double] = []
        for row in 0..<rowCount {
            var rowCoef = [Double](repeating: 0, count: d)
            var shift = 0.0
            for j in 0..<d {
                rowCoef[j] = weights[row * d + j] / standardizer.scale[j]
                shift += rowCoef[j] * standardizer.mean[j]
            }
            coef.append(rowCoef)
            intercept.append(intercepts[row] - shift)
        }
        return (coef, intercept)
    }

    /// Class probabilities for each row of a row-major `n × featureCount` matrix of raw features:
    /// `n × K` values, each row summing to 1.
    public func probabilities(_ raw: [Double]) -> [Double] {
        let d = featureCount
        let k = classes.count
        let n = d == 0 ? 0 : raw.count / d
        var output = [Double](repeating: 0, count: n * k)
        let inverseScale = standardizer.scale.map { 1 / $0 }
        var z = [Double](repeating: 0, count: d)
        var logits = [Double](repeating: 0, count: rowCount)
        raw.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                for i in 0..<n {
                    for j in 0..<d { z[j] = (x[i * d + j] - standardizer.mean[j]) * inverseScale[j] }
                    for row in 0..<rowCount {
                        var sum = intercepts[row]
                        for j in 0..<d { sum += w[row * d + j] * z[j] }
                        logits[row] = sum
                    }
                    if isBinary {
                        let p = Numerics.sigmoid(logits[0])
                        output[i * 2] = 1 - p
                        output[i * 2 + 1] = p
                    } else {
                        Numerics.softmax(logits, into: &output, at: i * k)
                    }
                }
            }
        }
        return output
    }

    /// The most probable class of each row of a probability matrix (`n × K`); ties go to the first class.
    public func predictedClasses(probabilities: [Double]) -> [Int] {
        let k = classes.count
        return stride(from: 0, to: probabilities.count, by: k).map { start in
            var best = 0
            for c in 1..<k where probabilities[start + c] > probabilities[start + best] { best = c }
            return best
        }
    }
}
