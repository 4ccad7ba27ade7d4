import ArgumentParser
import Logging
import LogitApp
import LogitRedis
import LogitServer
import LogitWorker
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API (stateless; run as many as you like).")

    @OptionGroup var redis: RedisOptions
    @OptionGroup var serve: ServeOptions

    @Option(help: "Attempts per job before the API's reaper marks it failed (env LOGIT_MAX_ATTEMPTS); as the workers'.")
    var maxAttempts: Int = environment("LOGIT_MAX_ATTEMPTS").flatMap(Int.init) ?? 3

    func run() async throws {
        let logger = redis.logger("logit.api")
        let client = RedisClient(configuration: try redis.redisConfiguration(), threads: 8)
        try await RedisPreflight.check(client, logger: logger)
        let services = Roles.api(redis: client, configuration: serve.apiConfiguration(keys: redis.keys), maxAttempts: maxAttempts, logger: logger)
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
