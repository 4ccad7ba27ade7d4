/// A parsed training body: a row-major `Float64` feature matrix and one class index per row.
public struct TrainingSet: Sendable {
    /// `rowCount × featureCount` values, row after row.
    public var features: [Double]
    /// For each row, an index into `classes`.
    public var labels: [Int32]
    /// The distinct labels, in model order: numerically when every label is a number, else by code points.
    public var classes: [String]
    public let featureCount: Int

    public var rowCount: Int { labels.count }

    public init(features: [Double], labels: [Int32], classes: [String], featureCount: Int) {
        precondition(features.count == labels.count * featureCount)
        self.features = features
        self.labels = labels
        self.classes = classes
        self.featureCount = featureCount
    }

    /// What validation learns of a body without keeping its values.
    public struct Shape: Sendable, Equatable {
        public let rowCount: Int
        public let featureCount: Int
        /// The distinct labels, in model order.
        public let classes: [String]
    }

    /// Parses and validates a headerless CSV body whose last column is the label.
    ///
    /// Throws `CSVError` with the line and field of the first problem; `.unusable` when there are fewer than
    /// 2 rows or 2 classes.
    public static func parse(_ body: UnsafeBufferPointer<UInt8>, limits: CSVLimits = CSVLimits()) throws(CSVError) -> TrainingSet {
        let (reader, order) = try read(body, limits: limits, keepingValues: true)
        // Renumber the labels into model order.
        var newIndex = [Int32](repeating: 0, count: order.count)
        for (position, original) in order.enumerated() { newIndex[original] = Int32(position) }
        var labels = reader.labels
        for row in labels.indices { labels[row] = newIndex[Int(labels[row])] }
        return TrainingSet(
            features: reader.features, labels: labels, classes: order.map { reader.classes[$0] }, featureCount: reader.fieldCount - 1)
    }

    /// The same checks and errors as `parse`, without building the matrix (what the API does before queueing).
    public static func validate(_ body: UnsafeBufferPointer<UInt8>, limits: CSVLimits = CSVLimits()) throws(CSVError) -> Shape {
        let (reader, order) = try read(body, limits: limits, keepingValues: false)
        return Shape(rowCount: reader.rowCount, featureCount: reader.fieldCount - 1, classes: order.map { reader.classes[$0] })
    }

    /// Scans the body and applies the checks of a usable training set; returns the reader and the model order of
    /// its classes.
    private static func read(
        _ body: UnsafeBufferPointer<UInt8>, limits: CSVLimits, keepingValues: Bool
    ) throws(CSVError) -> (TrainingReader, [Int]) {
        var reader = TrainingReader(limits: limits, keepingValues: keepingValues)
        if keepingValues { reader.features.reserveCapacity(min(body.count / 4, 1 << 26)) }
        try CSVScanner.scan(body, into: &reader)
        guard reader.rowCount > 0 else { throw CSVError(.empty, "the body has no rows: send CSV rows of features followed by a label") }
        guard reader.rowCount >= 2 else { throw CSVError(.unusable, "training needs at least 2 rows, found 1") }
        guard reader.classes.count >= 2 else {
            throw CSVError(.unusable, "training needs at least 2 distinct labels in the last column, found only \"\(reader.classes[0])\"")
        }
        return (reader, ClassOrder.sorted(reader.classes))
    }

    public static func parse(_ body: [UInt8], limits: CSVLimits = CSVLimits()) throws(CSVError) -> TrainingSet {
        try body.withUnsafeBufferPointer { (buffer) throws(CSVError) in try parse(buffer, limits: limits) }
    }
}

/// The order of classes, as scikit-learn's `np.unique` would give for the same labels.
enum ClassOrder {
    static func sorted(_ classes: [String]) -> [Int] {
        let numbers = classes.map { Double($0.trimmingSpaces) }
        if numbers.allSatisfy({ $0 != nil }) {
            return classes.indices.sorted {
                numbers[$0]! < numbers[$1]!
                    || (numbers[$0]! == numbers[$1]! && classes[$0].unicodeScalars.lexicographicallyPrecedes(classes[$1].unicodeScalars))
            }
        }
        return classes.indices.sorted { classes[$0].unicodeScalars.lexicographicallyPrecedes(classes[$1].unicodeScalars) }
    }
}

extension String {
    var trimmingSpaces: Substring {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view.removeFirst() }
        while let last = view.last, last == " " || last == "\t" { view.removeLast() }
        return view
    }
}

/// Collects features and labels record by record; knows the row shape after the first record.
private struct TrainingReader: CSVVisitor {
    let limits: CSVLimits
    /// False when only validating: values are checked, not stored.
    let keepingValues: Bool
    var features: [Double] = []
    var labels: [Int32] = []
    /// Distinct labels, first seen first, as bytes (compared without allocating) and as strings.
    var classBytes: [[UInt8]] = []
    var classes: [String] = []
    var fieldCount = 0
    var rowCount = 0

    init(limits: CSVLimits, keepingValues: Bool) {
        self.limits = limits
        self.keepingValues = keepingValues
    }

    mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, index: Int) throws(CSVError) {
        if fieldCount == 0 {
            // First record: every field but the last is a feature; we learn which is last at endRecord.
            if index + 1 > limits.maxColumns + 1 {
                throw CSVError(.tooLarge, line: line, field: index + 1, "more than \(limits.maxColumns) feature columns")
            }
            pendingFirstRow.append(Array(bytes))
            pendingQuoted.append(quoted)
            return
        }
        if index >= fieldCount {
            throw CSVError(.malformed, line: line, field: index + 1, "expected \(fieldCount) fields like line \(firstLine), found more")
        }
        if index < fieldCount - 1 {
            let value = try FieldDecoder.number(bytes, line: line, field: index + 1)
            if keepingValues { features.append(value) }
        } else {
            try appendLabel(bytes, quoted: quoted, line: line, field: index + 1)
        }
    }

    var pendingFirstRow: [[UInt8]] = []
    var pendingQuoted: [Bool] = []
    var firstLine = 0

    mutating func endRecord(line: Int, fieldCount count: Int) throws(CSVError) {
        if fieldCount == 0 {
            guard count >= 2 else {
                throw CSVError(.malformed, line: line, "a row needs at least 2 fields (features, then the label), found 1")
            }
            fieldCount = count
            firstLine = line
            let rows = pendingFirstRow
            let quoted = pendingQuoted
            pendingFirstRow = []
            pendingQuoted = []
            for (index, bytes) in rows.enumerated() {
                try bytes.withUnsafeBufferPointer { (buffer) throws(CSVError) in
                    try field(buffer, quoted: quoted[index], line: line, index: index)
                }
            }
        } else if count != fieldCount {
            throw CSVError(.malformed, line: line, "expected \(fieldCount) fields like line \(firstLine), found \(count)")
        }
        rowCount += 1
        if rowCount > limits.maxRows {
            throw CSVError(.tooLarge, line: line, "more than \(limits.maxRows) rows")
        }
    }

    private mutating func appendLabel(_ raw: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, field: Int) throws(CSVError) {
        let bytes = quoted ? raw : FieldDecoder.trimmed(raw)
        guard !bytes.isEmpty else { throw CSVError(.malformed, line: line, field: field, "the label (last field) is empty") }
        // Usually the same few classes: a linear scan of byte arrays beats hashing a fresh String per row.
        for (index, known) in classBytes.enumerated() where known.count == bytes.count {
            if known.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) {
                if keepingValues { labels.append(Int32(index)) }
                return
            }
        }
        let label = try FieldDecoder.label(bytes, line: line, field: field)
        guard classes.count < limits.maxClasses else {
            throw CSVError(.tooLarge, line: line, field: field, "more than \(limits.maxClasses) distinct labels")
        }
        classBytes.append(Array(bytes))
        classes.append(label)
        if keepingValues { labels.append(Int32(classes.count - 1)) }
    }
}
