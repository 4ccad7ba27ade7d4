import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Synchronization
import Testing

/// The fault a user hit: Redis restarted from an AOF large enough that it answers `-LOADING` for a while, under a
/// running API and worker with predictions and trainings in flight. Before the connection kept its replies in
/// step, this stranded jobs for good, failed valid ones, and answered 404 (and other models' answers) for ready
/// models.
@Suite(.serialized) struct RedisRestartTests {
    static let aof = ["--appendonly", "yes", "--appendfsync", "everysec", "--aof-use-rdb-preamble", "no"]
    static let irisRow = "6.9,3.1,5.1,2.3\n"

    /// What the load saw, counted across tasks.
    final class Observations: Sendable {
        let predictionStatuses = Mutex<[Int: Int]>([:])
        let wrongLabels = Atomic<Int>(0)
        let accepted = Mutex<[String]>([])
        let refused = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)

        var acceptedCount: Int { accepted.withLock { $0.count } }
    }

    @Test func aRestartWithARealLoadingWindowLosesNothingAndNeverAnswers404() async throws {
        let first = try RedisTestServer(arguments: Self.aof)
        defer { first.stop() }
        // About 400,000 small keys in the AOF, written as commands: replaying them takes about a second here.
        let filler = RedisClient(configuration: first.configuration)
        for _ in 0..<4 {
            try await filler.send(
                "EVAL", "for i = 1, tonumber(ARGV[1]) do redis.call('SET', 'filler:' .. ARGV[2] .. i, ARGV[3]) end", 0, 100_000,
                .text(UUID().uuidString), .text(String(repeating: "v", count: 100)))
        }
        await filler.shutdown()

        let seen = Observations()
        let restarted = Mutex<RedisTestServer?>(nil)
        let loadingTime = Mutex<Duration>(.zero)
        defer { restarted.withLock { $0?.stop() } }
        try await TestService.run(server: first) { service in
            let iris = try await service.train(String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self))
            try await service.waitForStatus(iris, .ready)
            try await withThrowingTaskGroup(of: Void.self) { load in
                load.addTask { try await Self.predictContinuously(service, iris, seen) }
                load.addTask { try await Self.trainContinuously(service, seen) }
                try await waitUntil("load before the restart", timeout: 30) { seen.acceptedCount >= 3 }

                first.stop(keepingData: true)
                let server = try await onOwnThread {
                    try RedisTestServer(port: first.port, directory: first.directory, arguments: Self.aof, waitingForData: false)
                }
                restarted.withLock { $0 = server }
                let window = try await Self.loadingWindow(server)
                loadingTime.withLock { $0 = window }
                #expect(window >= .milliseconds(500), "the AOF must load for at least half a second to test anything (it took \(window))")

                let acceptedBeforeRecovery = seen.acceptedCount
                try await waitUntil("trainings accepted after the restart", timeout: 30) { seen.acceptedCount >= acceptedBeforeRecovery + 10 }
                seen.stop.store(true, ordering: .relaxed)
                try await load.waitForAll()
            }

            let accepted = seen.accepted.withLock { $0 }
            try await waitUntil("every accepted job to be trained", timeout: 60) {
                let states = try await service.redis.pipeline(accepted.map { ["HGET", .text("lr:model:\($0)"), "state"] })
                return states.allSatisfy { $0.string == "ready" || $0.string == "failed" }
            }
            let states = try await service.redis.pipeline(accepted.map { ["HGET", .text("lr:model:\($0)"), "state"] })
            #expect(states.allSatisfy { $0.string == "ready" }, "every accepted job is ready, none failed: \(states)")
            let storedCount = try await service.redis.send("HGET", "lr:stats", "ready").integer
            #expect(storedCount == Int64(accepted.count + 1), "each stored exactly once: \(storedCount ?? -1) stored, \(accepted.count + 1) accepted")
            #expect(try await service.redis.send("LLEN", "lr:jobs").integer == 0)
            for list in try await service.redis.send("KEYS", "lr:processing:*").array ?? [] {
                #expect(try await service.redis.send("LLEN", .text(list.string ?? "")).integer == 0, "nothing stranded in \(list)")
            }
            let statuses = seen.predictionStatuses.withLock { $0 }
            print(
                "Redis restart: LOADING for \(loadingTime.withLock { $0 }), \(accepted.count) trainings accepted, \(seen.refused.load(ordering: .relaxed)) answered 503; predictions by status \(statuses)"
            )
            #expect(Set(statuses.keys).isSubset(of: [200, 503]), "a ready model answered only 200 or 503: \(statuses)")
            #expect(seen.wrongLabels.load(ordering: .relaxed) == 0)
            #expect(statuses[200, default: 0] > 0)
        }
    }

    /// How long the restarted server answered LOADING, measured with its own connection.
    static func loadingWindow(_ server: RedisTestServer) async throws -> Duration {
        try await onOwnThread {
            let started = ContinuousClock.now
            let deadline = started + .seconds(60)
            while ContinuousClock.now < deadline {
                if let connection = try? RedisConnection(server.configuration), (try? connection.command(["PING"])) == .status("PONG") {
                    return ContinuousClock.now - started
                }
                usleep(2_000)
            }
            throw RedisTestServerError(message: "Redis did not finish loading within 60 s")
        }
    }

    static func predictContinuously(_ service: TestService, _ id: String, _ seen: Observations) async throws {
        while !seen.stop.load(ordering: .relaxed) {
            let answer = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: irisRow)
            seen.predictionStatuses.withLock { $0[answer.status.code, default: 0] += 1 }
            if answer.status == .ok, (try? service.decode(PredictionResponse.self, answer.text))?.predictions != ["virginica"] {
                seen.wrongLabels.add(1, ordering: .relaxed)
            }
        }
    }

    static func trainContinuously(_ service: TestService, _ seen: Observations) async throws {
        while !seen.stop.load(ordering: .relaxed) {
            let answer = try await service.request(.post, "/models", contentType: "text/csv", body: "1,a\n2,b\n3,a\n4,b\n")
            if answer.status == .created, let id = try? service.decode(TrainingAccepted.self, answer.text).modelID {
                seen.accepted.withLock { $0.append(id) }
            } else {
                #expect(answer.status == .serviceUnavailable, "a training is answered 201 or 503: \(answer.status) \(answer.text)")
                seen.refused.add(1, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
