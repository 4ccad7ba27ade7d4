import LogitCore
import NIOCore

/// What the API needs of storage: accept a job, read models, delete them. `ModelStore` keeps them in Redis;
/// `InMemoryBackend` in the process (tests, and the worker-logic tests' counterpart).
///
/// Errors: `RedisError` when the store is unreachable (a 503), `CorruptRecordError` when a stored model cannot be
/// read back (a 500).
public protocol ModelRepository: Sendable {
    /// Stores a new model's record and training data and queues its job, all or nothing. A record with a `name` gets
    /// the name's next version, atomically (two concurrent calls get two versions). Returns the record as stored.
    @discardableResult
    func create(_ id: ModelID, record: ModelRecord, data: ByteBuffer) async throws -> ModelRecord
    /// The same, for a record that `validate` makes from `data`: a store may start writing the data while `validate`
    /// runs. When `validate` throws, its error is thrown and nothing is left behind. Returns the record as stored.
    func create(_ id: ModelID, data: ByteBuffer, validatedBy validate: @Sendable () async throws -> ModelRecord) async throws -> ModelRecord
    /// The same for a large body that `read` parses in parts (`TrainingSet.parseInParts`), handing the rows to the
    /// function it is given as it goes: a store may keep the parsed matrix (`TrainingMatrix`) rather than the CSV,
    /// writing the rows as they come, so that the worker does not parse the body again. `read` returns the record
    /// and every row's class, or nil when the body is not one to read so: then this is
    /// `create(_:data:validatedBy: validate)`. When either throws, its error is thrown and nothing is left behind.
    func create(
        _ id: ModelID, data: ByteBuffer,
        readingInParts read: @Sendable (@escaping MatrixSink) async throws -> (record: ModelRecord, labels: [Int32])?,
        validatedBy validate: @Sendable () async throws -> ModelRecord
    ) async throws -> ModelRecord
    /// The model's record, or nil when there is no such model.
    func record(_ id: ModelID) async throws -> ModelRecord?
    /// The model's state alone (what every prediction checks), or nil when there is no such model.
    func state(_ id: ModelID) async throws -> ModelState?
    /// The model's status (one round trip), or nil when there is no such model.
    func status(_ id: ModelID) async throws -> ModelStatus?
    /// The fitted model of a ready model; nil when there is none.
    func fittedModel(_ id: ModelID) async throws -> LogisticModel?
    /// Models newest first; with a `name`, that name's versions, newest first.
    func list(offset: Int, limit: Int, name: ModelName?) async throws -> ModelPage
    /// Removes a model and everything about it (its job too), unless an alias points at its version.
    func delete(_ id: ModelID) async throws -> DeleteOutcome
    /// The model a name reference selects (one round trip).
    func resolve(_ name: ModelName, _ selector: ModelReference.VersionSelector) async throws -> Resolution
    /// Points `alias` of `name` at `version`, which must be ready.
    func setAlias(_ alias: AliasName, of name: ModelName, version: Int) async throws -> AliasOutcome
    /// Removes an alias; false when there was none.
    func removeAlias(_ alias: AliasName, of name: ModelName) async throws -> Bool
    /// Every version of `name` with its record, and the name's aliases; nil when the name has no version.
    func versions(of name: ModelName) async throws -> ModelVersions?
    /// The queue's length and the deployment's job counters (`{p}stats`), for metrics.
    func counters() async throws -> QueueCounters
    /// Whether the store answers now (readiness).
    func ping() async -> Bool
    /// Where the store is, for messages (`redis://host:port`).
    var location: String { get }
}

extension ModelRepository {
    /// Validates first, then stores: for stores where writing is cheap.
    public func create(_ id: ModelID, data: ByteBuffer, validatedBy validate: @Sendable () async throws -> ModelRecord) async throws -> ModelRecord {
        let record = try await validate()
        return try await create(id, record: record, data: data)
    }

    /// Validates, then stores the CSV: for stores that need not spare the worker a parse.
    public func create(
        _ id: ModelID, data: ByteBuffer,
        readingInParts read: @Sendable (@escaping MatrixSink) async throws -> (record: ModelRecord, labels: [Int32])?,
        validatedBy validate: @Sendable () async throws -> ModelRecord
    ) async throws -> ModelRecord {
        try await create(id, data: data, validatedBy: validate)
    }

    /// Every model, newest first.
    public func list(offset: Int, limit: Int) async throws -> ModelPage { try await list(offset: offset, limit: limit, name: nil) }
}

/// What `/metrics` reports of the whole deployment.
public struct QueueCounters: Sendable, Equatable {
    /// Jobs waiting for a worker.
    public var queued: Int
    /// The counters of settled jobs.
    public var stats: [StatsField: Double]

    public init(queued: Int, stats: [StatsField: Double]) {
        self.queued = queued
        self.stats = stats
    }
}

/// Where `TrainingSet.parseInParts` hands the rows of a large body: from its reading threads (never a Swift
/// concurrency thread, so it may block, e.g. to write them), one call at a time.
public typealias MatrixSink = @Sendable (TrainingSet.MatrixDelivery) -> Void

/// What a worker needs of the queue (see `JobQueue` for the semantics: take, claim, fenced writes, leases).
public protocol WorkQueue: Sendable {
    func heartbeat(worker: String, lease: Duration) async throws
    func retire(worker: String) async throws
    /// Waits up to `timeout` for a job and moves it into the worker's processing list; nil when none came.
    func take(worker: String, timeout: Duration) async throws -> ModelID?
    /// Claims a taken job; nil when it was dropped (deleted, or already claimed or finished).
    func claim(_ id: ModelID, worker: String) async throws -> Claim?
    /// Gives back the `stale` ids still in the worker's processing list; returns how many went back and the ids listed.
    func reconcile(worker: String, stale: [ModelID], maxAttempts: Int) async throws -> (moved: Int, listed: [ModelID])
    /// A claimed job's training data and parameters; nil when the data is gone.
    func jobInput(_ id: ModelID) async throws -> JobInput?
    /// Records progress; false when the claim is no longer valid.
    func progress(_ claim: Claim, iteration: Int, objective: Double) async throws -> Bool
    /// Stores the fitted model, state `ready`, and `warnings` (about the data and the fit) when there are any; false
    /// (nothing written) when the claim is no longer valid.
    func complete(_ claim: Claim, model: LogisticModel, summary: TrainingSummary, warnings: [String]) async throws -> Bool
    /// Ends the job `failed` with a reason; false when the claim is no longer valid.
    func fail(_ claim: Claim, reason: String) async throws -> Bool
    /// Returns the job to the front of the queue without counting the attempt.
    func handBack(_ claim: Claim) async throws -> Bool
    /// Returns the jobs of workers whose lease expired (or fails them past `maxAttempts`); how many it moved.
    func reap(maxAttempts: Int) async throws -> Int
}

/// What `check_model_status` shows.
public struct ModelStatus: Sendable, Equatable {
    public var state: ModelState
    public var error: String?
    /// The progress of the current or last fit; nil before the first claim.
    public var progress: ModelRecord.Progress?
    public var maxIter: Int
    public var warnings: [String]
    /// The registered name and version, when the model has one.
    public var name: ModelName?
    public var version: Int?

    public init(
        state: ModelState, error: String?, progress: ModelRecord.Progress?, maxIter: Int, warnings: [String] = [], name: ModelName? = nil,
        version: Int? = nil
    ) {
        self.state = state
        self.error = error
        self.progress = progress
        self.maxIter = maxIter
        self.warnings = warnings
        self.name = name
        self.version = version
    }

    /// The fields a status read needs.
    static let fields: [ModelField] = [
        .state, .error, .phase, .progressIteration, .progressObjective, .progressUpdatedAt, .maxIter, .warnings, .name, .version,
    ]

    init(_ record: ModelRecord) {
        self.init(
            state: record.state, error: record.error, progress: record.progress, maxIter: record.parameters.maxIter, warnings: record.warnings,
            name: record.name, version: record.version)
    }
}

/// One page of the model list.
public struct ModelPage: Sendable {
    /// Models in the store.
    public var total: Int
    public var models: [(id: ModelID, record: ModelRecord)]

    public init(total: Int, models: [(id: ModelID, record: ModelRecord)]) {
        self.total = total
        self.models = models
    }
}

/// What a claimed job trains on.
public struct JobInput: Sendable {
    /// The CSV body, for the worker to parse; empty when the data came parsed (`parsed`).
    public var data: [UInt8]
    /// The training set, when the API stored the body parsed (`TrainingMatrix`).
    public var parsed: TrainingSet?
    /// Nil when the stored parameters are unreadable (the job fails with that reason).
    public var parameters: TrainingParameters?
    /// How the data is laid out (nil when unreadable).
    public var format: CSVFormat?

    public init(data: [UInt8], parsed: TrainingSet? = nil, parameters: TrainingParameters?, format: CSVFormat?) {
        self.data = data
        self.parsed = parsed
        self.parameters = parameters
        self.format = format
    }
}
