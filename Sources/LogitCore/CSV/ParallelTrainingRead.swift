import Dispatch
import Foundation

/// Reads a large training body in parts at once, one per core, split at record boundaries.
///
/// It applies to a body without a quote character (so every newline ends a record), of at least `Split.minimumBytes`.
/// The first record is read first (it decides the row shape, the label column and whether it is a header); then
/// every part is scanned by its own `TrainingReader` into its own rows of one matrix, sized from the newlines in
/// each part, and the parts are joined: the rows moved together over the gaps that blank lines left, the classes
/// merged in first-seen order, the index-like columns checked across the parts.
///
/// Any problem in any part returns nil, and the caller reads the body again, sequentially: the error a client sees is
/// the sequential read's, with its line and field, whatever the number of parts. The result of a read that succeeds
/// is the same as the sequential one's (`ParallelTrainingReadTests`).
///
/// On 2 cores, 1,000,000 × 20 × 3 (172 MB) reads in about half the time (docs/PERFORMANCE.md).
enum ParallelTrainingRead {
    /// How a body is split: `automatic` is one part per core (at most 8) for a body of 4 MiB or more; tests
    /// choose the parts and the minimum.
    struct Split: Sendable {
        var parts: Int
        var minimumBytes: Int

        static var automatic: Split { Split(parts: min(8, ProcessInfo.processInfo.activeProcessorCount), minimumBytes: 4 << 20) }
        static let sequential = Split(parts: 1, minimumBytes: .max)
    }

    /// The reader of the whole body and, when `keepingValues`, its matrix; nil when the body does not qualify or
    /// has a problem anywhere.
    static func read(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, keepingValues: Bool, split: Split
    ) -> (reader: TrainingReader, features: [Double])? {
        let requested = split.parts
        guard requested >= 2, body.count >= split.minimumBytes, let base = body.baseAddress,
            memchr(base, Int32(UInt8(ascii: "\"")), body.count) == nil,
            let firstRecordEnd = endOfFirstRecord(body)
        else { return nil }
        let delimiter = format.delimiter.byte

        // The first record alone: the shape every part is read with.
        var head = TrainingReader(format: format, limits: limits, keepingValues: keepingValues)
        do {
            try CSVScanner.scan(UnsafeBufferPointer(start: base, count: firstRecordEnd), delimiter: delimiter, into: &head)
        } catch { return nil }
        guard head.fieldCount >= 2 else { return nil }
        let d = head.featureCount

        // Parts end after a newline; part 0 starts after the first record.
        var bounds = [firstRecordEnd]
        for part in 1..<requested {
            let target = max(bounds.last!, body.count * part / requested - 1)
            guard target < body.count, let newline = memchr(base + target, 0x0A, body.count - target) else { break }
            let next = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            if next > bounds.last! && next < body.count { bounds.append(next) }
        }
        bounds.append(body.count)
        let parts = bounds.count - 1

        // Rows each part can hold: its newlines, and one more for a last line without one. The head's data row, if
        // any, is row 0.
        let headRows = head.rowCount
        var rowCapacity = [Int](repeating: 0, count: parts)
        if keepingValues {
            for part in 0..<parts { rowCapacity[part] = newlines(in: base + bounds[part], count: bounds[part + 1] - bounds[part]) }
            rowCapacity[parts - 1] += 1
        }
        let totalCapacity = headRows + rowCapacity.reduce(0, +)
        var firstRow = [Int](repeating: headRows, count: parts)
        for part in 1..<parts { firstRow[part] = firstRow[part - 1] + rowCapacity[part - 1] }

        var joined: TrainingReader? = nil
        let features = [Double](unsafeUninitializedCapacity: keepingValues ? totalCapacity * d : 0) { matrix, initialized in
            let matrixBase = matrix.baseAddress
            if keepingValues { matrixBase!.initialize(from: head.features, count: head.features.count) }
            var readers = (0..<parts).map { part in
                TrainingReader(continuing: head, output: keepingValues ? matrixBase! + firstRow[part] * d : nil)
            }
            var failed = [Bool](repeating: false, count: parts)
            readers.withUnsafeMutableBufferPointer { readers in
                failed.withUnsafeMutableBufferPointer { failed in
                    // Each iteration touches only its own part, reader and flag.
                    let shared = UncheckedSendable((body: base, bounds: bounds, readers: readers, failed: failed))
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        let (body, bounds, readers, failed) = shared.value
                        let range = UnsafeBufferPointer(start: body + bounds[part], count: bounds[part + 1] - bounds[part])
                        do {
                            try CSVScanner.scan(range, delimiter: delimiter, isStartOfBody: false, line: 2, into: &readers[part])
                        } catch {
                            failed[part] = true
                        }
                    }
                }
            }
            guard !failed.contains(true), var whole = join(head: head, parts: readers, limits: limits) else { return }
            if keepingValues {
                // Close the gaps left where a part had fewer rows than newlines (blank lines, the last line).
                var row = headRows
                for (part, reader) in readers.enumerated() {
                    if row != firstRow[part] { memmove(matrixBase! + row * d, matrixBase! + firstRow[part] * d, reader.rowCount * d * 8) }
                    row += reader.rowCount
                }
                initialized = row * d
            }
            whole.features = []
            joined = whole
        }
        guard let joined else { return nil }
        return (joined, features)
    }

    /// The offset just past the first record's newline: the first line that is not blank (the scanner skips those).
    private static func endOfFirstRecord(_ body: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = body.baseAddress else { return nil }
        var start = 0
        while start < body.count {
            guard let newline = memchr(base + start, 0x0A, body.count - start) else { return nil }
            let end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
            let isBlank = (start..<end).allSatisfy { base[$0] == 0x20 || base[$0] == 0x09 || base[$0] == 0x0D }
            if !isBlank { return end + 1 }
            start = end + 1
        }
        return nil
    }

    private static func newlines(in start: UnsafePointer<UInt8>, count: Int) -> Int {
        var found = 0
        var cursor = start
        let end = start + count
        while cursor < end, let newline = memchr(cursor, 0x0A, end - cursor) {
            found += 1
            cursor = UnsafePointer(newline.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return found
    }

    /// The head's reader with every part's rows, labels and index checks added; nil past a limit (the sequential
    /// read then reports it where it happens).
    private static func join(head: TrainingReader, parts: [TrainingReader], limits: CSVLimits) -> TrainingReader? {
        var whole = head
        for part in parts {
            guard part.rowCount > 0 else { continue }
            // Classes: the part's, in its first-seen order, after the ones already known.
            var mapping = [Int32](repeating: 0, count: part.classes.count)
            for (index, bytes) in part.classBytes.enumerated() {
                if let known = whole.classBytes.firstIndex(of: bytes) {
                    mapping[index] = Int32(known)
                } else {
                    guard whole.classes.count < limits.maxClasses else { return nil }
                    whole.classBytes.append(bytes)
                    whole.classes.append(part.classes[index])
                    mapping[index] = Int32(whole.classes.count - 1)
                }
            }
            whole.labels.append(contentsOf: part.labels.map { mapping[Int($0)] })
            // A column counts like an index across the parts when each part continues the count where the last left it.
            for column in whole.countsLikeAnIndex.indices where whole.countsLikeAnIndex[column] {
                let start = whole.rowCount == 0 ? part.indexStart[column] : whole.indexStart[column] + Double(whole.rowCount)
                let continues = part.countsLikeAnIndex[column] && part.indexStart[column] == start
                if whole.rowCount == 0 {
                    whole.indexStart[column] = part.indexStart[column]
                    whole.countsLikeAnIndex[column] = continues && (start == 0 || start == 1)
                } else {
                    whole.countsLikeAnIndex[column] = continues
                }
            }
            whole.rowCount += part.rowCount
            guard whole.rowCount <= limits.maxRows else { return nil }
        }
        return whole
    }
}

/// Pointers handed to `concurrentPerform`'s iterations, each of which touches only its own elements.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
