/// A parsed prediction body: rows of features only, no label column.
public struct FeatureRows: Sendable {
    public var values: [Double]
    public let featureCount: Int
    public var rowCount: Int { featureCount == 0 ? 0 : values.count / featureCount }

    /// Parses rows that must each have exactly `featureCount` numeric fields.
    public static func parse(_ body: UnsafeBufferPointer<UInt8>, featureCount: Int, maxRows: Int = .max) throws(CSVError) -> FeatureRows {
        var reader = Reader(featureCount: featureCount, maxRows: maxRows)
        try CSVScanner.scan(body, into: &reader)
        guard reader.rows > 0 else { throw CSVError(.empty, "the body has no rows: send CSV rows of \(featureCount) features") }
        return FeatureRows(values: reader.values, featureCount: featureCount)
    }

    public static func parse(_ body: [UInt8], featureCount: Int, maxRows: Int = .max) throws(CSVError) -> FeatureRows {
        try body.withUnsafeBufferPointer { (buffer) throws(CSVError) in try parse(buffer, featureCount: featureCount, maxRows: maxRows) }
    }

    private struct Reader: CSVVisitor {
        let featureCount: Int
        let maxRows: Int
        var values: [Double] = []
        var rows = 0

        init(featureCount: Int, maxRows: Int) {
            self.featureCount = featureCount
            self.maxRows = maxRows
        }

        mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, index: Int) throws(CSVError) {
            guard index < featureCount else {
                throw CSVError(
                    .malformed, line: line, field: index + 1,
                    "the model takes \(featureCount) features per row, found more (send features only, no label)")
            }
            values.append(try FieldDecoder.number(bytes, line: line, field: index + 1))
        }

        mutating func endRecord(line: Int, fieldCount: Int) throws(CSVError) {
            guard fieldCount == featureCount else {
                throw CSVError(.malformed, line: line, "the model takes \(featureCount) features per row, found \(fieldCount)")
            }
            rows += 1
            if rows > maxRows { throw CSVError(.tooLarge, line: line, "more than \(maxRows) rows") }
        }
    }
}
