import LogitRedis

/// The JSON a client sees of a model, built from its Redis hash (stored JSON fields are spliced as they are).
enum ModelDocument {
    static func metadata(id: ModelID, record: [String: String]) -> JSONValue {
        let state = record[ModelField.state].flatMap(ModelState.init(rawValue:)) ?? .failed
        var progress: [(String, JSONValue)] = [
            ("iteration", int(record[ModelField.progressIteration]) ?? .int(0)),
            ("max_iter", int(record[ModelField.maxIter]) ?? .null),
            ("objective", record[ModelField.progressObjective].flatMap(Double.init).map(JSONValue.number) ?? .null),
        ]
        if let updated = record[ModelField.progressUpdatedAt] { progress.append(("updated_at", .string(updated))) }
        return .object([
            ("model_id", .string(id.rawValue)),
            ("status", .string(ModelController.originalStatus(state))),
            ("state", .string(state.rawValue)),
            ("created_at", string(record[ModelField.createdAt])),
            ("started_at", string(record[ModelField.startedAt])),
            ("finished_at", string(record[ModelField.finishedAt])),
            ("attempts", int(record[ModelField.attempts]) ?? .int(0)),
            ("params", raw(record[ModelField.params])),
            ("classes", raw(record[ModelField.classes])),
            ("n_features", int(record[ModelField.featureCount]) ?? .null),
            ("n_samples", int(record[ModelField.sampleCount]) ?? .null),
            ("progress", .object(progress)),
            ("summary", raw(record[ModelField.summary])),
            ("coefficients", raw(record[ModelField.coefficients])),
            ("error", string(record[ModelField.error])),
        ])
    }

    /// The short form used by `GET /models`.
    static func listing(id: ModelID, record: [String: String]) -> JSONValue {
        let state = record[ModelField.state].flatMap(ModelState.init(rawValue:)) ?? .failed
        return .object([
            ("model_id", .string(id.rawValue)),
            ("status", .string(ModelController.originalStatus(state))),
            ("state", .string(state.rawValue)),
            ("created_at", string(record[ModelField.createdAt])),
            ("finished_at", string(record[ModelField.finishedAt])),
            ("n_features", int(record[ModelField.featureCount]) ?? .null),
            ("n_samples", int(record[ModelField.sampleCount]) ?? .null),
            ("classes", raw(record[ModelField.classes])),
            ("url", .string("/models/\(id)")),
        ])
    }

    private static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    private static func int(_ value: String?) -> JSONValue? { value.flatMap(Int.init).map(JSONValue.int) }
    private static func raw(_ value: String?) -> JSONValue { value.map(JSONValue.raw) ?? .null }
}
