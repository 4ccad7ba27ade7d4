/// Per-column mean and scale, as scikit-learn's `StandardScaler` computes them: the population standard
/// deviation, with 1 in place of a (numerically) zero one, so a constant column is centred but not scaled.
public struct Standardizer: Codable, Sendable, Equatable {
    public var mean: [Double]
    public var scale: [Double]

    public init(mean: [Double], scale: [Double]) {
        self.mean = mean
        self.scale = scale
    }

    /// Fits on a row-major `rows × columns` matrix, two passes for accuracy (the mean, then the squared deviations
    /// from it). Each pass runs on every core over fixed row chunks (`RowChunks`), whose partial sums are added in
    /// chunk order: the same result on any number of cores, and for data of one chunk (up to 8,192 rows and fewer
    /// for wide data) the same as summing row after row. Single-threaded, the three passes of fit and transform
    /// were ~0.15 s of a 1,000,000 × 20 fit.
    public init(fitting matrix: [Double], rows: Int, columns: Int) {
        let chunks = RowChunks(rowCount: rows, featureCount: columns)
        let mean = matrix.withUnsafeBufferPointer { x in
            Self.columnSums(x, columns: columns, chunks: chunks, squaredDeviationsFrom: nil).map { $0 / Double(rows) }
        }
        let variance = matrix.withUnsafeBufferPointer { x in Self.columnSums(x, columns: columns, chunks: chunks, squaredDeviationsFrom: mean) }
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

    /// Standardizes a row-major matrix in place, on every core.
    public func transform(_ matrix: inout [Double]) {
        let columns = mean.count
        guard columns > 0 else { return }
        let inverse = scale.map { 1 / $0 }
        let mean = self.mean
        let chunks = RowChunks(rowCount: matrix.count / columns, featureCount: columns)
        matrix.withUnsafeMutableBufferPointer { x in
            let shared = SharedDoubles(base: x.baseAddress!)
            chunks.forEachInParallel { chunk in
                let x = shared.base
                for row in chunks.rows(chunk) {
                    let offset = row * columns
                    for column in 0..<columns { x[offset + column] = (x[offset + column] - mean[column]) * inverse[column] }
                }
            }
        }
    }

    /// Σ over rows of `x[row, column]`, or with `center` of `(x[row, column] − center[column])²`, for every column:
    /// per chunk in parallel, then the chunks' sums in chunk order.
    private static func columnSums(
        _ x: UnsafeBufferPointer<Double>, columns: Int, chunks: RowChunks, squaredDeviationsFrom center: [Double]?
    ) -> [Double] {
        guard columns > 0, let base = x.baseAddress, !x.isEmpty else { return [Double](repeating: 0, count: columns) }
        let partial = DoubleBuffer(count: chunks.count * columns)
        let (matrix, sums) = (SharedDoubles(base: UnsafeMutablePointer(mutating: base)), partial.values)
        chunks.forEachInParallel { chunk in
            let x = matrix.base
            // A local array, which the compiler knows does not alias the matrix: the column loop vectorizes.
            var out = [Double](repeating: 0, count: columns)
            if let center {
                for row in chunks.rows(chunk) {
                    for column in 0..<columns {
                        let deviation = x[row * columns + column] - center[column]
                        out[column] += deviation * deviation
                    }
                }
            } else {
                for row in chunks.rows(chunk) {
                    for column in 0..<columns { out[column] += x[row * columns + column] }
                }
            }
            (sums.base + chunk * columns).initialize(from: out, count: columns)
        }
        var total = Array(UnsafeBufferPointer(start: sums.base, count: columns))
        for chunk in 1..<chunks.count {
            for column in 0..<columns { total[column] += sums.base[chunk * columns + column] }
        }
        return total
    }
}
