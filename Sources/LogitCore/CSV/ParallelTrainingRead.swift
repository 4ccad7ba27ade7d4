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

    /// The first record, read alone (it decides the row shape, the label column and whether it is a header), and
    /// the bounds of `requested` parts after it, each ending after a newline; nil when the body does not qualify
    /// (no quote, at least `minimumBytes`, at least two fields).
    private static func plan(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, keepingValues: Bool, parts requested: Int, minimumBytes: Int
    ) -> (head: TrainingReader, bounds: [Int])? {
        guard requested >= 2, body.count >= minimumBytes, let base = body.baseAddress,
            memchr(base, Int32(UInt8(ascii: "\"")), body.count) == nil,
            let firstRecordEnd = endOfFirstRecord(body)
        else { return nil }
        var head = TrainingReader(format: format, limits: limits, keepingValues: keepingValues)
        do {
            try CSVScanner.scan(UnsafeBufferPointer(start: base, count: firstRecordEnd), delimiter: format.delimiter.byte, into: &head)
        } catch { return nil }
        guard head.fieldCount >= 2 else { return nil }
        // Parts end after a newline; part 0 starts after the first record.
        var bounds = [firstRecordEnd]
        for part in 1..<requested {
            let target = max(bounds.last!, body.count * part / requested - 1)
            guard target < body.count, let newline = memchr(base + target, 0x0A, body.count - target) else { break }
            let next = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            if next > bounds.last! && next < body.count { bounds.append(next) }
        }
        bounds.append(body.count)
        return (head, bounds)
    }

    /// Rows each part can hold: its newlines, and one more for a last line without one.
    private static func rowCapacities(_ body: UnsafeBufferPointer<UInt8>, bounds: [Int]) -> [Int] {
        let parts = bounds.count - 1
        var capacity = [Int](repeating: 0, count: parts)
        capacity.withUnsafeMutableBufferPointer { capacity in
            let shared = UncheckedSendable((body: body.baseAddress!, bounds: bounds, capacity: capacity))
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let (body, bounds, capacity) = shared.value
                capacity[part] = newlines(in: body + bounds[part], count: bounds[part + 1] - bounds[part])
            }
        }
        capacity[parts - 1] += 1
        return capacity
    }

    /// Scans part `part` of the body into `reader`; false on any problem.
    private static func scan(
        _ base: UnsafePointer<UInt8>, bounds: [Int], part: Int, delimiter: UInt8, into reader: inout TrainingReader
    ) -> Bool {
        let range = UnsafeBufferPointer(start: base + bounds[part], count: bounds[part + 1] - bounds[part])
        do {
            try CSVScanner.scan(range, delimiter: delimiter, isStartOfBody: false, line: 2, into: &reader)
            return true
        } catch {
            return false
        }
    }

    /// The reader of the whole body and, when `keepingValues`, its matrix; nil when the body does not qualify or
    /// has a problem anywhere.
    static func read(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, keepingValues: Bool, split: Split
    ) -> (reader: TrainingReader, features: [Double])? {
        guard
            let (head, bounds) = plan(
                body, format: format, limits: limits, keepingValues: keepingValues, parts: split.parts, minimumBytes: split.minimumBytes),
            let base = body.baseAddress
        else { return nil }
        let delimiter = format.delimiter.byte
        let d = head.featureCount
        let parts = bounds.count - 1

        // Each part's rows go to their own place in one matrix. The head's data row, if any, is row 0.
        let headRows = head.rowCount
        let rowCapacity = keepingValues ? rowCapacities(body, bounds: bounds) : [Int](repeating: 0, count: parts)
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
                        failed[part] = !scan(body, bounds: bounds, part: part, delimiter: delimiter, into: &readers[part])
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

    /// Reads the body like `read` with values, but hands the matrix over part by part, in row order, instead of
    /// building it: each part is about `partBytes` of the body, and its rows are passed to `deliver` (from the
    /// reading threads, one call at a time) as soon as the parts before it are delivered, then freed. So a caller
    /// that stores the rows as they come holds a few parts' values at a time, never the body and the whole matrix.
    /// Nil like `read`, perhaps after some rows were delivered. The reader returned has no `features`.
    static func readInParts(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, split: Split, partBytes: Int,
        deliver: (TrainingSet.MatrixDelivery) -> Void
    ) -> TrainingReader? {
        let requested = max(split.parts, body.count / max(1, partBytes))
        guard
            let (head, bounds) = plan(body, format: format, limits: limits, keepingValues: true, parts: requested, minimumBytes: split.minimumBytes),
            let base = body.baseAddress
        else { return nil }
        let delimiter = format.delimiter.byte
        let d = head.featureCount
        let parts = bounds.count - 1
        let rowCapacity = rowCapacities(body, bounds: bounds)
        deliver(.reserve(rows: head.rowCount + rowCapacity.reduce(0, +), featureCount: d))
        if head.rowCount > 0 { head.features.withUnsafeBufferPointer { deliver(.rows($0)) } }

        var readers = [TrainingReader?](repeating: nil, count: parts)
        let handOff = OrderedHandOff()
        withoutActuallyEscaping(deliver) { deliver in
            readers.withUnsafeMutableBufferPointer { readers in
                // Each iteration touches only its own part and reader; deliveries are serialized by `handOff`.
                let shared = UncheckedSendable((body: base, bounds: bounds, head: head, capacity: rowCapacity, readers: readers, deliver: deliver))
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let (body, bounds, head, capacity, readers, deliver) = shared.value
                    var reader = TrainingReader(continuing: head, output: nil)
                    var succeeded = false
                    // After a part failed, the others are not read (nothing more is delivered).
                    let valueCapacity = handOff.hasFailed ? 0 : capacity[part] * d
                    let values = [Double](unsafeUninitializedCapacity: valueCapacity) { matrix, count in
                        guard valueCapacity > 0, let matrixBase = matrix.baseAddress else { return }
                        reader.output = matrixBase
                        succeeded = scan(body, bounds: bounds, part: part, delimiter: delimiter, into: &reader)
                        count = succeeded ? reader.rowCount * d : 0
                    }
                    readers[part] = succeeded ? reader : nil
                    handOff.deposit(part, values, failed: !succeeded) { values in values.withUnsafeBufferPointer { deliver(.rows($0)) } }
                }
            }
        }
        guard !handOff.hasFailed, var whole = join(head: head, parts: readers.map { $0! }, limits: limits) else { return nil }
        whole.features = []
        return whole
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

/// Hands each part's values on in part order, whichever order the parts finish in: the thread that deposits the
/// next part to deliver delivers it, and every later part already waiting; the others only leave theirs. After a
/// part fails, nothing more is delivered.
final class OrderedHandOff: @unchecked Sendable {
    // @unchecked: every stored property is read and written under `lock`.
    private let lock = NSLock()
    private var waiting: [Int: [Double]] = [:]
    private var next = 0
    private var delivering = false
    private var failed = false

    var hasFailed: Bool { lock.withLock { failed } }

    func deposit(_ part: Int, _ values: [Double], failed partFailed: Bool, deliver: ([Double]) -> Void) {
        lock.lock()
        if partFailed { failed = true }
        waiting[part] = values
        guard !delivering else { return lock.unlock() }
        delivering = true
        while let values = waiting.removeValue(forKey: next) {
            next += 1
            if failed { continue }
            lock.unlock()
            deliver(values)
            lock.lock()
        }
        delivering = false
        lock.unlock()
    }
}

/// Pointers handed to `concurrentPerform`'s iterations, each of which touches only its own elements.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
