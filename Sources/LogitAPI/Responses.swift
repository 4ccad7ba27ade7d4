import LogitCore

/// A response body's type, with examples the API documents (`OpenAPIDocument` derives each schema from them):
/// `example` sets every member, `minimalExample` only those always present.
public protocol APIResponse: Codable, Sendable {
    static var example: Self { get }
    static var minimalExample: Self { get }
}

extension APIResponse {
    public static var minimalExample: Self { example }
}

/// `POST /models` → 201.
public struct TrainingAccepted: APIResponse, Equatable {
    public var message: String
    public var modelID: String
    /// The original's name for the id.
    public var taskID: String
    public var status: String
    public var state: ModelState
    public var statusURL: String
    public var modelURL: String
    /// The registered name (`?name=`), and the version this model is of it.
    public var name: String?
    public var version: Int?

    public init(modelID: String, name: String? = nil, version: Int? = nil) {
        let statusURL = APIPath.filled(APIPath.checkStatus, id: modelID)
        let modelURL = APIPath.filled(APIPath.model, id: modelID)
        self.message = "Model training started. Check its status with GET \(statusURL) (or GET \(modelURL) for details)."
        self.modelID = modelID
        self.taskID = modelID
        self.status = OriginalMessages.training
        self.state = .queued
        self.statusURL = statusURL
        self.modelURL = modelURL
        self.name = name
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case message, status, state, name, version
        case modelID = "model_id"
        case taskID = "task_id"
        case statusURL = "status_url"
        case modelURL = "model_url"
    }

    public static var example: Self { TrainingAccepted(modelID: Examples.id, name: Examples.name, version: 2) }
    public static var minimalExample: Self { TrainingAccepted(modelID: Examples.id) }
}

/// How a fit is going: its phase while training, the iteration reached, and the objective there.
public struct FitProgress: Codable, Sendable, Equatable {
    /// While training: parsing the data, then fitting.
    public var phase: TrainingPhase?
    public var iteration: Int
    public var maxIter: Int
    public var objective: Double?
    public var updatedAt: String?

    public init(phase: TrainingPhase? = nil, iteration: Int, maxIter: Int, objective: Double? = nil, updatedAt: String? = nil) {
        self.phase = phase
        self.iteration = iteration
        self.maxIter = maxIter
        self.objective = objective
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case phase, iteration, objective
        case maxIter = "max_iter"
        case updatedAt = "updated_at"
    }
}

/// `GET /check_model_status/{id}`, and a prediction asked of a model that is not ready yet.
public struct StatusResponse: APIResponse, Equatable {
    /// The original's text: `Model is Training`, `Ready to Use` or `Training Failed`.
    public var status: String
    public var modelID: String
    public var state: ModelState
    /// While training.
    public var progress: FitProgress?
    /// Why the model failed.
    public var error: String?
    /// What a person should know about the data or the fit (e.g. it stopped before converging).
    public var warnings: [String]?
    /// The model's registered name and version, when it has one.
    public var name: String?
    public var version: Int?

    public init(
        modelID: String, state: ModelState, progress: FitProgress? = nil, error: String? = nil, warnings: [String]? = nil, name: String? = nil,
        version: Int? = nil
    ) {
        self.status = OriginalMessages.status(state)
        self.modelID = modelID
        self.state = state
        self.progress = progress
        self.error = error
        self.warnings = warnings
        self.name = name
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case status, state, progress, error, warnings, name, version
        case modelID = "model_id"
    }

    public static var example: Self {
        StatusResponse(
            modelID: Examples.id, state: .training,
            progress: FitProgress(phase: .fitting, iteration: 12, maxIter: 10000, objective: 0.25, updatedAt: Examples.time),
            error: "worker lost 3 times", warnings: [Examples.warning], name: Examples.name, version: 2)
    }
    public static var minimalExample: Self { StatusResponse(modelID: Examples.id, state: .ready) }
}

/// `GET /models/{id}` without a body: everything about a model.
public struct ModelMetadata: APIResponse, Equatable {
    public var modelID: String
    public var status: String
    public var state: ModelState
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    public var attempts: Int
    public var params: TrainingParameters
    /// How the training body was read: header, label column, delimiter.
    public var format: CSVFormat
    public var classes: [String]
    public var featureCount: Int
    public var sampleCount: Int
    /// With a header row: the features' names, in order (predictions may name their columns), and the label's.
    public var featureNames: [String]?
    public var labelName: String?
    public var progress: FitProgress
    public var summary: TrainingSummary?
    public var coefficients: Coefficients?
    public var error: String?
    public var warnings: [String]?
    /// The registered name and version, when the model has one.
    public var name: String?
    public var version: Int?

    public init(
        modelID: String, state: ModelState, createdAt: String, startedAt: String?, finishedAt: String?, attempts: Int,
        params: TrainingParameters, format: CSVFormat, classes: [String], featureCount: Int, sampleCount: Int, featureNames: [String]?,
        labelName: String?, progress: FitProgress, summary: TrainingSummary?, coefficients: Coefficients?, error: String?, warnings: [String]?,
        name: String? = nil, version: Int? = nil
    ) {
        self.modelID = modelID
        self.status = OriginalMessages.status(state)
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.attempts = attempts
        self.params = params
        self.format = format
        self.classes = classes
        self.featureCount = featureCount
        self.sampleCount = sampleCount
        self.featureNames = featureNames
        self.labelName = labelName
        self.progress = progress
        self.summary = summary
        self.coefficients = coefficients
        self.error = error
        self.warnings = warnings
        self.name = name
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case status, state, attempts, params, format, classes, progress, summary, coefficients, error, warnings, name, version
        case featureNames = "feature_names"
        case labelName = "label_name"
        case modelID = "model_id"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case featureCount = "n_features"
        case sampleCount = "n_samples"
    }

    public static var example: Self {
        ModelMetadata(
            modelID: Examples.id, state: .ready, createdAt: Examples.time, startedAt: Examples.time, finishedAt: Examples.time, attempts: 1,
            params: Examples.parameters, format: CSVFormat(header: .present, label: .name("species"), delimiter: .semicolon),
            classes: ["setosa", "versicolor"], featureCount: 2, sampleCount: 100, featureNames: ["petal length", "petal width"],
            labelName: "species", progress: FitProgress(phase: .fitting, iteration: 9, maxIter: 10000, objective: 0.21, updatedAt: Examples.time),
            summary: Examples.summary, coefficients: Coefficients(coef: [[0.5, -1.25]], intercept: [0.1]), error: "reason",
            warnings: [Examples.warning], name: Examples.name, version: 2)
    }
    public static var minimalExample: Self {
        ModelMetadata(
            modelID: Examples.id, state: .queued, createdAt: Examples.time, startedAt: nil, finishedAt: nil, attempts: 0,
            params: TrainingParameters(), format: CSVFormat(), classes: ["setosa", "versicolor"], featureCount: 2, sampleCount: 100,
            featureNames: nil, labelName: nil, progress: FitProgress(iteration: 0, maxIter: 10000), summary: nil,
            coefficients: nil, error: nil, warnings: nil)
    }
}

/// `GET /models`: one page, newest first.
public struct ModelListing: APIResponse, Equatable {
    public var models: [Item]
    /// Models in the store.
    public var total: Int
    public var offset: Int
    public var limit: Int
    /// The next page's path, when there is one.
    public var next: String?

    public struct Item: Codable, Sendable, Equatable {
        public var modelID: String
        public var status: String
        public var state: ModelState
        public var createdAt: String
        public var finishedAt: String?
        public var featureCount: Int
        public var sampleCount: Int
        public var classes: [String]
        public var url: String
        public var name: String?
        public var version: Int?

        public init(
            modelID: String, state: ModelState, createdAt: String, finishedAt: String?, featureCount: Int, sampleCount: Int, classes: [String],
            name: String? = nil, version: Int? = nil
        ) {
            self.modelID = modelID
            self.status = OriginalMessages.status(state)
            self.state = state
            self.createdAt = createdAt
            self.finishedAt = finishedAt
            self.featureCount = featureCount
            self.sampleCount = sampleCount
            self.classes = classes
            self.url = APIPath.filled(APIPath.model, id: modelID)
            self.name = name
            self.version = version
        }

        enum CodingKeys: String, CodingKey {
            case status, state, classes, url, name, version
            case modelID = "model_id"
            case createdAt = "created_at"
            case finishedAt = "finished_at"
            case featureCount = "n_features"
            case sampleCount = "n_samples"
        }
    }

    /// `name`: the filter (`?name=`), kept in the next page's path.
    public init(models: [Item], total: Int, offset: Int, limit: Int, name: String? = nil) {
        self.models = models
        self.total = total
        self.offset = offset
        self.limit = limit
        let filter = name.map { "&name=\($0)" } ?? ""
        self.next = offset + limit < total ? "\(APIPath.models)?offset=\(offset + limit)&limit=\(limit)\(filter)" : nil
    }

    public static var example: Self {
        ModelListing(
            models: [
                Item(
                    modelID: Examples.id, state: .ready, createdAt: Examples.time, finishedAt: Examples.time, featureCount: 4, sampleCount: 150,
                    classes: ["a", "b"], name: Examples.name, version: 2)
            ], total: 3, offset: 0, limit: 1)
    }
    public static var minimalExample: Self {
        ModelListing(
            models: [
                Item(
                    modelID: Examples.id, state: .queued, createdAt: Examples.time, finishedAt: nil, featureCount: 4, sampleCount: 150,
                    classes: ["a", "b"])
            ],
            total: 1, offset: 0, limit: 50)
    }
}

/// A prediction: one label per row, one probability per class per row, and the classes in probability order.
/// (The server writes it with a byte writer, measured faster for large batches; a test decodes that output as
/// this type.)
public struct PredictionResponse: APIResponse, Equatable {
    public var predictions: [String]
    public var predictionProbability: [[Double]]
    public var classes: [String]

    public init(predictions: [String], predictionProbability: [[Double]], classes: [String]) {
        self.predictions = predictions
        self.predictionProbability = predictionProbability
        self.classes = classes
    }

    enum CodingKeys: String, CodingKey {
        case predictions, classes
        case predictionProbability = "prediction_probability"
    }

    public static var example: Self {
        PredictionResponse(predictions: ["virginica"], predictionProbability: [[0.01, 0.2, 0.79]], classes: ["setosa", "versicolor", "virginica"])
    }
}

/// Every error: RFC 9457 `application/problem+json`, with extension members where they help.
public struct Problem: APIResponse, Equatable, Error {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    /// The CSV line of a malformed body.
    public var line: Int?
    /// The CSV field (1-based) of a malformed body.
    public var field: Int?
    /// The query parameter that was rejected.
    public var parameter: String?
    /// The original's status text, on a 409 for a model that failed (`Training Failed`).
    public var modelStatus: String?
    /// The model's state, on a 409 for a model that cannot predict (not ready yet, or failed).
    public var state: ModelState?

    public init(
        status: Int, title: String, detail: String, line: Int? = nil, field: Int? = nil, parameter: String? = nil, modelStatus: String? = nil,
        state: ModelState? = nil
    ) {
        self.type = "about:blank"
        self.title = title
        self.status = status
        self.detail = detail
        self.line = line
        self.field = field
        self.parameter = parameter
        self.modelStatus = modelStatus
        self.state = state
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, line, field, parameter, state
        case modelStatus = "model_status"
    }

    public static var example: Self {
        Problem(
            status: 400, title: "Bad Request", detail: "line 3, field 2: expected a number", line: 3, field: 2, parameter: "C",
            modelStatus: OriginalMessages.failed, state: .failed)
    }
    public static var minimalExample: Self { Problem(status: 404, title: "Not Found", detail: OriginalMessages.modelNotFound) }
}

/// `GET /alive` (the original's).
public struct AliveMessage: APIResponse, Equatable {
    public var message: String

    public init() { message = OriginalMessages.alive }

    public static var example: Self { AliveMessage() }
}

/// `GET /healthz` and `GET /readyz`.
public struct HealthStatus: APIResponse, Equatable {
    /// `ok` (the process answers) or `ready` (and Redis answers).
    public var status: String
    public var redis: String?

    public init(status: String, redis: String? = nil) {
        self.status = status
        self.redis = redis
    }

    public static var example: Self { HealthStatus(status: "ready", redis: "ok") }
    public static var minimalExample: Self { HealthStatus(status: "ok") }
}

enum Examples {
    static let id = "0b5c3f0e-8a51-4d3c-9a7e-2f1b6c9d4e21"
    static let name = "churn"
    static let time = "2026-11-23T15:04:05.123Z"
    static let warning = "the fit stopped at max_iter=100 before reaching tol=1e-12 (converged: false): raise max_iter, or loosen tol"
    /// Parameters with every optional member set.
    static var parameters: TrainingParameters {
        var parameters = TrainingParameters()
        parameters.learningRate = 0.5
        parameters.solver = .fista
        return parameters
    }
    static var summary: TrainingSummary {
        TrainingSummary(
            iterations: 9, converged: true, stopReason: .gradientTolerance, objective: 0.21, gradientNorm: 1e-9, objectiveGapBound: 1e-13,
            objectiveHistory: [0.69, 0.3, 0.21], dataPasses: 20, trainAccuracy: 0.97, validationAccuracy: 0.95, trainingSeconds: 0.002,
            validationMetrics: metrics)
    }
    /// Metrics of a binary model on 20 rows.
    static var metrics: ClassificationMetrics {
        ClassificationMetrics(
            labels: [0, 0, 1, 1], probabilities: [0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8], predicted: [0, 1, 1, 1], classes: ["setosa", "versicolor"])
    }
}

/// A prediction asked in JSON (`Content-Type: application/json`), the shape of the KServe V1 and TF-Serving
/// protocols: rows as arrays of numbers in the model's feature order, or as objects naming the features (for a
/// model trained on a headered CSV).
public struct PredictionRequest: Codable, Sendable, Equatable {
    public var instances: [Instance]

    public enum Instance: Codable, Sendable, Equatable {
        case values([Double])
        case named([String: Double])

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let values = try? container.decode([Double].self) {
                self = .values(values)
            } else {
                self = .named(try container.decode([String: Double].self))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .values(let values): try container.encode(values)
            case .named(let named): try container.encode(named)
            }
        }
    }

    public init(instances: [Instance]) { self.instances = instances }
}
