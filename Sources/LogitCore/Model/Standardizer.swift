/// Per-column mean and scale, as scikit-learn's `StandardScaler` computes them: the population standard
/// deviation, with 1 in place of a (numerically) zero one, so a constant column is centred but not scaled.
public struct Standardizer: Codable, Sendable, Equatable {
    public var mean: [Double]
    public var scale: [Double]

    public init(mean: [Double], scale: [Double]) {
        self.mean = mean
        self.scale = scale
    }

    /// Fits on a row-major `rows × columns` matrix, two passes for accuracy.
    public init(fitting matrix: [Double], rows: Int, columns: Int) {
        var mean = [Double](repeating: 0, count: columns)
        var variance = [Double](repeating: 0, count: columns)
        matrix.withUnsafeBufferPointer { x in
            for row in 0..<rows {
                for column in 0..<columns { mean[column] += x[row * columns + column] }
            }
            for column in 0..<columns { mean[column] /= Double(rows) }
            for row in 0..<rows {
                for column in 0..<columns {
                    let deviation = x[row * columns + column] - mean[column]
                    variance[column] += deviation * deviation
                }
            }
        }
        self.mean = mean
        self.scale = (0..<columns).map { column in
            // scikit-learn's `_is_constant_feature`: a variance within the rounding error of its own computation,
            // `var ≤ n ε var + (n |mean| ε)²`, is zero (a constant column's computed variance is rarely exactly 0).
            let n = Double(rows), epsilon = Double.ulpOfOne
            let populationVariance = variance[column] / n
            let roundingBound = n * epsilon * populationVariance + (n * mean[column] * epsilon) * (n * mean[column] * epsilon)
            return populationVariance <= roundingBound ? 1 : populationVariance.squareRoot()
        }
    }

    /// Standardizes a row-major matrix in place.
    public func transform(_ matrix: inout [Double]) {
        let columns = mean.count
        guard columns > 0 else { return }
        let inverse = scale.map { 1 / $0 }
        matrix.withUnsafeMutableBufferPointer { x in
            var offset = 0
            while offset < x.count {
                for column in 0..<columns { x[offset + column] = (x[offset + column] - mean[column]) * inverse[column] }
                offset += columns
            }
        }
    }
}
