import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import LogitApp
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import LogitWorker
import NIOCore
import ServiceLifecycle
import Testing

/// The real API (router-level, no sockets) with an in-process worker unless `worker: false`: on a real
/// redis-server (the integration layer), or with `memory`, on an `InMemoryBackend` and no Redis at all (route tests).
struct TestService {
    let client: any TestClientProtocol
    private let redisClient: RedisClient?
    private let redisServer: RedisTestServer?
    /// The in-memory store, with `memory`.
    let backend: InMemoryBackend?

    /// The Redis the API uses (not with `memory`).
    var redis: RedisClient { redisClient! }
    var server: RedisTestServer { redisServer! }

    static let workerConfiguration = WorkerConfiguration(lease: .seconds(2), heartbeat: .milliseconds(200), shutdownGrace: .seconds(1))

    /// With `live`, the API listens on a free loopback port (`client.port`), for tests that need real sockets. With a
    /// `server`, the caller owns (and stops) it; else each run gets a fresh one.
    static func run(
        worker: Bool = true, live: Bool = false, memory: Bool = false, server given: RedisTestServer? = nil,
        configure: (inout APIConfiguration) -> Void = { _ in }, _ body: @Sendable (TestService) async throws -> Void
    ) async throws {
        var configuration = APIConfiguration()
        if live { configuration.port = 0 }
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        if memory {
            let backend = InMemoryBackend()
            let app = buildApplication(configuration: configuration, repository: backend, logger: logger)
            let services: [any Service] = worker ? [TrainingWorker(queue: backend, configuration: workerConfiguration, logger: logger)] : []
            try await run(app, services, live: live, logger: logger) { client in
                try await body(TestService(client: client, redisClient: nil, redisServer: nil, backend: backend))
            }
            return
        }
        let server = try given ?? RedisTestServer()
        defer { if given == nil { server.stop() } }
        let redis = RedisClient(configuration: server.configuration, threads: 6)
        let app = buildApplication(configuration: configuration, repository: Roles.store(redis, configuration), logger: logger)
        let services: [any Service] =
            worker
            ? [TrainingWorker(queue: JobQueue(client: redis, keys: configuration.keys), configuration: workerConfiguration, logger: logger)] : []
        do {
            try await run(app, services, live: live, logger: logger) { client in
                try await body(TestService(client: client, redisClient: redis, redisServer: server, backend: nil))
            }
        } catch {
            await redis.shutdown()
            throw error
        }
        await redis.shutdown()
    }

    /// Runs `services` (the worker) while `body` talks to `app`, then shuts them down gracefully.
    private static func run(
        _ app: some ApplicationProtocol, _ services: [any Service], live: Bool, logger: Logger,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await app.test(live ? .live : .router) { client in try await body(client) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Sends a request and hands back status, headers and body text.
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, contentType: String? = nil, accept: String? = nil, authorization: String? = nil,
        body: String? = nil
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, text: String) {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        if let accept { headers[.accept] = accept }
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            (response.status, response.headers, String(buffer: response.body))
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    /// POSTs training data; returns the new model id.
    func train(_ csv: String, query: String = "") async throws -> String {
        let response = try await request(.post, "/models" + query, contentType: "text/csv", body: csv)
        #expect(response.status == .created, "\(response.text)")
        return try #require(try json(response.text)["model_id"] as? String)
    }

    /// Waits until the model's original status is `status`.
    func waitForStatus(_ id: String, _ status: String) async throws {
        try await waitUntil("model \(id) to be \(status)") {
            let response = try await request(.get, "/check_model_status/\(id)")
            return (try? json(response.text)["status"] as? String) == status
        }
    }

    /// Keys that a request could have written: all but a worker's own lease, listing and processing list, which
    /// come and go with its heartbeat (a lease expires on a machine busy enough to delay one).
    func keyCount() async throws -> Int64 {
        let keys = try await redis.send("KEYS", "*").array?.compactMap(\.string) ?? []
        return Int64(keys.filter { !$0.hasPrefix("lr:worker:") && $0 != "lr:workers" && !$0.hasPrefix("lr:processing:") }.count)
    }
}
