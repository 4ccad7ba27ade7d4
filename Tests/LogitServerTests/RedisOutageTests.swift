import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

/// Redis going away and coming back under a running API and worker: 503s meanwhile, recovery without a restart,
/// and no accepted job lost (AOF).
@Suite struct RedisOutageTests {
    @Test func theApiAnswers503WhileRedisIsDownAndRecoversByItself() async throws {
        try await TestService.run { service in
            let port = service.server.port
            service.server.stop()
            let down = try await service.request(.post, "/models", contentType: "text/csv", body: "1,a\n2,b\n")
            #expect(down.status == .serviceUnavailable)
            #expect(down.headers[.retryAfter] == "1")
            #expect(try service.decode(Problem.self, down.text).detail.contains("Redis is unavailable"))
            #expect(try await service.request(.get, "/check_model_status/00000000-0000-4000-8000-000000000000").status == .serviceUnavailable)

            let restarted = try RedisTestServer(port: port)
            defer { restarted.stop() }
            let id = try await service.train("1,a\n2,b\n3,a\n4,b\n")
            try await service.waitForStatus(id, .ready)  // the in-process worker recovered too
        }
    }
}

@Suite struct DurabilityTests {
    @Test func anAcceptedJobSurvivesARedisRestartWithAOF() async throws {
        let first = try RedisTestServer(arguments: ["--appendonly", "yes", "--appendfsync", "always"])
        let client = RedisClient(configuration: first.configuration)
        let queue = JobQueue(client: client, keys: KeySchema())
        let id = ModelID.generate()
        try await queue.enqueue(id)
        first.stop(keepingData: true)

        let second = try RedisTestServer(port: first.port, directory: first.directory, arguments: ["--appendonly", "yes"])
        defer { second.stop() }
        #expect(try await client.send("LRANGE", "lr:jobs", 0, -1).array?.first?.string == id.rawValue)
        #expect(try await client.send("HGET", .text("lr:model:\(id)"), "state").string == "queued")
        #expect(try await queue.jobInput(id)?.data == Array("1,a\n2,b\n".utf8))
        await client.shutdown()
    }
}
