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
    ///
    /// A large body is read by all cores at once (`ParallelTrainingRead`); `split` is for tests.
    public static func parse(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat = CSVFormat(), limits: CSVLimits = CSVLimits()
    ) throws(CSVError) -> TrainingSet {
        try parse(body, format: format, limits: limits, split: .automatic)
    }

    static func parse(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, split: ParallelTrainingRead.Split
    ) throws(CSVError) -> TrainingSet {
        let read = try read(body, format: format, limits: limits, keepingValues: true, split: split)
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
        try validate(body, format: format, limits: limits, split: .automatic)
    }

    static func validate(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, split: ParallelTrainingRead.Split
    ) throws(CSVError) -> Shape {
        let read = try read(body, format: format, limits: limits, keepingValues: false, split: split)
        return Shape(
            rowCount: read.reader.rowCount, featureCount: read.reader.featureCount, classes: read.classes,
            featureNames: read.reader.featureNames, labelName: read.reader.labelName, warnings: read.reader.warnings,
            labels: read.labels)
    }

    /// What `parseInParts` hands over, in this order: `reserve` once, then the matrix's rows.
    public enum MatrixDelivery {
        /// At most this many rows will come (the body's newlines, and one), of `featureCount` values each.
        case reserve(rows: Int, featureCount: Int)
        /// The next rows, row-major, `featureCount` values each; valid during the call only.
        case rows(UnsafeBufferPointer<Double>)
    }

    /// Bytes of body per part of `parseInParts`: the values of about two parts are held at a time. 4 MiB parts made
    /// the API grow by 1.5× an 85 MB body, 2 MiB parts by 1.25×, at the same speed.
    public static let partBytes = 2 << 20

    /// A large body read in parts (`ParallelTrainingRead.readInParts`), its matrix handed to `deliver` as it is
    /// read rather than kept: what the API does with a large training body, storing the matrix for the worker so
    /// that it is parsed once. `deliver` gets `.reserve` first, then the rows in order, one call at a time, from
    /// the reading threads.
    ///
    /// Returns the shape (with every row's class), or nil when the body is not one to read so (under 4 MiB, quoted
    /// fields, or a problem anywhere, perhaps after some rows were delivered): `validate` it then, for the error with
    /// its line and field. Throws the checks of a usable set that come after reading (`parse`'s `.unusable`).
    public static func parseInParts(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat = CSVFormat(), limits: CSVLimits = CSVLimits(),
        deliver: (MatrixDelivery) -> Void
    ) throws(CSVError) -> Shape? {
        try parseInParts(body, format: format, limits: limits, split: .automatic, partBytes: partBytes, deliver: deliver)
    }

    static func parseInParts(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, split: ParallelTrainingRead.Split, partBytes: Int,
        deliver: (MatrixDelivery) -> Void
    ) throws(CSVError) -> Shape? {
        guard
            var reader = ParallelTrainingRead.readInParts(body, format: format, limits: limits, split: split, partBytes: partBytes, deliver: deliver)
        else { return nil }
        reader.finish()
        // The header retry of `read` is for bodies far smaller than a part.
        if reader.rowCount < 2 && reader.featureNames != nil && format.header == .auto { return nil }
        let (classes, labels) = try classesAndLabels(reader)
        return Shape(
            rowCount: reader.rowCount, featureCount: reader.featureCount, classes: classes, featureNames: reader.featureNames,
            labelName: reader.labelName, warnings: reader.warnings, labels: labels)
    }

    /// Scans the body and applies the checks of a usable training set; returns the reader, the classes in model
    /// order and every row's index into them.
    private static func read(
        _ body: UnsafeBufferPointer<UInt8>, format: CSVFormat, limits: CSVLimits, keepingValues: Bool, split: ParallelTrainingRead.Split
    ) throws(CSVError) -> (reader: TrainingReader, classes: [String], labels: [Int32]) {
        var reader: TrainingReader
        if let (parallel, features) = ParallelTrainingRead.read(body, format: format, limits: limits, keepingValues: keepingValues, split: split) {
            reader = parallel
            reader.features = features
        } else {
            reader = TrainingReader(format: format, limits: limits, keepingValues: keepingValues)
            if keepingValues { reader.features.reserveCapacity(min(body.count / 4, 1 << 26)) }
            try CSVScanner.scan(body, delimiter: format.delimiter.byte, into: &reader)
        }
        reader.finish()
        if reader.rowCount < 2 && reader.featureNames != nil && format.header == .auto {
            // A first row taken for a header leaves too little data: it was more likely a bad data row, so report it
            // as one (`Infinity,a` then `2,b` is a bad number on line 1, not a header over one row).
            var asData = format
            asData.header = .absent
            return try read(body, format: asData, limits: limits, keepingValues: keepingValues, split: split)
        }
        let (classes, labels) = try classesAndLabels(reader)
        return (reader, classes, labels)
    }

    /// The checks of a usable set on a finished reader, then its classes in model order and every row's index
    /// into them.
    private static func classesAndLabels(_ reader: TrainingReader) throws(CSVError) -> (classes: [String], labels: [Int32]) {
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
        return (order.map { reader.classes[merged.kept[$0]] }, reader.labels.map { finalIndex[Int($0)] })
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
