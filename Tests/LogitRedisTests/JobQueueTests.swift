import LogitRedis
import LogitTestSupport
import Testing

/// The queue's promises, against a real redis-server started for each test.
@Suite struct JobQueueTests {
    /// Runs `body` with a queue on a fresh Redis, then shuts everything down.
    func withQueue(_ body: (JobQueue, RedisClient) async throws -> Void) async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let client = RedisClient(configuration: server.configuration)
        do {
            try await body(JobQueue(client: client, keys: KeySchema(prefix: "t:")), client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    func enqueue(_ queue: JobQueue) async throws -> ModelID {
        let id = ModelID.generate()
        try await queue.enqueue(id)
        return id
    }

    func field(_ client: RedisClient, _ key: String, _ name: String) async throws -> String? {
        try await client.send("HGET", .text(key), .text(name)).string
    }

    @Test func aClaimedJobIsStoredOnceAndLeavesNothingBehind() async throws {
        try await withQueue { queue, client in
            let id = try await enqueue(queue)
            try await queue.heartbeat(worker: "w1", lease: .milliseconds(5000))
            let claim = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(claim.id == id && claim.attempt == 1)
            #expect(try await field(client, "t:model:\(id)", "state") == "training")
            #expect(try await client.send("LLEN", "t:processing:w1").integer == 1)
            #expect(try await queue.jobInput(id)?.data == Array("1,a\n2,b\n".utf8))

            #expect(try await queue.complete(claim, model: TestFit.model, summary: TestFit.summary(objective: 0.5, seconds: 0.5)))
            #expect(try await client.send("HGET", "t:stats", "ready").string == "1", "the outcome is counted with the store")
            #expect(try await field(client, "t:model:\(id)", "state") == "ready")
            #expect(try await client.send("EXISTS", .text("t:data:\(id)")).integer == 0)
            #expect(try await client.send("LLEN", "t:processing:w1").integer == 0)
            #expect(try await client.send("LLEN", "t:jobs").integer == 0)
            #expect(
                try await queue.complete(claim, model: TestFit.model, summary: TestFit.summary(objective: 0.25)) == false, "a second store is refused"
            )
            #expect(try await field(client, "t:model:\(id)", "summary") == RecordJSON.encode(TestFit.summary(objective: 0.5, seconds: 0.5)))
        }
    }

    @Test func noJobMeansNilAfterTheTimeout() async throws {
        try await withQueue { queue, _ in
            let claim = try await queue.claim(worker: "w1", timeout: .seconds(0.05))
            #expect(claim == nil)
        }
    }

    @Test func aWorkerWhoseLeaseExpiredCannotStoreItsLateResult() async throws {
        try await withQueue { queue, client in
            let id = try await enqueue(queue)
            try await queue.heartbeat(worker: "slow", lease: .milliseconds(5000))
            let late = try #require(try await queue.claim(worker: "slow", timeout: .seconds(1)))
            // The slow worker goes silent: its lease disappears, and a reaper returns the job.
            try await client.send("DEL", "t:worker:slow")
            #expect(try await queue.reap(maxAttempts: 3) == 1)
            #expect(try await field(client, "t:model:\(id)", "state") == "queued")

            try await queue.heartbeat(worker: "fast", lease: .milliseconds(5000))
            let current = try #require(try await queue.claim(worker: "fast", timeout: .seconds(1)))
            #expect(current.attempt == 2)
            #expect(try await queue.progress(late, iteration: 5, objective: 1) == false)
            #expect(try await queue.complete(late, model: TestFit.model, summary: TestFit.summary(objective: 0.25)) == false)
            #expect(try await queue.complete(current, model: TestFit.model, summary: TestFit.summary(objective: 0.5)))
            #expect(try await field(client, "t:model:\(id)", "summary") == RecordJSON.encode(TestFit.summary(objective: 0.5)))
            #expect(try await field(client, "t:model:\(id)", "attempts") == "2")
        }
    }

    @Test func pastTheAttemptLimitTheModelFailsWithAReason() async throws {
        try await withQueue { queue, client in
            let id = try await enqueue(queue)
            for attempt in 1...2 {
                try await queue.heartbeat(worker: "w\(attempt)", lease: .milliseconds(5000))
                _ = try #require(try await queue.claim(worker: "w\(attempt)", timeout: .seconds(1)))
                try await client.send("DEL", .text("t:worker:w\(attempt)"))
                #expect(try await queue.reap(maxAttempts: 2) == 1)
            }
            #expect(try await field(client, "t:model:\(id)", "state") == "failed")
            #expect(try await field(client, "t:model:\(id)", "error")?.contains("worker lost 2 times") == true)
            #expect(try await client.send("EXISTS", .text("t:data:\(id)")).integer == 0)
            #expect(try await client.send("LLEN", "t:jobs").integer == 0)
        }
    }

    @Test func aHandedBackJobIsNextAndItsAttemptIsNotCounted() async throws {
        try await withQueue { queue, client in
            let first = try await enqueue(queue)
            let second = try await enqueue(queue)
            let claim = try #require(try await queue.claim(worker: "w", timeout: .seconds(1)))
            #expect(claim.id == first)
            #expect(try await queue.handBack(claim))
            #expect(try await field(client, "t:model:\(first)", "state") == "queued")
            #expect(try await field(client, "t:model:\(first)", "attempts") == "0")
            #expect(try await queue.claim(worker: "w", timeout: .seconds(1))?.id == first)
            #expect(try await queue.claim(worker: "w", timeout: .seconds(1))?.id == second)
        }
    }

    @Test func aLiveWorkersJobsAreNotReaped() async throws {
        try await withQueue { queue, client in
            _ = try await enqueue(queue)
            try await queue.heartbeat(worker: "alive", lease: .milliseconds(60_000))  // alive throughout, however slow the machine
            _ = try #require(try await queue.claim(worker: "alive", timeout: .seconds(1)))
            #expect(try await queue.reap(maxAttempts: 3) == 0)
            #expect(try await client.send("LLEN", "t:processing:alive").integer == 1)
        }
    }

    @Test func deletingAQueuedModelRemovesItsJobAndKeys() async throws {
        try await withQueue { queue, client in
            let id = try await enqueue(queue)
            let store = ModelStore(client: client, keys: queue.keys)
            #expect(try await store.delete(id) == .deleted)
            #expect(try await client.send("DBSIZE").integer == 0)
            #expect(try await store.delete(id) == .notFound)
            #expect(try await queue.claim(worker: "w", timeout: .seconds(0.05)) == nil)
        }
    }

    @Test func redisDownIsAnUnavailableErrorAndTheClientRecovers() async throws {
        let server = try RedisTestServer()
        let client = RedisClient(configuration: server.configuration)
        #expect(await client.ping())
        server.stop()
        await #expect(throws: RedisError.self) { try await client.send("PING") }
        do {
            try await client.send("PING")
        } catch {
            #expect(error.isUnavailable)
        }
        let again = try RedisTestServer(port: server.port)
        defer { again.stop() }
        #expect(await client.ping(), "the next call dials again: no restart needed")
        await client.shutdown()
    }

    @Test func aRedisThatCannotServeYetIsUnavailableNotAServerError() async throws {
        try await withQueue { _, client in
            // The reply a restarting Redis gives while it replays its AOF.
            do {
                try await client.send("EVAL", "return redis.error_reply('LOADING Redis is loading the dataset in memory')", 0)
                Issue.record("a LOADING reply was not thrown")
            } catch {
                #expect((error as? RedisError)?.isUnavailable == true)
            }
            #expect(await client.ping(), "the connection stays usable")
        }
    }

    @Test func aPasswordProtectedRedisNeedsThePassword() async throws {
        let server = try RedisTestServer(arguments: ["--requirepass", "s3cret"])
        defer { server.stop() }
        let anonymous = RedisClient(configuration: server.configuration)
        do {
            try await anonymous.send("PING")
            Issue.record("PING without a password succeeded")
        } catch {
            #expect(error.isAuthenticationFailure)
        }
        await anonymous.shutdown()
        let wrong = RedisClient(configuration: try RedisConfiguration(url: server.url, password: "nope"))
        await #expect(throws: RedisError.self) { try await wrong.send("PING") }
        await wrong.shutdown()
        let right = RedisClient(configuration: try RedisConfiguration(url: "redis://:s3cret@127.0.0.1:\(server.port)"))
        #expect(await right.ping())
        await right.shutdown()
    }
}
