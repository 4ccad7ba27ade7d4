import LogitCore

/// The fields of the model hash `{p}model:{id}`: the one list of their names. `ModelRecord`'s codec switches over
/// it exhaustively, and the Lua scripts read the names from a prelude generated from it (`ScriptPrelude`), so a field
/// added here fails to compile wherever it must be handled.
public enum ModelField: String, CaseIterable, Sendable {
    case state
    case createdAt = "created_at"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    /// The training parameters, JSON (`TrainingParameters`).
    case params
    /// How the training body is laid out, JSON (`CSVFormat`): header, label column, delimiter.
    case format
    /// `matrix` when the job's training data is stored parsed (`TrainingMatrix`); absent: it is the CSV body.
    case trainingData = "training_data"
    /// The labels, JSON array of strings, in the model's class order.
    case classes
    case featureCount = "n_features"
    case sampleCount = "n_samples"
    /// The feature columns' names, JSON array, when the body had a header.
    case featureNames = "feature_names"
    /// The label column's name, when the body had a header.
    case labelName = "label_name"
    /// What a person should know about the data or the fit, JSON array of strings.
    case warnings
    /// `params.max_iter` again, so that a status read needs no JSON.
    case maxIter = "max_iter"
    /// `TrainingPhase` while training: parsing, then fitting.
    case phase
    case progressIteration = "progress_iteration"
    case progressObjective = "progress_objective"
    case progressUpdatedAt = "progress_updated_at"
    /// JSON (`TrainingSummary`).
    case summary
    /// JSON (`Coefficients`), readable with `redis-cli`.
    case coefficients
    /// The fitted model as prediction reads it (standardization + standardized weights), JSON (`LogisticModel`).
    case model
    case error
    /// Claims so far (the fencing token of the current one).
    case attempts
    /// The worker that holds the current claim.
    case worker
    /// The registered name (`POST /models?name=`), when the model has one.
    case name
    /// The version within its name: 1, 2, … assigned by the `enqueue` script.
    case version
}

/// The fields of the `{p}stats` hash: deployment-wide counters of settled jobs.
public enum StatsField: String, CaseIterable, Sendable {
    /// Jobs stored ready.
    case ready
    /// Jobs that ended failed (a bad fit, or a worker lost too many times).
    case failed
    /// Jobs returned to the queue after their worker was lost.
    case reclaimed
    /// Seconds spent fitting the jobs counted in `ready` and `failed`.
    case trainingSeconds = "training_seconds"

    /// The counter a job ending in `state` increments.
    public static func outcome(_ state: ModelState) -> StatsField? {
        switch state {
        case .ready: .ready
        case .failed: .failed
        case .queued, .training: nil
        }
    }
}
