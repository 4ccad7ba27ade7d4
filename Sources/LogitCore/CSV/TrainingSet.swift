/// A parsed training body: a row-major `Float64` feature matrix and one class index per row.
public struct TrainingSet: Sendable {
    /// `rowCount × featureCount` values, row after row.
    public var features: [Double]
    /// For each row, an index into `classes`.
    public var labels: [Int32]
    /// The distinct labels, in model order: numerically when every label is a number, else by code points.
    public var classes: [String]
    public let featureCount: Int
    /// The feature columns' names, when the body had a header.
    public var featureNames: [String]? = nil
    /// The label column's name, when the body had a header.
    public var labelName: String? = nil
    /// What a person should know about the data (see `Shape.warnings`).
    public var warnings: [String] = []

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
        /// The feature columns' names, in order, when the body has a header.
        public let featureNames: [String]?
        /// The label column's name, when the body has a header.
        public let labelName: String?
        /// What a person should know about the data (e.g. a column that looks like a row index).
        public let warnings: [String]
        /// Each row's class (an index into `classes`): what the holdout check needs.
        public let labels: [Int32]
    }

    /// Parses and validates a CSV body laid out as `format` says (by default the original's: no header needed,
    /// comma-separated, label last).
    ///
    /// Throws `CSVError` with the line and field of the first problem; `.unusable` when there are fewer than
    /// 2 rows or 2 classes, or when the label column looks continuous.
    public static func parse(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat = CSVFormat(), limits: CSVLimits = CSVLimits()
    ) throws(CSVError) -> TrainingSet {
        let read = try read(body, format: format, limits: limits, keepingValues: true)
        var set = TrainingSet(
            features: read.reader.features, labels: read.labels, classes: read.classes, featureCount: read.reader.featureCount)
        set.featureNames = read.reader.featureNames
        set.labelName = read.reader.labelName
        set.warnings = read.reader.warnings
        return set
    }

    /// The same checks and errors as `parse`, without building the matrix (what the API does before queueing).
    public static func validate(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat = CSVFormat(), limits: CSVLimits = CSVLimits()
    ) throws(CSVError) -> Shape {
        let read = try read(body, format: format, limits: limits, keepingValues: false)
        return Shape(
            rowCount: read.reader.rowCount, featureCount: read.reader.featureCount, classes: read.classes,
            featureNames: read.reader.featureNames, labelName: read.reader.labelName, warnings: read.reader.warnings,
            labels: read.labels)
    }

    /// Scans the body and applies the checks of a usable training set; returns the reader, the classes in model
    /// order and every row's index into them.
    private static func read(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, keepingValues: Bool
    ) throws(CSVError) -> (reader: TrainingReader, classes: [String], labels: [Int32]) {
        var reader = TrainingReader(format: format, limits: limits, keepingValues: keepingValues)
        if keepingValues { reader.features.reserveCapacity(min(body.count / 4, 1 << 26)) }
        try CSVScanner.scan(body, delimiter: format.delimiter.byte, into: &reader)
        reader.finish()
        if reader.rowCount < 2 && reader.featureNames != nil && format.header == .auto {
            // A first row taken for a header leaves too little data: it was more likely a bad data row, so report it
            // as one (`Infinity,a` then `2,b` is a bad number on line 1, not a header over one row).
            var asData = format
            asData.header = .absent
            return try read(body, format: asData, limits: limits, keepingValues: keepingValues)
        }
        guard reader.rowCount > 0 else { throw CSVError(.empty, "the body has no rows: send CSV rows of features and a label") }
        guard reader.rowCount >= 2 else { throw CSVError(.unusable, "training needs at least 2 rows, found 1") }
        // Numeric labels compare as numbers: `0` and `0.0` are one class, spelled as first seen.
        let merged = NumericLabels.merge(reader.classes)
        let distinct = merged.kept.count
        guard distinct >= 2 else {
            throw CSVError(.unusable, "training needs at least 2 distinct labels in the label column, found only \"\(reader.classes[0])\"")
        }
        if distinct > 100 && distinct * 2 > reader.rowCount {
            throw CSVError(
                .unusable,
                "the label column\(reader.labelName.map { " \"\($0)\"" } ?? "") has \(distinct) distinct values in \(reader.rowCount) rows: it looks continuous, not a class. If the label is another column, say which with label=first, label=<column name> or label=<0-based index>"
            )
        }
        let order = ClassOrder.sorted(merged.kept.map { reader.classes[$0] })
        // Seen index → merged index → model order.
        var position = [Int32](repeating: 0, count: distinct)
        for (place, mergedIndex) in order.enumerated() { position[mergedIndex] = Int32(place) }
        let finalIndex = merged.canonical.map { position[$0] }
        let labels = reader.labels.map { finalIndex[Int($0)] }
        return (reader, order.map { reader.classes[merged.kept[$0]] }, labels)
    }

    public static func parse(_ body: [UInt8], format: CSVFormat = CSVFormat(), limits: CSVLimits = CSVLimits()) throws(CSVError) -> TrainingSet {
        try body.withUnsafeBufferPointer { (buffer) throws(CSVError) in try parse(buffer, format: format, limits: limits) }
    }
}

/// Labels that are all numbers are one class per numeric value.
enum NumericLabels {
    /// `kept`: the indices (into `classes`) of the first spelling of each value; `canonical[i]`: the position in
    /// `kept` of class `i`'s value. Labels that are not all numbers are kept as they are.
    static func merge(_ classes: [String]) -> (kept: [Int], canonical: [Int]) {
        let numbers = classes.map { Double($0.trimmingSpaces) }
        guard numbers.allSatisfy({ $0 != nil }) else { return (Array(classes.indices), Array(classes.indices)) }
        var kept: [Int] = []
        var byValue: [Double: Int] = [:]
        var canonical: [Int] = []
        for (index, number) in numbers.enumerated() {
            let value = number! == 0 ? 0 : number!  // -0 and 0 are one class
            if let known = byValue[value] {
                canonical.append(known)
            } else {
                byValue[value] = kept.count
                canonical.append(kept.count)
                kept.append(index)
            }
        }
        return (kept, canonical)
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

/// Collects features and labels record by record. The first record is held until it ends: then the reader knows
/// how many fields a row has, which is the label, and whether that record is a header.
private struct TrainingReader: CSVVisitor {
    let format: CSVFormat
    let limits: CSVLimits
    /// False when only validating: values are checked, not stored.
    let keepingValues: Bool
    var features: [Double] = []
    /// For each row, an index into `classes` (first seen first).
    var labels: [Int32] = []
    /// Distinct labels, first seen first, as bytes (compared without allocating) and as strings.
    var classBytes: [[UInt8]] = []
    var classes: [String] = []
    var fieldCount = 0
    var labelIndex = 0
    var rowCount = 0
    var featureNames: [String]? = nil
    var labelName: String? = nil
    var warnings: [String] = []
    /// Per feature column: still 0, 1, 2, … (or 1, 2, 3, …) row after row, like a row index.
    var countsLikeAnIndex: [Bool] = []
    var indexStart: [Double] = []

    var featureCount: Int { fieldCount - 1 }

    init(format: CSVFormat, limits: CSVLimits, keepingValues: Bool) {
        self.format = format
        self.limits = limits
        self.keepingValues = keepingValues
    }

    var pendingFirstRow: [[UInt8]] = []
    var pendingQuoted: [Bool] = []
    var firstLine = 0

    mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, index: Int) throws(CSVError) {
        if fieldCount == 0 {
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
        if index == labelIndex {
            try appendLabel(bytes, quoted: quoted, line: line, field: index + 1)
        } else {
            let value = try FieldDecoder.number(bytes, line: line, field: index + 1)
            if keepingValues { features.append(value) }
            let column = index < labelIndex ? index : index - 1
            if countsLikeAnIndex[column] {
                if rowCount == 0 { indexStart[column] = value }
                countsLikeAnIndex[column] = (indexStart[column] == 0 || indexStart[column] == 1) && value == indexStart[column] + Double(rowCount)
            }
        }
    }

    mutating func endRecord(line: Int, fieldCount count: Int) throws(CSVError) {
        if fieldCount == 0 {
            try startWith(firstRecordOf: count, line: line)
            if featureNames != nil { return }  // a header: no data row
        } else if count != fieldCount {
            throw CSVError(.malformed, line: line, "expected \(fieldCount) fields like line \(firstLine), found \(count)")
        }
        rowCount += 1
        if rowCount > limits.maxRows {
            throw CSVError(.tooLarge, line: line, "more than \(limits.maxRows) rows")
        }
    }

    /// Learns the row shape and the label column from the first record, decides whether it is a header, and, if it
    /// is data, reads it.
    private mutating func startWith(firstRecordOf count: Int, line: Int) throws(CSVError) {
        guard count >= 2 else {
            throw CSVError(.malformed, line: line, "a row needs at least 2 fields (features and a label), found 1")
        }
        let raw = pendingFirstRow
        let fields = raw.map { String(decoding: $0, as: UTF8.self) }
        let quoted = pendingQuoted
        pendingFirstRow = []
        pendingQuoted = []
        fieldCount = count
        firstLine = line
        labelIndex = try labelColumn(in: fields, line: line)
        countsLikeAnIndex = Array(repeating: true, count: count - 1)
        indexStart = Array(repeating: 0, count: count - 1)
        if isHeader(fields) {
            let names = fields.map { String($0.trimmingSpaces) }
            labelName = names[labelIndex]
            featureNames = names.enumerated().filter { $0.offset != labelIndex }.map(\.element)
            return
        }
        if case .name(let name) = format.label {
            throw CSVError(.malformed, line: line, "label=\"\(name)\" names a column, but the body has no header row (header=false)")
        }
        for (index, bytes) in raw.enumerated() {
            try bytes.withUnsafeBufferPointer { (buffer) throws(CSVError) in
                try field(buffer, quoted: quoted[index], line: line, index: index)
            }
        }
    }

    private func labelColumn(in fields: [String], line: Int) throws(CSVError) -> Int {
        switch format.label {
        case .last: return fields.count - 1
        case .first: return 0
        case .index(let index):
            guard index < fields.count else {
                throw CSVError(
                    .malformed, line: line, "label=\(index) is past the last column: rows have \(fields.count) fields (0 to \(fields.count - 1))")
            }
            return index
        case .name(let name):
            guard format.header != .absent, let index = fields.firstIndex(where: { $0.trimmingSpaces == name }) else {
                let columns = fields.map { "\"\($0.trimmingSpaces)\"" }.joined(separator: ", ")
                throw CSVError(.malformed, line: line, "label=\"\(name)\": no column of that name in the header row (\(columns))")
            }
            return index
        }
    }

    /// With `header=auto`, a first row is a header when none of its feature fields is a number and each begins
    /// with a letter, as a name does (a label-by-name needs one). So `1_000`, `0x10` or `1e` in the first row are
    /// still malformed numbers, reported where they are, not taken for names.
    private func isHeader(_ fields: [String]) -> Bool {
        switch format.header {
        case .present: return true
        case .absent: return false
        case .auto:
            if case .name = format.label { return true }
            return fields.enumerated().allSatisfy { index, text in
                guard index != labelIndex else { return true }
                let isNumber = Array(text.utf8).withUnsafeBufferPointer { (try? FieldDecoder.number($0, line: 0, field: 0)) != nil }
                return !isNumber && (text.trimmingSpaces.first?.isLetter ?? false)
            }
        }
    }

    /// Warnings about the columns, once every row is read.
    mutating func finish() {
        guard rowCount >= 3 else { return }
        for (column, isIndex) in countsLikeAnIndex.enumerated() where isIndex {
            let name = featureNames.map { " \"\($0[column])\"" } ?? ""
            warnings.append(
                "feature column \(column + 1)\(name) counts \(Int(indexStart[column])), \(Int(indexStart[column]) + 1), \(Int(indexStart[column]) + 2), … row after row, like a row index: it is used as a feature; drop it if it is one"
            )
        }
    }

    private mutating func appendLabel(_ raw: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, field: Int) throws(CSVError) {
        let bytes = quoted ? raw : FieldDecoder.trimmed(raw)
        guard !bytes.isEmpty else {
            throw CSVError(
                .malformed, line: line, field: field, "the label (\(labelIndex == fieldCount - 1 ? "last field" : "field \(field)")) is empty")
        }
        // Usually the same few classes: a linear scan of byte arrays beats hashing a fresh String per row.
        for (index, known) in classBytes.enumerated() where known.count == bytes.count {
            if known.withUnsafeBufferPointer({ $0.elementsEqual(bytes) }) {
                labels.append(Int32(index))
                return
            }
        }
        let label = try FieldDecoder.label(bytes, line: line, field: field)
        guard classes.count < limits.maxClasses else {
            throw CSVError(
                .tooLarge, line: line, field: field,
                "more than \(limits.maxClasses) distinct labels; if this column is not the label, say which is with label=first, label=<column name> or label=<0-based index>"
            )
        }
        classBytes.append(Array(bytes))
        classes.append(label)
        labels.append(Int32(classes.count - 1))
    }
}
