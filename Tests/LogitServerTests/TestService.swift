import Hummingbird
import HummingbirdTesting
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import LogitWorker
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// The real API (router-level, no sockets) on a real redis-server, with an in-process worker unless `worker: false`.
struct TestService {
    let client: any TestClientProtocol
    let redis: RedisClient
    let server: RedisTestServer

    /// With `live`, the API listens on a free loopback port (`client.port`), for tests that need real sockets. With a
    /// `server`, the caller owns (and stops) it; else each run gets a fresh one.
    static func run(
        worker: Bool = true, live: Bool = false, server given: RedisTestServer? = nil, configure: (inout APIConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestService) async throws -> Void
    ) async throws {
        let server = try given ?? RedisTestServer()
        defer { if given == nil { server.stop() } }
        let redis = RedisClient(configuration: server.configuration, threads: 6)
        var configuration = APIConfiguration()
        if live { configuration.port = 0 }
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let app = buildApplication(configuration: configuration, redis: redis, logger: logger)
        let services: [any Service] = worker
            ? [TrainingWorker(redis: redis, configuration: WorkerConfiguration(leaseMilliseconds: 2000, heartbeatMilliseconds: 200, shutdownGraceSeconds: 1), logger: logger)]
            : []
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                if worker { tasks.addTask { try await group.run() } }
                try await app.test(live ? .live : .router) { client in
                    try await body(TestService(client: client, redis: redis, server: server))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        } catch {
            await redis.shutdown()
            throw error
        }
        await redis.shutdown()
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

import Foundation
