import ArgumentParser
import Foundation
import Logging
import LogitApp
import LogitRedis
import LogitServer
import LogitWorker
import ServiceLifecycle
import UnixSignals

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run everything on one machine: Redis (started if none answers), the API and a worker.")

    @OptionGroup var redis: RedisOptions
    @OptionGroup var serve: ServeOptions
    @OptionGroup var worker: WorkerOptions

    @Option(help: "redis.conf to start Redis with, when none answers at --redis-url.")
    var redisConf: String = "redis.conf"

    @Option(help: "Directory for the Redis it starts (AOF files).")
    var dataDir: String = environment("LOGIT_DATA_DIR") ?? ".logit-data"

    func run() async throws {
        let logger = redis.logger("logit.dev")
        let redisConfiguration = try redis.redisConfiguration()
        let client = RedisClient(configuration: redisConfiguration, threads: worker.concurrency * 2 + 8)
        var services: [any Service] = []
        if await !client.ping() {
            guard case .tcp(let host, let port) = redisConfiguration.endpoint, ["127.0.0.1", "localhost", "::1"].contains(host) else {
                throw ValidationError("No Redis answers at \(redisConfiguration), and logit dev only starts one on this machine's loopback.")
            }
            let server = try RedisServerProcess(
                port: port, password: redisConfiguration.password, configFile: redisConf, dataDirectory: dataDir, logger: logger)
            try await server.start(client: client)
            services.append(server)
        } else {
            logger.info("Using the Redis that answers", metadata: ["redis": "\(redisConfiguration)"])
        }
        try await RedisPreflight.check(client, logger: logger)
        // Shut down in reverse order: the API drains first, then the worker settles its job, then the client closes,
        // then Redis stops.
        services += Roles.dev(
            redis: client, api: serve.apiConfiguration(keys: redis.keys),
            worker: worker.workerConfiguration(keys: redis.keys, csvLimits: serve.csvLimits), apiLogger: redis.logger("logit.api"),
            workerLogger: redis.logger("logit.worker"))
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        logger.info("logit is up", metadata: ["api": "http://\(serve.host):\(serve.port)"])
        try await group.run()
    }
}
