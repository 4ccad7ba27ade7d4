import Foundation
import LogitRedis
import LogitTestSupport
import NIOCore
import Testing

/// A live worker's reconciliation of its processing list, deletion of a job in training, and how jobs are stored:
/// against a real redis-server.
@Suite struct ReconciliationTests {
    let queueTests = JobQueueTests()

    func state(_ client: RedisClient, _ id: ModelID) async throws -> String? {
        try await queueTests.field(client, "t:model:\(id)", "state")
    }

    func list(_ client: RedisClient, _ key: String) async throws -> [String] {
        try await client.send("LRANGE", .text(key), 0, -1).array?.compactMap(\.string) ?? []
    }

    @Test func anIdStrandedInALiveWorkersListGoesBack() async throws {
        try await queueTests.withQueue { queue, client in
            let id = try await queueTests.enqueue(queue)
            try await queue.heartbeat(worker: "w1", lease: .milliseconds(60_000))
            // What a BLMOVE whose reply never reached the worker leaves behind: the id in its list, nobody on it.
            try await client.send("LMOVE", "t:jobs", "t:processing:w1", "RIGHT", "LEFT")
            #expect(try await queue.reap(maxAttempts: 3) == 0, "the worker is alive: the reaper cannot help")

            let look = try await queue.reconcile(worker: "w1", stale: [], maxAttempts: 3)
            #expect(look.moved == 0 && look.listed == [id], "a first look only reports what the list holds")
            #expect(try await queue.reconcile(worker: "w1", stale: [id], maxAttempts: 3).moved == 1)
            #expect(try await list(client, "t:processing:w1").isEmpty)
            #expect(try await list(client, "t:jobs") == [id.rawValue])
            #expect(try await state(client, id) == "queued")
        }
    }

    @Test func aJobClaimedButNotWorkedOnGoesBackAsAnAttempt() async throws {
        try await queueTests.withQueue { queue, client in
            let id = try await queueTests.enqueue(queue)
            _ = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(try await queue.reconcile(worker: "w1", stale: [], maxAttempts: 3) == (0, [id]))
            #expect(try await state(client, id) == "training")
            // The worker is no longer on it (e.g. it could not read the job's data): back in the queue.
            #expect(try await queue.reconcile(worker: "w1", stale: [id], maxAttempts: 3).moved == 1)
            #expect(try await state(client, id) == "queued")
            #expect(try await list(client, "t:jobs") == [id.rawValue])
            #expect(try await client.send("HGET", "t:stats", "reclaimed").string == "1")
            // At the attempt limit it ends failed instead.
            _ = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(try await queue.reconcile(worker: "w1", stale: [id], maxAttempts: 2).moved == 1)
            #expect(try await state(client, id) == "failed")
        }
    }

    @Test func aClaimThatRacesAReconciliationKeepsTheJobInTheWorkersList() async throws {
        try await queueTests.withQueue { queue, client in
            let id = try await queueTests.enqueue(queue)
            let taken = try #require(try await queue.take(worker: "w1", timeout: .seconds(1)))
            // A reconciliation gives the id back between the take and the claim.
            #expect(try await queue.reconcile(worker: "w1", stale: [taken], maxAttempts: 3).moved == 1)
            let claim = try #require(try await queue.claim(taken, worker: "w1"))
            #expect(claim.attempt == 1)
            #expect(try await list(client, "t:processing:w1") == [id.rawValue], "where the reaper looks if w1 dies")
            // The copy the reconciliation queued is dropped by whoever takes it next, and leaves that worker's list
            // at its next reconciliation.
            let copy = try #require(try await queue.take(worker: "w2", timeout: .seconds(1)))
            #expect(copy == id)
            #expect(try await queue.claim(copy, worker: "w2") == nil)
            #expect(try await queue.reconcile(worker: "w2", stale: [copy], maxAttempts: 3).moved == 0)
            #expect(try await list(client, "t:processing:w2").isEmpty)
            #expect(try await state(client, id) == "training", "w1's attempt is untouched")
            #expect(try await queue.complete(claim, model: TestFit.model, summary: TestFit.summary()))
            #expect(try await state(client, id) == "ready")
        }
    }

    @Test func staleSettlesAndDroppedClaimsLeaveALiveAttemptsEntry() async throws {
        try await queueTests.withQueue { queue, client in
            let id = try await queueTests.enqueue(queue)
            let first = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(try await queue.reconcile(worker: "w1", stale: [id], maxAttempts: 3).moved == 1)
            let second = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(second.attempt == 2)
            // The first attempt's late result and a duplicate claim of the same id must not strip the entry that
            // lets the reaper find the second attempt should w1 die.
            #expect(try await queue.complete(first, model: TestFit.model, summary: TestFit.summary()) == false)
            #expect(try await queue.claim(id, worker: "w1") == nil)
            #expect(try await list(client, "t:processing:w1").contains(id.rawValue))
            try await client.send("DEL", "t:worker:w1")
            try await client.send("SADD", "t:workers", "w1")
            #expect(try await queue.reap(maxAttempts: 3) == 1, "w1 died: its live attempt goes back")
            #expect(try await state(client, id) == "queued")
        }
    }

    @Test func reconciliationLeavesOtherWorkersJobsAndFinishedOnesOut() async throws {
        try await queueTests.withQueue { queue, client in
            let finished = try await queueTests.enqueue(queue)
            let claim = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(try await queue.complete(claim, model: TestFit.model, summary: TestFit.summary()))
            let elsewhere = try await queueTests.enqueue(queue)
            _ = try #require(try await queue.claim(worker: "w2", timeout: .seconds(1)))
            // Both ids appear in w1's list (e.g. left there by a fault): neither goes back to the queue.
            try await client.send("LPUSH", "t:processing:w1", .text(finished.rawValue), .text(elsewhere.rawValue))
            #expect(try await queue.reconcile(worker: "w1", stale: [finished, elsewhere], maxAttempts: 3) == (0, []))
            #expect(try await list(client, "t:processing:w1").isEmpty)
            #expect(try await list(client, "t:jobs").isEmpty)
            #expect(try await state(client, elsewhere) == "training")
        }
    }

    @Test func deletingAModelInTrainingFreesItsJobAndStopsItsWorker() async throws {
        try await queueTests.withQueue { queue, client in
            let id = try await queueTests.enqueue(queue)
            let claim = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(try await ModelStore(client: client, keys: queue.keys).delete(id) == .deleted)
            #expect(try await list(client, "t:processing:w1").isEmpty, "not left for a minute in the worker's list")
            #expect(try await queue.progress(claim, iteration: 5, objective: 0.5) == false, "the worker's next progress write stops it")
            #expect(try await client.send("EXISTS", .text("t:model:\(id)")).integer == 0)
        }
    }

    @Test func aLargeBodyIsStoredWholeThroughChunks() async throws {
        try await queueTests.withQueue { queue, client in
            let id = ModelID.generate()
            let size = JobQueue.uploadChunkBytes * 2 + 12_345
            // Every byte depends on its offset (with a period that is no power of two), so a lost, repeated or
            // reordered chunk, on the way in or a piece on the way out, shows.
            let data = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251 &+ $0 >> 16) })
            try await queue.enqueue(id, rawData: data)
            let stored = try #require(try await queue.jobInput(id)).data
            #expect(stored.count == size)
            #expect(Data(stored) == Data(data.readableBytesView))
            #expect(try await client.send("EXISTS", .text("t:upload:\(id)")).integer == 0, "the upload key became the data key")
            #expect(try await client.send("PTTL", .text("t:data:\(id)")).integer == -1, "and lost the upload's expiry")
            #expect(try await list(client, "t:jobs") == [id.rawValue])
        }
    }

    @Test func withoutTheRequiredReplicasAJobIsRefusedAndNotLeftBehind() async throws {
        try await queueTests.withQueue { queue, client in
            let id = ModelID.generate()
            await #expect(throws: RedisError.self) {
                try await queue.enqueue(id, replicas: 1, ackTimeout: .milliseconds(50))
            }
            do {
                try await queue.enqueue(id, replicas: 1, ackTimeout: .milliseconds(50))
            } catch let error as RedisError {
                #expect(error.isUnavailable, "answered 503, so the client retries")
                #expect(error.message.contains("0 of the 1 replicas"))
            }
            #expect(try await client.send("DBSIZE").integer == 0, "no job runs behind a refused request")
        }
    }

    @Test func aReplicaAcknowledgesAJob() async throws {
        let primary = try RedisTestServer(arguments: ["--repl-diskless-sync-delay", "0"])
        defer { primary.stop() }
        let replica = try RedisTestServer(arguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        defer { replica.stop() }
        let client = RedisClient(configuration: primary.configuration)
        let replicaClient = RedisClient(configuration: replica.configuration)
        let id = ModelID.generate()
        do {
            try await waitUntil("the replica to sync") {
                (try? await replicaClient.send("INFO", "replication"))?.string?.contains("master_link_status:up") == true
            }
            try await JobQueue(client: client, keys: KeySchema(prefix: "t:")).enqueue(id, replicas: 1, ackTimeout: .milliseconds(5000))
        } catch {
            await client.shutdown()
            await replicaClient.shutdown()
            throw error
        }
        #expect(try await replicaClient.send("HGET", .text("t:model:\(id)"), "state").string == "queued", "on the replica when 201 is sent")
        await client.shutdown()
        await replicaClient.shutdown()
    }
}

extension ReconciliationTests {
    @Test func anEnqueueRunTwiceQueuesTheJobOnce() async throws {
        try await queueTests.withQueue { queue, client in
            // What RedisClient's retry on a fresh connection does when the first reply was lost after Redis ran it.
            let id = ModelID.generate()
            for _ in 0..<2 {
                try await queue.enqueue(id)
            }
            #expect(try await list(client, "t:jobs") == [id.rawValue])
        }
    }
}
