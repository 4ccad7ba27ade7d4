import Foundation
import Logging
import LogitCore
import LogitRedis
import LogitTestSupport
import LogitWorker
import ServiceLifecycle
import Synchronization
import Testing

/// Jobs that used to be stranded in a live worker's processing list: the worker must notice and give them back.
/// The worker talks to Redis through a `FaultProxy`, so the faults are real lost replies and real refusals.
@Suite struct StrandedJobTests {
    /// A lease far longer than a heartbeat: these jobs must come back through the live worker's reconciliation, and
    /// with a 2 s lease a full parallel run on 2 cores once starved the heartbeat long enough for the lease to expire
    /// and the reaper to take the job back instead (a second attempt).
    static let workerConfiguration = WorkerConfiguration(lease: .seconds(10), heartbeat: .milliseconds(200), shutdownGrace: .seconds(1))

    /// Runs an in-process worker on `redis` while `body` runs, then shuts it down gracefully.
    static func withWorker(redis: RedisClient, _ body: @Sendable () async throws -> Void) async throws {
        try await withTrainingWorker(queue: JobQueue(client: redis, keys: KeySchema()), configuration: workerConfiguration, body)
    }

    func state(_ client: RedisClient, _ id: ModelID) async throws -> String? {
        try await client.send("HGET", .text("lr:model:\(id)"), "state").string
    }

    func enqueueIris(_ client: RedisClient) async throws -> ModelID {
        let id = ModelID.generate()
        try await JobQueue(client: client, keys: KeySchema()).enqueue(id, csv: Fixtures.bytes("iris.csv"))
        return id
    }

    /// A real Redis holding one queued iris job, a proxy in front of it, a client on each; `body` gets them, then
    /// everything is shut down. Afterwards the job must be ready after one attempt, with nothing left in any list.
    func withQueuedJobBehindProxy(
        _ body: (_ server: RedisTestServer, _ proxy: FaultProxy, _ direct: RedisClient, _ throughProxy: RedisClient, _ id: ModelID) async throws ->
            Void
    ) async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let proxy = try FaultProxy(upstreamPort: server.port)
        defer { proxy.stop() }
        let direct = RedisClient(configuration: server.configuration)
        let throughProxy = RedisClient(configuration: proxy.configuration)
        do {
            let id = try await enqueueIris(direct)
            try await body(server, proxy, direct, throughProxy, id)
            #expect(try await state(direct, id) == "ready")
            #expect(try await direct.send("HGET", .text("lr:model:\(id)"), "attempts").string == "1", "a refused step is not an attempt")
            #expect(try await direct.send("KEYS", "lr:processing:*").array?.isEmpty == true)
        } catch {
            await direct.shutdown()
            await throughProxy.shutdown()
            throw error
        }
        await direct.shutdown()
        await throughProxy.shutdown()
    }

    @Test func aJobWhoseTakeReplyIsLostCompletesWithinSeconds() async throws {
        try await withQueuedJobBehindProxy { _, proxy, direct, throughProxy, id in
            // The worker's first BLMOVE moves the job into its list, and the connection is cut before the reply: the
            // worker never learns the id, yet stays alive and keeps its lease, so the reaper will never give it back.
            proxy.inject(.cutBeforeReply, onCommand: "BLMOVE")
            try await Self.withWorker(redis: throughProxy) {
                try await waitUntil("the job to be taken", timeout: 10) { proxy.faultsInjected == 1 }
                try await waitUntil("the stranded job to be trained", timeout: 30) { try await state(direct, id) == "ready" }
            }
        }
    }

    @Test func aClaimRefusedForLackOfMemoryDoesNotStrandTheJob() async throws {
        try await withQueuedJobBehindProxy { server, proxy, direct, throughProxy, id in
            // Redis runs out of memory (maxmemory, noeviction) right between the worker's BLMOVE and its claim script.
            let limited = FlagBox()
            let port = server.port
            proxy.onCommand { arguments in
                guard arguments.first?.uppercased() == "EVAL", arguments.count > 1, arguments[1].contains("F.attempts, 1"), limited.setOnce()
                else { return }
                let connection = try? RedisConnection(RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port)))
                _ = try? connection?.command(["CONFIG", "SET", "maxmemory-policy", "noeviction"])
                _ = try? connection?.command(["CONFIG", "SET", "maxmemory", "1"])
            }
            try await Self.withWorker(redis: throughProxy) {
                try await waitUntil("Redis to refuse the claim with OOM", timeout: 10) {
                    (try await direct.send("INFO", "errorstats").string ?? "").contains("errorstat_OOM")
                }
                #expect(try await state(direct, id) == "queued", "the claim did not run")
                try await direct.send("CONFIG", "SET", "maxmemory", "0")
                try await waitUntil("the job to be trained once memory is back", timeout: 30) { try await state(direct, id) == "ready" }
            }
        }
    }
}

/// A flag that is set once, from any thread.
final class FlagBox: Sendable {
    private let flag = Mutex(false)

    /// True the first time only.
    func setOnce() -> Bool {
        flag.withLock { wasSet in
            defer { wasSet = true }
            return !wasSet
        }
    }
}
