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
            progress: FitProgress(record.progress, state: record.state, maxIter: record.parameters.maxIter)
                ?? FitProgress(iteration: 0, maxIter: record.parameters.maxIter),
            summary: record.result?.summary, coefficients: record.result?.coefficients, error: record.error,
            warnings: record.warnings.isEmpty ? nil : record.warnings, name: record.name?.rawValue, version: record.version)
    }
}

extension ModelListing.Item {
    init(id: ModelID, record: ModelRecord) {
        self.init(
            modelID: id.rawValue, state: record.state, createdAt: Timestamp.format(record.createdAt),
            finishedAt: record.finishedAt.map(Timestamp.format), featureCount: record.shape.featureCount,
            sampleCount: record.shape.sampleCount, classes: record.shape.classes, name: record.name?.rawValue, version: record.version)
    }
}

extension ModelVersionList {
    init(_ found: ModelVersions) {
        var pointing: [Int: [String]] = [:]
        for (alias, version) in found.aliases { pointing[version, default: []].append(alias.rawValue) }
        self.init(
            name: found.name.rawValue,
            versions: found.versions.map { version in
                Version(
                    version: version.version, modelID: version.id.rawValue, state: version.record.state,
                    createdAt: Timestamp.format(version.record.createdAt), finishedAt: version.record.finishedAt.map(Timestamp.format),
                    aliases: (pointing[version.version] ?? []).sorted(), summary: version.record.result?.summary)
            }, aliases: Dictionary(uniqueKeysWithValues: found.aliases.map { ($0.key.rawValue, $0.value) }))
    }
}

extension StatusResponse {
    /// The status shows progress while training only (the original's answer has none otherwise).
    init(id: ModelID, status: ModelStatus) {
        self.init(
            modelID: id.rawValue, state: status.state,
            progress: status.state == .training ? FitProgress(status.progress, state: status.state, maxIter: status.maxIter) : nil,
            error: status.error, warnings: status.warnings.isEmpty ? nil : status.warnings, name: status.name?.rawValue, version: status.version)
    }
}

extension FitProgress {
    /// A stored fit's progress as clients see it (the phase only while training); nil before the first claim.
    init?(_ progress: ModelRecord.Progress?, state: ModelState, maxIter: Int) {
        guard let progress else { return nil }
        self.init(
            phase: state == .training ? progress.phase : nil, iteration: progress.iteration, maxIter: maxIter, objective: progress.objective,
            updatedAt: progress.updatedAt.map(Timestamp.format))
    }
}
