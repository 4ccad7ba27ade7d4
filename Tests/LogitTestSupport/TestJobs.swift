import Foundation
import LogitCore
import LogitRedis
import NIOCore

extension JobQueue {
    /// Queues a job as the API would: a valid queued record for `csv` (labels last, default two rows).
    public func enqueue(
        _ id: ModelID, csv: [UInt8] = Array("1,a\n2,b\n".utf8), parameters: TrainingParameters = TrainingParameters(), replicas: Int = 0,
        ackTimeout: Duration = .seconds(1)
    ) async throws {
        let shape = try csv.withUnsafeBufferPointer { try TrainingSet.validate($0) }
        let record = ModelRecord.queued(
            parameters: parameters,
            shape: ModelRecord.DataShape(classes: shape.classes, featureCount: shape.featureCount, sampleCount: shape.rowCount),
            createdAt: Timestamp.nowDate())
        try await enqueue(
            id, data: ByteBuffer(bytes: csv), fields: record.fields, createdAt: record.createdAt, replicas: replicas, ackTimeout: ackTimeout)
    }

    /// Queues a job whose training data is `data` as it is (not necessarily CSV), with a placeholder record.
    public func enqueue(_ id: ModelID, rawData data: ByteBuffer) async throws {
        let record = ModelRecord.queued(
            parameters: TrainingParameters(), shape: ModelRecord.DataShape(classes: ["a", "b"], featureCount: 1, sampleCount: 2),
            createdAt: Timestamp.nowDate())
        try await enqueue(id, data: data, fields: record.fields, createdAt: record.createdAt)
    }
}

/// A small fitted model and summary, for storing results without training.
public enum TestFit {
    public static let model = LogisticModel(
        classes: ["a", "b"], standardizer: Standardizer(mean: [1.5], scale: [0.5]), weights: [0.75], intercepts: [0.25])

    public static func summary(objective: Double = 0.5, seconds: Double = 0.5) -> TrainingSummary {
        TrainingSummary(
            iterations: 3, converged: true, stopReason: .gradientTolerance, objective: objective, gradientNorm: 1e-9,
            objectiveGapBound: 1e-12, objectiveHistory: [0.69, objective], dataPasses: 7, trainAccuracy: 1, validationAccuracy: nil,
            trainingSeconds: seconds)
    }
}
