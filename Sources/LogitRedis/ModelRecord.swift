import Foundation
import LogitCore

/// Everything stored about a model except the fitted weights: its state, timestamps, parameters, data shape,
/// progress, result and failure. The one typed form of the model hash (`ModelRecord.Codec` maps it to and from the
/// fields), used by the stores, the worker and the API alike.
public struct ModelRecord: Sendable, Equatable {
    public var state: ModelState
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var parameters: TrainingParameters
    public var shape: DataShape
    /// The current or last fit's progress; nil before the first claim.
    public var progress: Progress?
    /// Set once the model is ready.
    public var result: FitResult?
    /// Why the model failed.
    public var error: String?
    /// Claims so far.
    public var attempts: Int
    /// The worker holding the current claim, while training.
    public var worker: String?

    /// What validation found in the training data.
    public struct DataShape: Sendable, Equatable {
        public var classes: [String]
        public var featureCount: Int
        public var sampleCount: Int

        public init(classes: [String], featureCount: Int, sampleCount: Int) {
            self.classes = classes
            self.featureCount = featureCount
            self.sampleCount = sampleCount
        }
    }

    public struct Progress: Sendable, Equatable {
        public var iteration: Int
        public var objective: Double?
        public var updatedAt: Date?

        public init(iteration: Int, objective: Double? = nil, updatedAt: Date? = nil) {
            self.iteration = iteration
            self.objective = objective
            self.updatedAt = updatedAt
        }
    }

    /// What a finished fit reports (the weights themselves are `ModelField.model`, read only to predict).
    public struct FitResult: Sendable, Equatable {
        public var summary: TrainingSummary
        public var coefficients: Coefficients

        public init(summary: TrainingSummary, coefficients: Coefficients) {
            self.summary = summary
            self.coefficients = coefficients
        }
    }

    public init(
        state: ModelState, createdAt: Date, startedAt: Date?, finishedAt: Date?, parameters: TrainingParameters, shape: DataShape,
        progress: Progress?, result: FitResult?, error: String?, attempts: Int, worker: String?
    ) {
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.parameters = parameters
        self.shape = shape
        self.progress = progress
        self.result = result
        self.error = error
        self.attempts = attempts
        self.worker = worker
    }

    /// A model just accepted for training.
    public static func queued(parameters: TrainingParameters, shape: DataShape, createdAt: Date) -> ModelRecord {
        ModelRecord(
            state: .queued, createdAt: createdAt, startedAt: nil, finishedAt: nil, parameters: parameters, shape: shape, progress: nil,
            result: nil, error: nil, attempts: 0, worker: nil)
    }
}

/// A stored record that cannot be read back: a bug or a hand edit, never the client's fault (a 500, logged).
/// Two are equal when they name the same model and field (whatever the reason's wording).
public struct CorruptRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public let id: ModelID
    public let field: String
    public let reason: String

    public init(id: ModelID, field: String, reason: String) {
        self.id = id
        self.field = field
        self.reason = reason
    }

    public var description: String { "the stored model \(id) is unreadable: field \(field): \(reason)" }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.id == rhs.id && lhs.field == rhs.field }
}
