import Foundation
import LogitCore
import LogitTestSupport
import Testing

@testable import LogitRedis

/// `ModelRecord` to and from the model hash: every member survives, and a bad stored field is named.
@Suite struct ModelRecordCodecTests {
    static var full: ModelRecord {
        var parameters = TrainingParameters()
        parameters.C = 0.5
        parameters.learningRate = 0.25
        return ModelRecord(
            state: .ready, createdAt: Timestamp.parse("2026-11-23T15:04:05.123Z")!, startedAt: Timestamp.parse("2026-11-23T15:04:06.001Z")!,
            finishedAt: Timestamp.parse("2026-11-23T15:04:07.999Z")!, parameters: parameters,
            format: CSVFormat(header: .present, label: .name("species"), delimiter: .tab),
            shape: ModelRecord.DataShape(
                classes: ["a", "b,c", "\"d\""], featureCount: 4, sampleCount: 150, featureNames: ["w", "x", "y", "z"], labelName: "species"),
            progress: ModelRecord.Progress(
                phase: .fitting, iteration: 12, objective: 0.125, updatedAt: Timestamp.parse("2026-11-23T15:04:07.500Z")!),
            result: ModelRecord.FitResult(summary: TestFit.summary(), coefficients: Coefficients(TestFit.model)), error: "a reason",
            warnings: ["a warning"], attempts: 2, worker: "host-1-abc",
            name: ModelName(validating: "churn"), version: 3)
    }

    @Test func everyMemberSurvivesTheHash() throws {
        let record = Self.full
        let stored = Dictionary(uniqueKeysWithValues: record.fields.map { ($0.0.rawValue, $0.1) })
        #expect(try ModelRecord(id: ModelID.generate(), fields: stored) == record)
        let queued = ModelRecord.queued(parameters: TrainingParameters(), shape: record.shape, createdAt: record.createdAt)
        let storedQueued = Dictionary(uniqueKeysWithValues: queued.fields.map { ($0.0.rawValue, $0.1) })
        #expect(try ModelRecord(id: ModelID.generate(), fields: storedQueued) == queued)
        #expect(storedQueued[ModelField.maxIter.rawValue] == "10000", "max_iter is stored apart for status reads")
    }

    @Test(arguments: [ModelField.state, .createdAt, .params, .classes, .featureCount])
    func aMissingOrUnreadableFieldIsNamed(field: ModelField) throws {
        let id = ModelID.generate()
        var stored = Dictionary(uniqueKeysWithValues: Self.full.fields.map { ($0.0.rawValue, $0.1) })
        stored[field.rawValue] = "{not what it should be"
        #expect(throws: CorruptRecordError(id: id, field: field.rawValue, reason: "")) {
            _ = try ModelRecord(id: id, fields: stored)
        }
    }

    @Test func timestampsReadBackToTheMillisecond() {
        for text in ["2026-11-23T15:04:05.123Z", "1999-12-31T23:59:59.999Z", "2026-02-28T00:00:00.000Z"] {
            #expect(Timestamp.parse(text).map(Timestamp.format) == text)
        }
        #expect(Timestamp.parse("2026-11-23 15:04:05") == nil)
        let now = Timestamp.nowDate()
        #expect(Timestamp.parse(Timestamp.format(now)) == now)
    }
}
