import Testing

@testable import LogitCore

/// Real files: header rows, label columns, delimiters, numeric labels, continuous labels, index columns, holdouts.
@Suite struct CSVFormatTests {
    func parse(_ text: String, _ format: CSVFormat = CSVFormat()) throws -> TrainingSet { try TrainingSet.parse(Array(text.utf8), format: format) }

    func validate(_ text: String, _ format: CSVFormat = CSVFormat()) throws -> TrainingSet.Shape {
        try Array(text.utf8).withUnsafeBufferPointer { buffer in try TrainingSet.validate(buffer, format: format) }
    }

    @Test func aHeaderRowIsDetectedAndNamesTheColumns() throws {
        let set = try parse("mean radius,texture,diagnosis\n1.5,2,benign\n3,4.5,malignant\n")
        #expect(set.featureNames == ["mean radius", "texture"] && set.labelName == "diagnosis")
        #expect(set.rowCount == 2 && set.features == [1.5, 2, 3, 4.5])
        let headerless = try parse("1.5,2,benign\n3,4.5,malignant\n")
        #expect(headerless.featureNames == nil && headerless.rowCount == 2)
    }

    @Test func headerFalseReadsTheFirstRowAsDataAndSaysWhereItFails() throws {
        let error = #expect(throws: CSVError.self) { _ = try parse("a,b,label\n1,2,x\n3,4,y\n", CSVFormat(header: .absent)) }
        #expect(error?.line == 1 && error?.field == 1)
        let forced = try parse("1,2,x\n3,4,y\n5,6,x\n", CSVFormat(header: .present))
        #expect(forced.featureNames == ["1", "2"] && forced.rowCount == 2)
        // Not a name: auto keeps the row as data and reports the bad number where it is.
        let notAName = #expect(throws: CSVError.self) { _ = try parse("1_000,a\n2,b\n3,a\n") }
        #expect(notAName?.line == 1 && notAName?.field == 1)
    }

    @Test func theLabelColumnCanBeFirstNamedOrIndexed() throws {
        let first = try parse("x,1,2\ny,3,4\n", CSVFormat(label: .first))
        #expect(first.classes == ["x", "y"] && first.features == [1, 2, 3, 4])
        let named = try parse("f1,species,f2\n1,x,2\n3,y,4\n", CSVFormat(label: .name("species")))
        #expect(named.labelName == "species" && named.featureNames == ["f1", "f2"] && named.features == [1, 2, 3, 4])
        let indexed = try parse("1,x,2\n3,y,4\n", CSVFormat(label: .index(1)))
        #expect(indexed.classes == ["x", "y"] && indexed.features == [1, 2, 3, 4])
        #expect(throws: CSVError.self) { _ = try parse("f1,f2\n1,x\n3,y\n", CSVFormat(label: .name("nope"))) }
        #expect(throws: CSVError.self) { _ = try parse("1,x\n3,y\n", CSVFormat(label: .index(5))) }
    }

    @Test(arguments: [CSVFormat.Delimiter.semicolon, .tab, .pipe])
    func otherDelimitersSeparateFields(delimiter: CSVFormat.Delimiter) throws {
        let separator = String(UnicodeScalar(delimiter.byte))
        let text = ["a", "b", "label"].joined(separator: separator) + "\n" + ["1,5", "2", "\"x\""].joined(separator: separator) + "\n"
        if delimiter == .semicolon {
            // "1,5" is not a number even with semicolons: the decimal separator stays a point.
            #expect(throws: CSVError.self) { _ = try parse(text + "3;4;y\n", CSVFormat(delimiter: delimiter)) }
        }
        let rows = ["1.5", "2", "x"].joined(separator: separator) + "\n" + ["3", "4", "\"y\""].joined(separator: separator) + "\n"
        let set = try parse(["a", "b", "label"].joined(separator: separator) + "\n" + rows, CSVFormat(delimiter: delimiter))
        #expect(set.featureNames == ["a", "b"] && set.features == [1.5, 2, 3, 4] && set.classes == ["x", "y"])
    }

    @Test func numericLabelsCompareAsNumbers() throws {
        let set = try parse("1,0\n2,0.0\n3,1\n4,1.00\n5,0\n")
        #expect(set.classes == ["0", "1"], "the first spelling of each value")
        #expect(set.labels == [0, 0, 1, 1, 0])
        #expect(try validate("1,0\n2,0.0\n3,1\n").classes == ["0", "1"])
        #expect(try parse("1,a\n2,A\n").classes == ["A", "a"], "text labels stay distinct")
    }

    @Test func aContinuousLabelColumnIsRefusedWithAHintNamingLabel() throws {
        let rows = (0..<300).map { "\($0 % 7),\(Double($0) * 0.37 + 1)" }.joined(separator: "\n")
        do throws(CSVError) {
            _ = try Array(("a,radius\n" + rows).utf8).withUnsafeBufferPointer { (buffer) throws(CSVError) in try TrainingSet.validate(buffer) }
            Issue.record("a continuous label was accepted")
        } catch {
            #expect(error.kind == .unusable)
            #expect(error.reason.contains("looks continuous") && error.reason.contains("label="), "\(error.reason)")
        }
    }

    @Test func aFeatureColumnThatCountsRowsIsAWarning() throws {
        let shape = try validate("idx,x,y\n0,1.5,a\n1,2.5,b\n2,0.5,a\n3,9,b\n")
        #expect(shape.warnings.count == 1 && shape.warnings[0].contains("\"idx\"") && shape.warnings[0].contains("row index"))
        #expect(try validate("5.1,1,a\n4.9,2,b\n4.7,3,a\n").warnings.count == 1, "1, 2, 3 … counts too")
        #expect(try validate("0,1.5,a\n5,2.5,b\n2,0.5,a\n").warnings.isEmpty)
    }

    @Test func aHoldoutThatStarvesAClassIsRefusedNamingTheParameter() throws {
        let shape = try validate((0..<40).map { "\($0 % 5).5,\($0 < 36 ? "big" : "small")" }.joined(separator: "\n"))
        #expect(throws: ParameterError.self) {
            try HoldoutSplit.check(labels: shape.labels, classes: shape.classes, fraction: 0.999, seed: 0)
        }
        do throws(ParameterError) {
            try HoldoutSplit.check(labels: shape.labels, classes: shape.classes, fraction: 0.5, seed: 0)
        } catch {
            #expect(error.name == "validation_fraction")
        }
        try HoldoutSplit.check(labels: shape.labels, classes: shape.classes, fraction: 0, seed: 0)
    }

    @Test func predictionRowsMatchAHeaderByNameAndKeepPassthroughColumns() throws {
        let rows = try FeatureRows.parse(
            Array("id,texture,mean radius,note\n7,2,1.5,x\n8,4,3,y\n".utf8), featureCount: 2, featureNames: ["mean radius", "texture"],
            passthrough: ["id"])
        #expect(rows.values == [1.5, 2, 3, 4])
        #expect(rows.passthrough == ["7", "8"] && rows.passthroughNames == ["id"])
        #expect(throws: CSVError.self) {
            _ = try FeatureRows.parse(Array("texture,other\n1,2\n".utf8), featureCount: 2, featureNames: ["mean radius", "texture"])
        }
        let headerless = try FeatureRows.parse(Array("1.5,2\n".utf8), featureCount: 2, featureNames: ["mean radius", "texture"])
        #expect(headerless.values == [1.5, 2])
    }

    @Test func anUnconvergedFitIsReadyWithAWarningAndOneThatNeverMovedFails() {
        var summary = TrainingSummary(
            iterations: 100, converged: false, stopReason: .maxIter, objective: 0.3, gradientNorm: 1e-3, objectiveGapBound: 1e-4,
            objectiveHistory: [], dataPasses: 200, trainAccuracy: 0.9, validationAccuracy: nil, trainingSeconds: 0.1)
        guard case .ready(let warnings) = FitReview.review(summary, parameters: TrainingParameters()) else {
            Issue.record("max_iter is a warning")
            return
        }
        #expect(warnings.count == 1 && warnings[0].contains("max_iter"))
        summary.stopReason = .noProgress
        summary.nIter = 1
        var parameters = TrainingParameters()
        parameters.learningRate = 1e3
        guard case .failed(let reason) = FitReview.review(summary, parameters: parameters) else {
            Issue.record("no progress at all fails")
            return
        }
        #expect(reason.contains("learning_rate=1000"))
        summary.converged = true
        #expect(FitReview.review(summary, parameters: parameters) == .ready(warnings: []))
    }
}
