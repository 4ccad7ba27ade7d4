import LogitCore
import LogitTestSupport
import Testing

@Suite struct TrainingSetTests {
    @Test func wellFormedVariantsParseToTheSameShape() throws {
        let quoted = try TrainingSet.parse(Fixtures.bytes("wellformed/quoted_fields.csv"))
        #expect(quoted.featureCount == 2 && quoted.rowCount == 3)
        #expect(quoted.features == [1.5, 2.5, 3, 4, 5, 6])
        #expect(Set(quoted.classes) == ["setosa", "vir, ginica", "say \"hi\""])
        for name in ["bom.csv", "crlf.csv"] {
            let set = try TrainingSet.parse(Fixtures.bytes("wellformed/\(name)"))
            #expect(set.featureCount == 2 && Array(set.features.prefix(4)) == [1, 2, 3, 4] && set.classes.prefix(2) == ["a", "b"], "\(name)")
        }
        let blank = try TrainingSet.parse(Fixtures.bytes("wellformed/blank_lines_no_trailing_newline.csv"))
        #expect(blank.featureCount == 2 && blank.rowCount >= 2)
    }

    @Test func classesAreOrderedLikeNumpyUnique() throws {
        let numeric = try TrainingSet.parse(Array("1,10\n2,9\n3,10\n4,-1\n".utf8))
        #expect(numeric.classes == ["-1", "9", "10"])
        #expect(numeric.labels == [2, 1, 2, 0])
        let text = try TrainingSet.parse(Array("1,b\n2,B\n3,a\n".utf8))
        #expect(text.classes == ["B", "a", "b"])
    }

    @Test(arguments: [
        ("empty.csv", CSVError.Kind.empty), ("empty_field.csv", .malformed), ("empty_label.csv", .malformed),
        ("hex_float.csv", .malformed), ("inf.csv", .malformed), ("nan.csv", .malformed), ("one_class.csv", .unusable),
        ("one_column.csv", .malformed), ("one_row.csv", .unusable), ("overflow.csv", .malformed), ("ragged_row.csv", .malformed),
        ("text_in_feature.csv", .malformed), ("unclosed_quote.csv", .malformed),
    ])
    func malformedBodiesAreRejectedWithTheirKind(name: String, kind: CSVError.Kind) {
        #expect {
            _ = try TrainingSet.parse(Fixtures.bytes("malformed/\(name)"))
        } throws: { error in
            (error as? CSVError)?.kind == kind
        }
    }

    @Test func errorsNameTheLineAndField() {
        #expect {
            _ = try TrainingSet.parse(Array("1,2,a\n3,x,b\n".utf8))
        } throws: { error in
            guard let error = error as? CSVError else { return false }
            return error.line == 2 && error.field == 2
        }
    }

    @Test func limitsAreEnforced() {
        let body = Array("1,a\n2,b\n3,c\n".utf8)
        #expect(throws: CSVError.self) { try TrainingSet.parse(body, limits: CSVLimits(maxRows: 2)) }
        #expect(throws: CSVError.self) { try TrainingSet.parse(body, limits: CSVLimits(maxClasses: 2)) }
        #expect(throws: CSVError.self) { try TrainingSet.parse(Array("1,2,3,a\n4,5,6,b\n".utf8), limits: CSVLimits(maxColumns: 2)) }
    }

    @Test func featureRowsParseForPrediction() throws {
        let rows = try FeatureRows.parse(Array("1,2\n 3 ,\"4\"\n".utf8), featureCount: 2)
        #expect(rows.values == [1, 2, 3, 4] && rows.rowCount == 2)
        #expect(throws: CSVError.self) { try FeatureRows.parse(Array("1,2,3\n".utf8), featureCount: 2) }
        #expect(throws: CSVError.self) { try FeatureRows.parse(Array("".utf8), featureCount: 2) }
    }
}

@Suite struct TrainingSetValidationTests {
    @Test(arguments: ["iris.csv", "wine.csv", "wellformed/quoted_fields.csv", "wellformed/crlf.csv", "wellformed/bom.csv"])
    func validateLearnsWhatParseDoes(fixture: String) throws {
        let body = Fixtures.bytes(fixture)
        let set = try TrainingSet.parse(body)
        let shape = try body.withUnsafeBufferPointer { try TrainingSet.validate($0) }
        #expect(shape.rowCount == set.rowCount)
        #expect(shape.featureCount == set.featureCount)
        #expect(shape.classes == set.classes)
    }

    @Test(arguments: ["ragged_row.csv", "text_in_feature.csv", "empty.csv", "one_class.csv", "one_row.csv", "nan.csv", "unclosed_quote.csv"])
    func validateRejectsWhatParseRejects(fixture: String) {
        let body = Fixtures.bytes("malformed/\(fixture)")
        var parseError: CSVError?
        var validateError: CSVError?
        do { _ = try TrainingSet.parse(body) } catch { parseError = error }
        do { _ = try body.withUnsafeBufferPointer { (bytes) throws(CSVError) in try TrainingSet.validate(bytes) } } catch { validateError = error }
        #expect(parseError != nil)
        #expect(validateError == parseError)
    }
}
