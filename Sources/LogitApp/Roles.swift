import Hummingbird
import Logging
import LogitRedis
import LogitServer
import LogitWorker
import ServiceLifecycle

/// The services each kind of process runs, in `ServiceGroup` order (graceful shutdown goes in reverse: the API
/// drains first, then the worker settles its job, then the Redis client closes). `logit serve|worker|dev` and the
/// tests build their processes here.
public enum Roles {
    /// `logit serve`: the HTTP API, and a reaper so that jobs of dead workers go back to the queue even while no
    /// worker is alive.
    public static func api(redis: RedisClient, configuration: APIConfiguration, maxAttempts: Int, logger: Logger) -> [any Service] {
        let changes = ModelEvents(client: redis, keys: configuration.keys, logger: logger)
        return [
            redis, changes,
            LeaseReaper(queue: JobQueue(client: redis, keys: configuration.keys), maxAttempts: maxAttempts, logger: logger),
            buildApplication(configuration: configuration, repository: store(redis, configuration), changes: changes, logger: logger),
        ]
    }

    /// `logit worker`: takes jobs, fits them, stores the models.
    public static func worker(redis: RedisClient, configuration: WorkerConfiguration, logger: Logger) -> [any Service] {
        [redis, trainingWorker(redis: redis, configuration: configuration, logger: logger)]
    }

    /// `logit dev`: a worker and the API in one process, on one Redis client.
    public static func dev(
        redis: RedisClient, api: APIConfiguration, worker: WorkerConfiguration, apiLogger: Logger, workerLogger: Logger
    ) -> [any Service] {
        let changes = ModelEvents(client: redis, keys: api.keys, logger: apiLogger)
        return [
            redis, changes,
            trainingWorker(redis: redis, configuration: worker, logger: workerLogger),
            buildApplication(configuration: api, repository: store(redis, api), changes: changes, logger: apiLogger),
        ]
    }

    /// A training worker on the Redis queue.
    public static func trainingWorker(redis: RedisClient, configuration: WorkerConfiguration, logger: Logger) -> TrainingWorker {
        TrainingWorker(queue: JobQueue(client: redis, keys: configuration.keys), configuration: configuration, logger: logger)
    }

    /// The API's model store on Redis, with the replica acknowledgement the configuration asks for.
    public static func store(_ redis: RedisClient, _ configuration: APIConfiguration) -> ModelStore {
        ModelStore(
            client: redis, keys: configuration.keys, minReplicasAck: configuration.minReplicasAck, replicaAckTimeout: configuration.replicaAckTimeout)
    }
}
