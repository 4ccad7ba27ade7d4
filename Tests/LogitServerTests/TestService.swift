import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import LogitAPI
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
        let changes = ModelEvents(client: redis, keys: configuration.keys, logger: logger)
        let app = buildApplication(configuration: configuration, repository: Roles.store(redis, configuration), changes: changes, logger: logger)
        let services: [any Service] =
            [changes] + (worker ? [Roles.trainingWorker(redis: redis, configuration: workerConfiguration, logger: logger)] : [])
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

    /// Decodes an answer's body as its `LogitAPI` type.
    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    /// POSTs training data; returns the new model id.
    func train(_ csv: String, query: String = "") async throws -> String {
        let response = try await request(.post, APIPath.models + query, contentType: "text/csv", body: csv)
        #expect(response.status == .created, "\(response.text)")
        return try decode(TrainingAccepted.self, response.text).modelID
    }

    /// Waits until the model's state is `state`; returns its last status answer (for its original text).
    @discardableResult
    func waitForStatus(_ id: String, _ state: ModelState, timeout: Double = 30) async throws -> StatusResponse {
        var last: StatusResponse?
        try await waitUntil("model \(id) to be \(state)", timeout: timeout) {
            let response = try await request(.get, APIPath.filled(APIPath.checkStatus, id: id))
            last = try? decode(StatusResponse.self, response.text)
            return last?.state == state
        }
        return try #require(last)
    }

    /// With `memory`: models stored plus jobs waiting, all that a request could have written.
    func storedItems() async throws -> Int {
        let backend = try #require(backend, "storedItems() needs memory: true")
        return try await backend.list(offset: 0, limit: 1).total + backend.pendingJobs.count
    }
}
