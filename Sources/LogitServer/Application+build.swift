import Hummingbird
import LogitRedis
import Logging
import NIOCore

/// The API's router: every route, behind the middleware that turns errors into problem documents.
public func buildRouter(configuration: APIConfiguration, redis: RedisClient, metrics: APIMetrics = APIMetrics()) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let table = RouteTable()
    // Middleware first: Hummingbird applies it only to routes added after it. Metrics outside, so they see the
    // status every error is answered with.
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(ProblemMiddleware(routes: table))
    let queue = JobQueue(client: redis, keys: configuration.keys)
    let store = ModelStore(client: redis, keys: configuration.keys)
    ModelController(configuration: configuration, queue: queue, store: store).addRoutes(to: router, table: table)
    HealthController(redis: redis).addRoutes(to: router, table: table)
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics.exposition(redis: redis, keys: configuration.keys))))
    }
    table.add("/metrics", .get)
    return router
}

/// The API as a service: tests and `logit serve` / `logit dev` run this same application.
public func buildApplication(configuration: APIConfiguration, redis: RedisClient, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(configuration: configuration, redis: redis),
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "logit"),
        logger: logger)
}
