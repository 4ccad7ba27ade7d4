import Hummingbird
import LogitRedis
import Logging
import NIOCore

/// The API's router: every route, behind the middleware that turns errors into problem documents.
public func buildRouter(configuration: APIConfiguration, redis: RedisClient, metrics: APIMetrics = APIMetrics()) -> Router<BasicRequestContext> {
    makeRouter(configuration: configuration, redis: redis, metrics: metrics).router
}

/// The router and the table of the routes it serves (what 405s and the OpenAPI check read).
func makeRouter(configuration: APIConfiguration, redis: RedisClient, metrics: APIMetrics) -> (router: Router<BasicRequestContext>, table: RouteTable) {
    let router = Router(context: BasicRequestContext.self)
    let table = RouteTable()
    // Middleware first: Hummingbird applies it only to routes added after it. Metrics outside, so they see the
    // status every error is answered with.
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(ProblemMiddleware(routes: table))
    let queue = JobQueue(client: redis, keys: configuration.keys)
    let store = ModelStore(client: redis, keys: configuration.keys)
    let bodies = BodyBudget(limit: configuration.maxInFlightBodyBytes)
    ModelController(configuration: configuration, queue: queue, store: store, bodies: bodies).addRoutes(to: router, table: table)
    HealthController(redis: redis).addRoutes(to: router, table: table)
    router.get("/metrics") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics.exposition(redis: redis, keys: configuration.keys))))
    }
    table.add("/metrics", .get)
    let openAPI = ByteBuffer(bytes: OpenAPIDocument.build().serialized())
    let docs = ByteBuffer(string: DocsPage.html())
    router.get("/openapi.json") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: openAPI)) }
    router.get("/docs") { _, _ in Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: docs)) }
    table.add("/openapi.json", .get)
    table.add("/docs", .get)
    return (router, table)
}

/// The API as a service: tests and `logit serve` / `logit dev` run this same application.
public func buildApplication(configuration: APIConfiguration, redis: RedisClient, logger: Logger) -> some ApplicationProtocol {
    Application(
        router: buildRouter(configuration: configuration, redis: redis),
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    ExpectContinueHandler(),
                    BodyTimeoutHandler(
                        timeoutSeconds: configuration.bodyTimeoutSeconds, minimumBytesPerSecond: configuration.minimumBodyBytesPerSecond),
                ], idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "logit"),
        logger: logger)
}
