import Foundation
import LogitTestSupport
import Testing

@testable import LogitCore

/// The parallel read of a large training body must give what the sequential read gives: the same matrix, labels,
/// classes, names and warnings, or the same error. Checked on seeded random bodies with the minimum size at 0, so
/// that every body is split, into 2 to 8 parts.
@Suite struct ParallelTrainingReadTests {
    /// A random body: some rows of numbers written in varied ways, perhaps a header, an index column, blank lines,
    /// `\r\n`, no final newline, numeric or many labels; and, now and then, one mistake.
    static func body(_ random: inout SeededGenerator) -> (bytes: [UInt8], format: CSVFormat) {
        var format = CSVFormat()
        format.delimiter = [.comma, .semicolon, .tab, .pipe].randomElement(using: &random)!
        let separator = Character(UnicodeScalar(format.delimiter.byte))
        let rows = Int.random(in: 2...120, using: &random)
        let features = Int.random(in: 1...5, using: &random)
        let indexColumn = Int.random(in: 0..<4, using: &random) == 0 ? Int.random(in: 0..<features, using: &random) : nil
        let indexOrigin = Int.random(in: 0...1, using: &random)
        let labelKind = Int.random(in: 0..<4, using: &random)
        let newline = Bool.random(using: &random) ? "\n" : "\r\n"
        var lines: [String] = []
        if Bool.random(using: &random) {
            lines.append(((0..<features).map { "f\($0)" } + ["label"]).joined(separator: String(separator)))
        }
        for row in 0..<rows {
            var fields = (0..<features).map { column -> String in
                if column == indexColumn { return "\(row + indexOrigin)" }
                let value = Double(Int.random(in: -99_999...99_999, using: &random)) / 1000
                switch Int.random(in: 0..<6, using: &random) {
                case 0: return "\(Int(value))"
                case 1: return "\(value)e1"
                case 2: return " \(value) "
                case 3: return "+\(abs(value))"
                case 4: return "0.00000000000000000000\(abs(Int(value * 1000)))"  // more than 19 digits
                default: return "\(value)"
                }
            }
            let label: String
            switch labelKind {
            case 0: label = ["setosa", "versicolor", "virginica"].randomElement(using: &random)!
            case 1: label = ["0", "0.0", "1", "2.0"].randomElement(using: &random)!
            case 2: label = "class-\(Int.random(in: 0..<400, using: &random))"
            default: label = row < rows / 2 ? "a" : "b"  // the second class only in later parts
            }
            fields.append(label)
            lines.append(fields.joined(separator: String(separator)))
            if Int.random(in: 0..<15, using: &random) == 0 { lines.append(Bool.random(using: &random) ? "" : "  ") }
        }
        if Int.random(in: 0..<5, using: &random) == 0 {
            let at = Int.random(in: 0..<lines.count, using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0: lines[at] += String(separator) + "1"
            case 1: lines[at] = "1" + String(separator) + "x"
            case 2: lines[at] = lines[at].replacingOccurrences(of: "1", with: "1x")
            default: lines[at] += String(separator)
            }
        }
        var text = lines.joined(separator: newline)
        if Bool.random(using: &random) { text += newline }
        return (Array(text.utf8), format)
    }

    static func outcome(_ body: [UInt8], _ format: CSVFormat, split: ParallelTrainingRead.Split) -> Result<TrainingSet, CSVError> {
        body.withUnsafeBufferPointer { bytes in
            Result(catching: { () throws(CSVError) in try TrainingSet.parse(bytes, format: format, limits: CSVLimits(), split: split) })
        }
    }

    @Test func theParallelReadGivesWhatTheSequentialReadGives() throws {
        var random = SeededGenerator(seed: 11)
        var split = 0
        var accepted = 0
        for _ in 0..<3000 {
            let (body, format) = Self.body(&random)
            let parts = Int.random(in: 2...8, using: &random)
            let parallel = ParallelTrainingRead.Split(parts: parts, minimumBytes: 0)
            let sequential = Self.outcome(body, format, split: .sequential)
            let inParts = Self.outcome(body, format, split: parallel)
            switch (sequential, inParts) {
            case (.success(let one), .success(let other)):
                accepted += 1
                #expect(one.features.elementsEqual(other.features) { $0.bitPattern == $1.bitPattern })
                #expect(one.labels == other.labels && one.classes == other.classes)
                #expect(one.featureNames == other.featureNames && one.labelName == other.labelName)
                #expect(one.warnings == other.warnings, "\(String(decoding: body, as: UTF8.self))")
            case (.failure(let one), .failure(let other)):
                #expect(one == other)
            default:
                Issue.record("sequential \(sequential) vs \(parts) parts \(inParts):\n\(String(decoding: body, as: UTF8.self))")
            }
            // Not vacuous: a good body is really read in parts.
            let wasSplit = body.withUnsafeBufferPointer {
                ParallelTrainingRead.read($0, format: format, limits: CSVLimits(), keepingValues: true, split: parallel) != nil
            }
            if wasSplit { split += 1 }
        }
        #expect(accepted > 1500)
        #expect(split > 1000)
    }

    /// The API's read of a large body, which hands the matrix over part by part: the rows delivered, in order, are
    /// the sequential read's matrix bit for bit, never more than reserved, and the shape is `validate`'s; a body
    /// the sequential read refuses is refused (nil, or the same error).
    @Test func theReadThatDeliversPartsGivesTheSequentialMatrix() {
        var random = SeededGenerator(seed: 13)
        var delivered = 0
        for _ in 0..<2000 {
            let (body, format) = Self.body(&random)
            let split = ParallelTrainingRead.Split(parts: Int.random(in: 2...3, using: &random), minimumBytes: 0)
            let partBytes = Int.random(in: 16...400, using: &random)
            var reserved: Int? = nil
            var rows: [Double] = []
            var events = 0
            let inParts = body.withUnsafeBufferPointer { bytes in
                Result(catching: { () throws(CSVError) in
                    try TrainingSet.parseInParts(bytes, format: format, limits: CSVLimits(), split: split, partBytes: partBytes) { delivery in
                        events += 1
                        switch delivery {
                        case .reserve(let count, _):
                            #expect(events == 1 && reserved == nil)
                            reserved = count
                        case .rows(let values): rows.append(contentsOf: values)
                        }
                    }
                })
            }
            let sequential = Self.outcome(body, format, split: .sequential)
            switch (sequential, inParts) {
            case (.success(let set), .success(.some(let shape))):
                delivered += 1
                #expect(rows.elementsEqual(set.features) { $0.bitPattern == $1.bitPattern }, "\(String(decoding: body, as: UTF8.self))")
                #expect(shape.rowCount * shape.featureCount == rows.count && shape.rowCount <= reserved ?? -1)
                #expect(shape.labels == set.labels && shape.classes == set.classes && shape.warnings == set.warnings)
                #expect(shape.featureNames == set.featureNames && shape.labelName == set.labelName)
            case (.failure(let one), .failure(let other)):
                #expect(one == other)
            case (_, .success(nil)):
                break  // not read in parts: the caller validates it sequentially
            default:
                Issue.record("sequential \(sequential) vs in parts \(inParts):\n\(String(decoding: body, as: UTF8.self))")
            }
        }
        #expect(delivered > 1000)
    }

    /// Parts finish in any order; their values are handed on in part order, and nothing after a part that failed.
    @Test func partsAreHandedOnInOrder() {
        var random = SeededGenerator(seed: 14)
        for _ in 0..<200 {
            let count = Int.random(in: 1...12, using: &random)
            let failing = Int.random(in: 0..<3, using: &random) == 0 ? Int.random(in: 0..<count, using: &random) : nil
            let handOff = OrderedHandOff()
            var delivered: [Double] = []
            for part in (0..<count).shuffled(using: &random) {
                handOff.deposit(part, [Double(part)], failed: part == failing) { delivered += $0 }
            }
            let expected = (0..<(failing ?? count)).map(Double.init)
            // A part that failed may have been deposited after later ones were handed on: only a prefix, then.
            #expect(failing == nil ? delivered == expected : expected.starts(with: delivered), "\(delivered)")
            #expect(handOff.hasFailed == (failing != nil))
        }
    }

    @Test func validationInPartsMatchesToo() {
        var random = SeededGenerator(seed: 12)
        for _ in 0..<500 {
            let (body, format) = Self.body(&random)
            let shapes = [ParallelTrainingRead.Split.sequential, .init(parts: 3, minimumBytes: 0)].map { split in
                body.withUnsafeBufferPointer { bytes in
                    Result(catching: { () throws(CSVError) in try TrainingSet.validate(bytes, format: format, limits: CSVLimits(), split: split) })
                }
            }
            #expect(shapes[0] == shapes[1])
        }
    }

    /// Two parts that each count 1, 2, 3, … are one index-like column only when the second continues the first.
    @Test func anIndexColumnMustContinueAcrossParts() throws {
        let half = (1...50).map { "\($0),\($0 % 2 == 0 ? "a" : "b")\n" }.joined()
        let restarting = Array((half + half).utf8)
        let continuing = Array((half + (51...100).map { "\($0),\($0 % 2 == 0 ? "a" : "b")\n" }.joined()).utf8)
        for (body, isIndex) in [(restarting, false), (continuing, true)] {
            let set = try #require(try? Self.outcome(body, CSVFormat(), split: .init(parts: 2, minimumBytes: 0)).get())
            #expect(set.warnings.contains { $0.contains("like a row index") } == isIndex)
        }
    }

    @Test func aQuotedBodyIsReadSequentially() {
        let body = Array("\"1\",a\n2,b\n3,a\n".utf8)
        let read = body.withUnsafeBufferPointer {
            ParallelTrainingRead.read($0, format: CSVFormat(), limits: CSVLimits(), keepingValues: true, split: .init(parts: 2, minimumBytes: 0))
        }
        #expect(read == nil)
    }
}
