import LogitCore

/// `GET /models/{name}/versions`: every version of a name, oldest first, and its aliases.
public struct ModelVersionList: APIResponse, Equatable {
    public var name: String
    public var versions: [Version]
    /// Alias → version.
    public var aliases: [String: Int]

    public struct Version: Codable, Sendable, Equatable {
        public var version: Int
        public var modelID: String
        public var status: String
        public var state: ModelState
        public var createdAt: String
        public var finishedAt: String?
        /// The aliases that point at this version.
        public var aliases: [String]
        /// The fit's metrics (training, and holdout with `validation_fraction`), once ready.
        public var summary: TrainingSummary?
        public var url: String

        public init(
            version: Int, modelID: String, state: ModelState, createdAt: String, finishedAt: String?, aliases: [String], summary: TrainingSummary?
        ) {
            self.version = version
            self.modelID = modelID
            self.status = OriginalMessages.status(state)
            self.state = state
            self.createdAt = createdAt
            self.finishedAt = finishedAt
            self.aliases = aliases
            self.summary = summary
            self.url = APIPath.filled(APIPath.model, id: modelID)
        }

        enum CodingKeys: String, CodingKey {
            case version, status, state, aliases, summary, url
            case modelID = "model_id"
            case createdAt = "created_at"
            case finishedAt = "finished_at"
        }
    }

    public init(name: String, versions: [Version], aliases: [String: Int]) {
        self.name = name
        self.versions = versions
        self.aliases = aliases
    }

    public static var example: Self {
        ModelVersionList(
            name: Examples.name,
            versions: [
                Version(
                    version: 1, modelID: Examples.id, state: .ready, createdAt: Examples.time, finishedAt: Examples.time, aliases: ["production"],
                    summary: Examples.summary)
            ], aliases: ["production": 1])
    }
    public static var minimalExample: Self {
        ModelVersionList(
            name: Examples.name,
            versions: [
                Version(version: 1, modelID: Examples.id, state: .queued, createdAt: Examples.time, finishedAt: nil, aliases: [], summary: nil)
            ], aliases: [:])
    }
}

/// `PUT /models/{name}/aliases/{alias}`'s body.
public struct AliasRequest: Codable, Sendable, Equatable {
    /// The version the alias points at; it must be ready.
    public var version: Int

    public init(version: Int) { self.version = version }
}

/// `PUT /models/{name}/aliases/{alias}` → 200: where the alias points now.
public struct AliasAssignment: APIResponse, Equatable {
    public var name: String
    public var alias: String
    public var version: Int
    public var modelID: String
    /// The version it pointed at before, when it existed.
    public var previousVersion: Int?
    /// The reference that follows this alias.
    public var reference: String

    public init(name: String, alias: String, version: Int, modelID: String, previousVersion: Int?) {
        self.name = name
        self.alias = alias
        self.version = version
        self.modelID = modelID
        self.previousVersion = previousVersion
        self.reference = "\(name)@\(alias)"
    }

    enum CodingKeys: String, CodingKey {
        case name, alias, version, reference
        case modelID = "model_id"
        case previousVersion = "previous_version"
    }

    public static var example: Self {
        AliasAssignment(name: Examples.name, alias: "production", version: 2, modelID: Examples.id, previousVersion: 1)
    }
    public static var minimalExample: Self {
        AliasAssignment(name: Examples.name, alias: "production", version: 1, modelID: Examples.id, previousVersion: nil)
    }
}

/// `POST /models/{ref}/evaluate`: the model's metrics on the labelled rows sent (nothing is stored).
public struct ModelEvaluation: APIResponse, Equatable {
    public var modelID: String
    /// The version that answered, when the reference named one.
    public var version: Int?
    public var metrics: ClassificationMetrics

    public init(modelID: String, version: Int?, metrics: ClassificationMetrics) {
        self.modelID = modelID
        self.version = version
        self.metrics = metrics
    }

    enum CodingKeys: String, CodingKey {
        case version, metrics
        case modelID = "model_id"
    }

    public static var example: Self { ModelEvaluation(modelID: Examples.id, version: 2, metrics: Examples.metrics) }
    public static var minimalExample: Self {
        var metrics = Examples.metrics
        metrics.rocAUC = nil
        return ModelEvaluation(modelID: Examples.id, version: nil, metrics: metrics)
    }
}
