/// Field names of the model hash `{p}model:{id}` and the values of its `state` field.
public enum ModelField {
    public static let state = "state"
    public static let createdAt = "created_at"
    public static let startedAt = "started_at"
    public static let finishedAt = "finished_at"
    public static let params = "params"
    public static let classes = "classes"
    public static let featureCount = "n_features"
    public static let sampleCount = "n_samples"
    public static let maxIter = "max_iter"
    public static let progressIteration = "progress_iteration"
    public static let progressObjective = "progress_objective"
    public static let progressUpdatedAt = "progress_updated_at"
    public static let summary = "summary"
    public static let coefficients = "coefficients"
    /// The fitted model as prediction reads it (standardization + standardized weights), JSON.
    public static let model = "model"
    public static let error = "error"
    public static let attempts = "attempts"
    public static let worker = "worker"
}

/// The life of a model: queued → training → ready | failed (training → queued when a job is handed back or reclaimed).
public enum ModelState: String, Sendable, Codable, CaseIterable {
    case queued, training, ready, failed
}
