import Hummingbird
import LogitAPI
import LogitRedis

/// Liveness and readiness: `/alive` (the original's), `/healthz` (the process answers), `/readyz` (the store answers).
struct HealthController: Sendable {
    let repository: any ModelRepository

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get(RouterPath(APIPath.alive)) { _, _ in AliveMessage() }
        routes.get(RouterPath(APIPath.healthz)) { _, _ in HealthStatus(status: "ok") }
        routes.get(RouterPath(APIPath.readyz)) { _, _ in
            guard await repository.ping() else {
                throw ProblemError(.serviceUnavailable, "Not ready: Redis at \(repository.location) does not answer.", headers: [.retryAfter: "1"])
            }
            return HealthStatus(status: "ready", redis: "ok")
        }
        return routes
    }
}
