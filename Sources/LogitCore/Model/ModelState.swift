/// The life of a model: queued → training → ready | failed (training → queued when a job is handed back or reclaimed).
public enum ModelState: String, Sendable, Codable, CaseIterable {
    case queued, training, ready, failed
}

/// What a worker is doing with a model it trains: reading the training data, then fitting.
public enum TrainingPhase: String, Sendable, Codable, CaseIterable {
    case parsing, fitting
}
