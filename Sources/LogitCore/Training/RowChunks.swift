import Dispatch

/// The rows of the data split into fixed chunks, which the kernels process in parallel (`concurrentPerform`) and
/// whose partial sums they add in chunk order.
///
/// Rows per chunk: about 64 Ki matrix values (512 KB, half an L2 cache), at least 64 rows and at most 8192. It
/// depends only on the shape of the data, never on the number of cores, so the reduction order (and every result,
/// bit for bit) is the same on any machine.
struct RowChunks: Sendable {
    let rowCount: Int
    let rowsPerChunk: Int
    let count: Int

    init(rowCount: Int, featureCount: Int) {
        self.rowCount = rowCount
        rowsPerChunk = max(64, min(8192, 65_536 / max(1, featureCount)))
        count = max(1, (rowCount + rowsPerChunk - 1) / rowsPerChunk)
    }

    /// The rows of chunk `chunk`.
    func rows(_ chunk: Int) -> Range<Int> {
        let start = chunk * rowsPerChunk
        return start..<min(rowCount, start + rowsPerChunk)
    }

    /// `body(chunk)` for every chunk, in parallel when there are several.
    func forEachInParallel(_ body: @Sendable (Int) -> Void) {
        if count == 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        }
    }
}
