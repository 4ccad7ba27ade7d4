import LogitTestSupport
import Testing

@testable import LogitCore

/// The standardizer's parallel, chunked sums: what a plain two-pass computation gives (to rounding), whatever the
/// number of chunks, and the same bits run after run.
@Suite struct StandardizerTests {
    @Test func chunkedSumsMatchAPlainTwoPassComputation() {
        var random = SeededGenerator(seed: 21)
        let (rows, columns) = (50_000, 3)  // several chunks
        let matrix = (0..<(rows * columns)).map { index in Double.random(in: -1...1, using: &random) * Double(index % columns + 1) + 100 }
        let fitted = Standardizer(fitting: matrix, rows: rows, columns: columns)
        #expect(RowChunks(rowCount: rows, featureCount: columns).count > 1)
        for column in 0..<columns {
            let values = stride(from: column, to: matrix.count, by: columns).map { matrix[$0] }
            let mean = values.reduce(0, +) / Double(rows)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)
            #expect(abs(fitted.mean[column] - mean) <= 1e-12 * abs(mean))
            #expect(abs(fitted.scale[column] - variance.squareRoot()) <= 1e-12 * variance.squareRoot())
        }
        #expect(Standardizer(fitting: matrix, rows: rows, columns: columns) == fitted)
        var standardized = matrix
        fitted.transform(&standardized)
        #expect(standardized[7] == (matrix[7] - fitted.mean[1]) * (1 / fitted.scale[1]))
    }
}
