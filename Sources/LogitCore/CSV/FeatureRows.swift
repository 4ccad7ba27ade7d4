/// A parsed prediction body: rows of features only, no label column.
public struct FeatureRows: Sendable {
    public var values: [Double]
    public let featureCount: Int
    /// With a header row and `passthrough` columns: their values, row after row (`passthroughNames.count` per row).
    public var passthrough: [String] = []
    public var passthroughNames: [String] = []
    public var rowCount: Int { featureCount == 0 ? 0 : values.count / featureCount }

    public init(values: [Double], featureCount: Int) {
        self.values = values
        self.featureCount = featureCount
    }

    /// Parses rows of `featureCount` numeric fields. When the model knows its features' names and the first row
    /// names them all (and is not all numbers), that row is a header: columns are matched by name in any order,
    /// other columns are ignored, and those named in `passthrough` are kept as text for the output.
    public static func parse(
        _ body: UnsafeBufferPointer<UInt8>, featureCount: Int, featureNames: [String]? = nil, passthrough: [String] = [],
        maxRows: Int = .max
    ) throws(CSVError) -> FeatureRows {
        var reader = Reader(featureCount: featureCount, featureNames: featureNames, passthrough: passthrough, maxRows: maxRows)
        try CSVScanner.scan(body, into: &reader)
        guard reader.rows > 0 else { throw CSVError(.empty, "the body has no rows: send CSV rows of \(featureCount) features") }
        var rows = FeatureRows(values: reader.values, featureCount: featureCount)
        rows.passthrough = reader.passthroughValues
        rows.passthroughNames = passthrough
        return rows
    }

    public static func parse(
        _ body: [UInt8], featureCount: Int, featureNames: [String]? = nil, passthrough: [String] = [], maxRows: Int = .max
    ) throws(CSVError) -> FeatureRows {
        try body.withUnsafeBufferPointer { (buffer) throws(CSVError) in
            try parse(buffer, featureCount: featureCount, featureNames: featureNames, passthrough: passthrough, maxRows: maxRows)
        }
    }

    /// Where a column of the body goes.
    private enum Destination {
        case feature(Int)
        case passthrough(Int)
        case ignored
    }

    private struct Reader: CSVVisitor {
        let featureCount: Int
        let featureNames: [String]?
        let passthrough: [String]
        let maxRows: Int
        var values: [Double] = []
        var passthroughValues: [String] = []
        var rows = 0
        /// Nil until the first record ends; then one destination per column (positional without a header).
        var columns: [Destination]? = nil
        var firstRecord: [(bytes: [UInt8], line: Int)] = []
        var rowValues: [Double] = []
        var rowPassthrough: [String] = []

        init(featureCount: Int, featureNames: [String]?, passthrough: [String], maxRows: Int) {
            self.featureCount = featureCount
            self.featureNames = featureNames
            self.passthrough = passthrough
            self.maxRows = maxRows
            rowValues = Array(repeating: 0, count: featureCount)
            rowPassthrough = Array(repeating: "", count: passthrough.count)
        }

        mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, index: Int) throws(CSVError) {
            guard let columns else {
                firstRecord.append((Array(bytes), line))
                return
            }
            guard index < columns.count else {
                throw CSVError(
                    .malformed, line: line, field: index + 1,
                    "the model takes \(featureCount) features per row, found more (send features only, no label)")
            }
            switch columns[index] {
            case .feature(let feature): rowValues[feature] = try FieldDecoder.number(bytes, line: line, field: index + 1)
            case .passthrough(let slot): rowPassthrough[slot] = String(decoding: bytes, as: UTF8.self)
            case .ignored: break
            }
        }

        /// A feature that is a plain number is read in place, as training does (`TrainingReader`).
        mutating func readUnquotedField(
            _ base: UnsafePointer<UInt8>, from start: Int, end: Int, delimiter: UInt8, line: Int, index: Int
        ) throws(CSVError) -> Int? {
            guard let columns, index < columns.count, case .feature(let feature) = columns[index],
                let (value, fieldEnd) = DecimalParser.parseField(base, from: start, end: end, delimiter: delimiter)
            else { return nil }
            rowValues[feature] = value
            return fieldEnd
        }

        mutating func endRecord(line: Int, fieldCount: Int) throws(CSVError) {
            if columns == nil {
                let record = firstRecord
                firstRecord = []
                if let header = try headerColumns(record.map { String(decoding: $0.bytes, as: UTF8.self) }, line: line) {
                    columns = header
                    return
                }
                guard passthrough.isEmpty else {
                    throw CSVError(.malformed, line: line, "passthrough needs a header row naming the model's features and the columns to copy")
                }
                columns = (0..<featureCount).map { .feature($0) }
                for (index, field) in record.enumerated() {
                    try field.bytes.withUnsafeBufferPointer { (buffer) throws(CSVError) in
                        try self.field(buffer, quoted: false, line: line, index: index)
                    }
                }
            }
            guard fieldCount == columns!.count else {
                throw CSVError(.malformed, line: line, "the model takes \(featureCount) features per row, found \(fieldCount)")
            }
            values += rowValues
            passthroughValues += rowPassthrough
            rows += 1
            if rows > maxRows { throw CSVError(.tooLarge, line: line, "more than \(maxRows) rows") }
        }

        /// The columns of a header row: nil when the row is data (the model has no names, or the row is not a
        /// header: some field is a number). Every feature must be named.
        private func headerColumns(_ fields: [String], line: Int) throws(CSVError) -> [Destination]? {
            let trimmed = fields.map { String($0.trimmingSpaces) }
            let anyNumber = trimmed.contains { Double($0) != nil }
            guard let featureNames, !anyNumber else { return nil }
            let missing = featureNames.filter { !trimmed.contains($0) }
            guard missing.isEmpty else {
                throw CSVError(
                    .malformed, line: line,
                    "the header row lacks the model's feature\(missing.count == 1 ? "" : "s") \(missing.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            if let absent = passthrough.first(where: { !trimmed.contains($0) }) {
                throw CSVError(.malformed, line: line, "passthrough column \"\(absent)\" is not in the header row")
            }
            return trimmed.map { name in
                if let feature = featureNames.firstIndex(of: name) { return .feature(feature) }
                if let slot = passthrough.firstIndex(of: name) { return .passthrough(slot) }
                return .ignored
            }
        }
    }
}
