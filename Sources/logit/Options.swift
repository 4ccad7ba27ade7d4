import ArgumentParser
import Foundation
import Logging
import LogitCore
import LogitRedis
import LogitServer
import LogitWorker

/// Reads an environment variable (empty counts as unset).
func environment(_ name: String) -> String? {
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
    return value
}

struct RedisOptions: ParsableArguments {
    @Option(name: .customLong("redis-url"), help: "Redis URL: redis://[:password@]host[:port][/db] or unix:///path (env REDIS_URL).")
    var url: String = environment("REDIS_URL") ?? "redis://127.0.0.1:6379"

    @Option(
        name: .customLong("redis-sentinels"),
        help: "Redis Sentinels host:port[,host:port…] to ask for the primary; overrides the URL's host (env REDIS_SENTINELS).")
    var sentinels: String? = environment("REDIS_SENTINELS")

    @Option(name: .customLong("redis-master-name"), help: "The name the Sentinels monitor the primary under (env REDIS_MASTER_NAME).")
    var masterName: String? = environment("REDIS_MASTER_NAME")

    @Option(name: .customLong("key-prefix"), help: "Prefix of every Redis key (env LOGIT_KEY_PREFIX).")
    var keyPrefix: String = environment("LOGIT_KEY_PREFIX") ?? "lr:"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL).")
    var logLevel: String = environment("LOG_LEVEL") ?? "info"

    func redisConfiguration() throws -> RedisConfiguration {
        do {
            var configuration = try RedisConfiguration(url: url, password: environment("REDIS_PASSWORD"))
            configuration.sentinelPassword = environment("REDIS_SENTINEL_PASSWORD")
            try configuration.useSentinels(sentinels, masterName: masterName)
            return configuration
        } catch {
            throw ValidationError(error.description)
        }
    }

    var keys: KeySchema { KeySchema(prefix: keyPrefix) }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        return logger
    }
}

struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on (env HOST).")
    var host: String = environment("HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on (env PORT).")
    var port: Int = environment("PORT").flatMap(Int.init) ?? 5000

    @Option(help: "Largest training body in bytes (env LOGIT_MAX_TRAINING_BYTES).")
    var maxTrainingBytes: Int = environment("LOGIT_MAX_TRAINING_BYTES").flatMap(Int.init) ?? 512 << 20

    @Option(help: "Largest prediction body in bytes (env LOGIT_MAX_PREDICTION_BYTES).")
    var maxPredictionBytes: Int = environment("LOGIT_MAX_PREDICTION_BYTES").flatMap(Int.init) ?? 64 << 20

    @Option(help: "Most rows in a training body (env LOGIT_MAX_ROWS).")
    var maxRows: Int = environment("LOGIT_MAX_ROWS").flatMap(Int.init) ?? 50_000_000

    @Option(help: "Most feature columns (env LOGIT_MAX_COLUMNS).")
    var maxColumns: Int = environment("LOGIT_MAX_COLUMNS").flatMap(Int.init) ?? 10_000

    @Option(help: "Most distinct labels (env LOGIT_MAX_CLASSES).")
    var maxClasses: Int = environment("LOGIT_MAX_CLASSES").flatMap(Int.init) ?? 1_000

    @Option(
        help: "Request body bytes held at once across all requests; 503 past it (env LOGIT_MAX_INFLIGHT_BODY_BYTES; default twice the largest body).")
    var maxInflightBodyBytes: Int? = environment("LOGIT_MAX_INFLIGHT_BODY_BYTES").flatMap(Int.init)

    @Option(help: "Seconds a request body may take, plus one per --min-body-rate bytes received; slower ones get 408 (env LOGIT_BODY_TIMEOUT).")
    var bodyTimeout: Double = environment("LOGIT_BODY_TIMEOUT").flatMap(Double.init) ?? 30

    @Option(help: "Bytes per second a request body must average beyond --body-timeout (env LOGIT_MIN_BODY_RATE).")
    var minBodyRate: Int = environment("LOGIT_MIN_BODY_RATE").flatMap(Int.init) ?? 100 << 10

    @Option(help: "Answer 201 to a training job only once N replicas have it (WAIT N); 0: do not wait (env LOGIT_MIN_REPLICAS_ACK).")
    var minReplicasAck: Int = environment("LOGIT_MIN_REPLICAS_ACK").flatMap(Int.init) ?? 0

    @Option(help: "Milliseconds to wait for --min-replicas-ack replicas before answering 503 (env LOGIT_REPLICA_ACK_TIMEOUT_MS).")
    var replicaAckTimeoutMs: Int = environment("LOGIT_REPLICA_ACK_TIMEOUT_MS").flatMap(Int.init) ?? 1000

    var csvLimits: CSVLimits { CSVLimits(maxRows: maxRows, maxColumns: maxColumns, maxClasses: maxClasses) }

    func validate() throws {
        guard minReplicasAck >= 0 else { throw ValidationError("--min-replicas-ack must be 0 or more") }
        guard replicaAckTimeoutMs >= 1 else { throw ValidationError("--replica-ack-timeout-ms must be at least 1") }
        guard bodyTimeout > 0, minBodyRate >= 1 else { throw ValidationError("--body-timeout and --min-body-rate must be positive") }
        if let maxInflightBodyBytes, maxInflightBodyBytes < max(maxTrainingBytes, maxPredictionBytes) {
            throw ValidationError("--max-inflight-body-bytes must be at least the largest body limit (\(max(maxTrainingBytes, maxPredictionBytes)))")
        }
    }

    func apiConfiguration(keys: KeySchema) -> APIConfiguration {
        APIConfiguration(
            host: host, port: port, keys: keys, maxTrainingBytes: maxTrainingBytes, maxPredictionBytes: maxPredictionBytes,
            csvLimits: csvLimits, apiToken: environment("LOGIT_API_TOKEN"), maxInFlightBodyBytes: maxInflightBodyBytes,
            bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)), minimumBodyBytesPerSecond: minBodyRate, minReplicasAck: minReplicasAck,
            replicaAckTimeout: .milliseconds(replicaAckTimeoutMs))
    }
}

struct WorkerOptions: ParsableArguments {
    @Option(help: "Jobs trained at once by this process (env LOGIT_CONCURRENCY).")
    var concurrency: Int = environment("LOGIT_CONCURRENCY").flatMap(Int.init) ?? 1

    @Option(help: "Attempts per job before it is marked failed (env LOGIT_MAX_ATTEMPTS).")
    var maxAttempts: Int = environment("LOGIT_MAX_ATTEMPTS").flatMap(Int.init) ?? 3

    @Option(help: "Milliseconds a worker's lease lives without a heartbeat (env LOGIT_LEASE_MS).")
    var leaseMs: Int = environment("LOGIT_LEASE_MS").flatMap(Int.init) ?? 5000

    @Option(help: "Seconds a running job may continue after SIGTERM before it is handed back (env LOGIT_SHUTDOWN_GRACE).")
    var shutdownGrace: Double = environment("LOGIT_SHUTDOWN_GRACE").flatMap(Double.init) ?? 10

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard leaseMs >= 300 else { throw ValidationError("--lease-ms must be at least 300") }
    }

    func workerConfiguration(keys: KeySchema, csvLimits: CSVLimits = CSVLimits()) -> WorkerConfiguration {
        WorkerConfiguration(
            keys: keys, concurrency: concurrency, lease: .milliseconds(leaseMs), heartbeat: .milliseconds(max(100, leaseMs / 5)),
            reapInterval: .milliseconds(max(200, leaseMs / 2)), maxAttempts: maxAttempts,
            shutdownGrace: .milliseconds(Int64(shutdownGrace * 1000)), csvLimits: csvLimits)
    }
}
