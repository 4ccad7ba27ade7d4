import LogitCore
import LogitRedis

/// What the API process is told: where to listen, how big bodies may be, and the optional API token.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var keys: KeySchema
    /// Largest training body in bytes (413 past it).
    public var maxTrainingBytes: Int
    /// Largest prediction body in bytes (413 past it).
    public var maxPredictionBytes: Int
    /// Rows, columns and classes of a training body.
    public var csvLimits: CSVLimits
    /// When set, `POST /models` and `DELETE /models/{id}` need `Authorization: Bearer <token>`.
    public var apiToken: String?
    /// Connections idle this long are closed (slow or idle clients).
    public var idleTimeout: Duration
    /// Request body bytes held at once across all requests (503 with `Retry-After` past it). Default: twice the
    /// largest training body, so two maximal uploads (or many small ones) fit at once.
    public var maxInFlightBodyBytes: Int
    /// A request body must arrive within `bodyTimeout` plus one second per `minimumBodyBytesPerSecond` bytes
    /// received; a slower one is answered 408 and its connection closed (a client trickling a body would otherwise
    /// hold a connection and its buffer forever).
    public var bodyTimeout: Duration
    public var minimumBodyBytesPerSecond: Int
    /// With N > 0, a training job is answered 201 only once `WAIT N` says N replicas have it (else 503).
    public var minReplicasAck: Int
    public var replicaAckTimeout: Duration

    public init(
        host: String = "127.0.0.1", port: Int = 5000, keys: KeySchema = KeySchema(), maxTrainingBytes: Int = 512 << 20,
        maxPredictionBytes: Int = 64 << 20, csvLimits: CSVLimits = CSVLimits(), apiToken: String? = nil, idleTimeout: Duration = .seconds(60),
        maxInFlightBodyBytes: Int? = nil, bodyTimeout: Duration = .seconds(30), minimumBodyBytesPerSecond: Int = 100 << 10,
        minReplicasAck: Int = 0, replicaAckTimeout: Duration = .seconds(1)
    ) {
        self.host = host
        self.port = port
        self.keys = keys
        self.maxTrainingBytes = maxTrainingBytes
        self.maxPredictionBytes = maxPredictionBytes
        self.csvLimits = csvLimits
        self.apiToken = apiToken
        self.idleTimeout = idleTimeout
        self.maxInFlightBodyBytes = maxInFlightBodyBytes ?? 2 * max(maxTrainingBytes, maxPredictionBytes)
        self.bodyTimeout = bodyTimeout
        self.minimumBodyBytesPerSecond = minimumBodyBytesPerSecond
        self.minReplicasAck = minReplicasAck
        self.replicaAckTimeout = replicaAckTimeout
    }
}
