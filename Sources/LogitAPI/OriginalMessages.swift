import LogitCore

/// The original service's texts, word for word: its clients match on them.
public enum OriginalMessages {
    public static let modelNotFound = "The model id you supplied either doesn't exist or the model_id provided is wrong."
    public static let trainingNotCSV = "Please post data in csv format, and make sure the label column is the last column in the csv."
    public static let predictionNotCSV = "Please post data in csv format."
    public static let training = "Model is Training"
    public static let ready = "Ready to Use"
    public static let failed = "Training Failed"
    public static let alive = "Server is alive!"

    /// The original's `status` text for a state.
    public static func status(_ state: ModelState) -> String {
        switch state {
        case .queued, .training: training
        case .ready: ready
        case .failed: failed
        }
    }
}
