import Hummingbird
import LogitRedis

/// Liveness and readiness: `/alive` (the original's), `/healthz` (the process answers), `/readyz` (Redis answers).
struct HealthController: Sendable {
    let redis: RedisClient

    func addRoutes(to router: Router<BasicRequestContext>, table: RouteTable) {
        router.get("/alive") { _, _ in Response.json(.object([("message", "Server is alive!")])) }
        router.get("/healthz") { _, _ in Response.json(.object([("status", "ok")])) }
        router.get("/readyz") { _, _ in
            guard await redis.ping() else {
                throw ProblemError(.serviceUnavailable, "Not ready: Redis at \(redis.configuration) does not answer.", headers: [.retryAfter: "1"])
            }
            return Response.json(.object([("status", "ready"), ("redis", "ok")]))
        }
        table.add("/alive", .get)
        table.add("/healthz", .get)
        table.add("/readyz", .get)
    }
}
