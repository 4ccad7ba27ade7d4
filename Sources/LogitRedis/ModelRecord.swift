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
    /// How the training body is laid out.
    public var format: CSVFormat
    public var shape: DataShape
    /// The current or last fit's progress; nil before the first claim.
    public var progress: Progress?
    /// Set once the model is ready.
    public var result: FitResult?
    /// Why the model failed.
    public var error: String?
    /// What a person should know about the data (found by the API) or the fit (found by the worker).
    public var warnings: [String]
    /// Claims so far.
    public var attempts: Int
    /// The worker holding the current claim, while training.
    public var worker: String?
    /// The registered name, when the model was trained under one.
    public var name: ModelName?
    /// Its version within the name; nil before `create` assigns it (and for a model without a name).
    public var version: Int?

    /// What validation found in the training data.
    public struct DataShape: Sendable, Equatable {
        public var classes: [String]
        public var featureCount: Int
        public var sampleCount: Int
        /// With a header row: the features' names, in order, and the label column's.
        public var featureNames: [String]?
        public var labelName: String?

        public init(classes: [String], featureCount: Int, sampleCount: Int, featureNames: [String]? = nil, labelName: String? = nil) {
            self.classes = classes
            self.featureCount = featureCount
            self.sampleCount = sampleCount
            self.featureNames = featureNames
            self.labelName = labelName
        }

        public init(_ shape: TrainingSet.Shape) {
            self.init(
                classes: shape.classes, featureCount: shape.featureCount, sampleCount: shape.rowCount, featureNames: shape.featureNames,
                labelName: shape.labelName)
        }
    }

    public struct Progress: Sendable, Equatable {
        /// While training; nil once the fit has ended.
        public var phase: TrainingPhase?
        public var iteration: Int
        public var objective: Double?
        public var updatedAt: Date?

        public init(phase: TrainingPhase? = nil, iteration: Int, objective: Double? = nil, updatedAt: Date? = nil) {
            self.phase = phase
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
        state: ModelState, createdAt: Date, startedAt: Date?, finishedAt: Date?, parameters: TrainingParameters, format: CSVFormat,
        shape: DataShape, progress: Progress?, result: FitResult?, error: String?, warnings: [String], attempts: Int, worker: String?,
        name: ModelName?, version: Int?
    ) {
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.parameters = parameters
        self.format = format
        self.shape = shape
        self.progress = progress
        self.result = result
        self.error = error
        self.warnings = warnings
        self.attempts = attempts
        self.worker = worker
        self.name = name
        self.version = version
    }

    /// A model just accepted for training.
    public static func queued(
        parameters: TrainingParameters, format: CSVFormat = CSVFormat(), shape: DataShape, warnings: [String] = [], createdAt: Date,
        name: ModelName? = nil
    ) -> ModelRecord {
        ModelRecord(
            state: .queued, createdAt: createdAt, startedAt: nil, finishedAt: nil, parameters: parameters, format: format, shape: shape,
            progress: nil, result: nil, error: nil, warnings: warnings, attempts: 0, worker: nil, name: name, version: nil)
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
