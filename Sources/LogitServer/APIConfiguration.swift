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
    public var idleTimeoutSeconds: Int

    public init(
        host: String = "127.0.0.1", port: Int = 5000, keys: KeySchema = KeySchema(), maxTrainingBytes: Int = 512 << 20,
        maxPredictionBytes: Int = 64 << 20, csvLimits: CSVLimits = CSVLimits(), apiToken: String? = nil, idleTimeoutSeconds: Int = 60
    ) {
        self.host = host
        self.port = port
        self.keys = keys
        self.maxTrainingBytes = maxTrainingBytes
        self.maxPredictionBytes = maxPredictionBytes
        self.csvLimits = csvLimits
        self.apiToken = apiToken
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}
