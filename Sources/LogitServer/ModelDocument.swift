import LogitAPI
import LogitCore
import LogitRedis

// The documents a client sees of a stored model.

extension ModelMetadata {
    init(id: ModelID, record: ModelRecord) {
        self.init(
            modelID: id.rawValue, state: record.state, createdAt: Timestamp.format(record.createdAt),
            startedAt: record.startedAt.map(Timestamp.format), finishedAt: record.finishedAt.map(Timestamp.format), attempts: record.attempts,
            params: record.parameters, format: record.format, classes: record.shape.classes, featureCount: record.shape.featureCount,
            sampleCount: record.shape.sampleCount, featureNames: record.shape.featureNames, labelName: record.shape.labelName,
            progress: Progress(
                phase: record.state == .training ? record.progress?.phase : nil, iteration: record.progress?.iteration ?? 0,
                maxIter: record.parameters.maxIter, objective: record.progress?.objective,
                updatedAt: record.progress?.updatedAt.map(Timestamp.format)),
            summary: record.result?.summary, coefficients: record.result?.coefficients, error: record.error,
            warnings: record.warnings.isEmpty ? nil : record.warnings)
    }
}

extension ModelListing.Item {
    init(id: ModelID, record: ModelRecord) {
        self.init(
            modelID: id.rawValue, state: record.state, createdAt: Timestamp.format(record.createdAt),
            finishedAt: record.finishedAt.map(Timestamp.format), featureCount: record.shape.featureCount,
            sampleCount: record.shape.sampleCount, classes: record.shape.classes)
    }
}

extension StatusResponse {
    init(id: ModelID, status: ModelStatus) {
        let progress =
            status.state == .training ? status.iteration.map { Progress(phase: status.phase, iteration: $0, maxIter: status.maxIter) } : nil
        self.init(
            modelID: id.rawValue, state: status.state, progress: progress, error: status.error,
            warnings: status.warnings.isEmpty ? nil : status.warnings)
    }
}
