import ArgumentParser
import Logging
import LogitApp
import LogitRedis
import LogitWorker
import ServiceLifecycle
import UnixSignals

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a training worker (run as many as you like).")

    @OptionGroup var redis: RedisOptions
    @OptionGroup var worker: WorkerOptions

    func run() async throws {
        let logger = redis.logger("logit.worker")
        let client = RedisClient(configuration: try redis.redisConfiguration(), threads: worker.concurrency * 2 + 2)
        try await RedisPreflight.check(client, logger: logger)
        let services = Roles.worker(redis: client, configuration: worker.workerConfiguration(keys: redis.keys), logger: logger)
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
