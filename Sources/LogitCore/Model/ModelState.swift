/// The life of a model: queued → training → ready | failed (training → queued when a job is handed back or reclaimed).
public enum ModelState: String, Sendable, Codable, CaseIterable {
    case queued, training, ready, failed
}
