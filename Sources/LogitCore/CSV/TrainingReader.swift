/// Collects features and labels record by record. The first record is held until it ends: then the reader knows
/// how many fields a row has, which is the label, and whether that record is a header.
struct TrainingReader: CSVVisitor {
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
    /// How many of `countsLikeAnIndex` are still true: usually none after the second row, and then no field pays
    /// for the check.
    var indexLikeColumns = 0

    var featureCount: Int { fieldCount - 1 }

    /// Where values go instead of `features` when set: a matrix this reader fills row by row from its start (the
    /// parallel read's part of one shared buffer, `ParallelTrainingRead`).
    var output: UnsafeMutablePointer<Double>? = nil
    var written = 0
    /// True for a reader that starts mid-body: a column counting from any value is still index-like here (the
    /// parallel read checks that the parts continue each other's count).
    var indexMayStartAnywhere = false

    init(format: CSVFormat, limits: CSVLimits, keepingValues: Bool, output: UnsafeMutablePointer<Double>? = nil) {
        self.format = format
        self.limits = limits
        self.keepingValues = keepingValues
        self.output = output
    }

    /// A reader for the records after `first`'s first record, starting at a record boundary: the same row shape and
    /// label column, no header.
    init(continuing first: TrainingReader, output: UnsafeMutablePointer<Double>?) {
        self.init(format: first.format, limits: first.limits, keepingValues: first.keepingValues, output: output)
        fieldCount = first.fieldCount
        labelIndex = first.labelIndex
        firstLine = first.firstLine
        countsLikeAnIndex = Array(repeating: true, count: first.featureCount)
        indexStart = Array(repeating: 0, count: first.featureCount)
        indexLikeColumns = first.featureCount
        indexMayStartAnywhere = true
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
            append(try FieldDecoder.number(bytes, line: line, field: index + 1), index: index)
        }
    }

    /// A feature field that is a plain number is read where it lies (`DecimalParser.parseField`); anything else,
    /// and the first record and the label, take the general path.
    mutating func readUnquotedField(
        _ base: UnsafePointer<UInt8>, from start: Int, end: Int, delimiter: UInt8, line: Int, index: Int
    ) throws(CSVError) -> Int? {
        guard fieldCount != 0 && index < fieldCount && index != labelIndex,
            let (value, fieldEnd) = DecimalParser.parseField(base, from: start, end: end, delimiter: delimiter)
        else { return nil }
        append(value, index: index)
        return fieldEnd
    }

    @inline(__always)
    private mutating func append(_ value: Double, index: Int) {
        if let output {
            output[written] = value
            written += 1
        } else if keepingValues {
            features.append(value)
        }
        guard indexLikeColumns > 0 else { return }
        let column = index < labelIndex ? index : index - 1
        if countsLikeAnIndex[column] {
            if rowCount == 0 { indexStart[column] = value }
            countsLikeAnIndex[column] =
                (indexStart[column] == 0 || indexStart[column] == 1 || indexMayStartAnywhere) && value == indexStart[column] + Double(rowCount)
            if !countsLikeAnIndex[column] { indexLikeColumns -= 1 }
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
        indexLikeColumns = count - 1
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
