import Hummingbird
import Logging
import LogitAPI
import LogitRedis
import NIOCore

/// The API's router: every route, behind the middleware that turns errors into problem documents. `changes`, the
/// model change feed (`ModelEvents` on Redis), keeps the cache of ready models current and wakes `?wait=` requests.
public func buildRouter(
    configuration: APIConfiguration, repository: any ModelRepository, changes: (any ModelChangeFeed)? = nil, metrics: APIMetrics = APIMetrics()
) -> Router<BasicRequestContext> {
    // HEAD is answered by every GET route (headers, no body).
    let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
    let allowed = AllowedMethods()
    // Middleware first: Hummingbird applies it only to routes added after it. Metrics outside, so they see the
    // status every error is answered with.
    router.middlewares.add(MetricsMiddleware(metrics: metrics))
    router.middlewares.add(ProblemMiddleware(allowed: allowed))
    let bodies = BodyBudget(limit: configuration.maxInFlightBodyBytes)
    let models = ReadyModels(repository: repository, cache: ModelCache(feed: changes))
    let waiters = ChangeWaiters(feed: changes)
    let resolver = ModelResolver(repository: repository)
    router.addRoutes(
        ModelController(
            configuration: configuration, repository: repository, bodies: bodies, models: models, waiters: waiters, resolver: resolver
        ).routes)
    router.addRoutes(ExportController(models: models, resolver: resolver).routes)
    router.addRoutes(
        InferenceProtocolController(configuration: configuration, repository: repository, bodies: bodies, models: models, resolver: resolver).routes)
    router.addRoutes(HealthController(repository: repository).routes)
    router.addRoutes(DocumentationController(metrics: metrics, repository: repository).routes)
    router.addRoutes(DashboardController().routes)
    allowed.load(from: router)
    return router
}

/// The API as a service: `logit serve` / `logit dev` and the tests run this same application.
public func buildApplication(
    configuration: APIConfiguration, repository: any ModelRepository, changes: (any ModelChangeFeed)? = nil, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(configuration: configuration, repository: repository, changes: changes),
        server: .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    ExpectContinueHandler(),
                    BodyTimeoutHandler(timeout: configuration.bodyTimeout, minimumBytesPerSecond: configuration.minimumBodyBytesPerSecond),
                ], idleTimeout: TimeAmount(configuration.idleTimeout))),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "logit"),
        logger: logger)
}
