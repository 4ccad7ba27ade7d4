import Foundation
import HTTPTypes
import LogitAPI
import LogitRedis
import LogitTestSupport
import Testing

/// Real worker processes killed, stopped and paused mid-training, on a real Redis: nothing is lost, nothing is
/// stored twice, every job ends.
@Suite(.serialized) struct WorkerFailureTests {
    static let data = SyntheticData.csv(rows: 3000, features: 10, classes: 3)
    /// A fixed tiny step that never converges: 60,000 iterations, whatever the default solver. Long enough that the
    /// kill lands mid-fit even when this test process is starved by the numeric suites running beside it (20,000
    /// iterations once finished before the kill after the AVX2 kernels made them faster).
    static let slowFit = "?learning_rate=1e-6&tol=1e-300&max_iter=60000"

    func field(_ service: TestService, _ id: String, _ name: String) async throws -> String? {
        try await service.redis.send("HGET", .text("lr:model:\(id)"), .text(name)).string
    }

    func waitUntilMidFit(_ service: TestService, _ id: String) async throws {
        try await waitUntil("the fit of \(id) to report progress", timeout: 60) {
            (try await field(service, id, "progress_iteration")).flatMap(Int.init).map { $0 > 0 } ?? false
        }
    }

    @Test func aWorkerKilledMidTrainingLosesNothingAndTheModelIsStoredOnce() async throws {
        try await TestService.run(worker: false) { service in
            let id = try await service.train(Self.data, query: Self.slowFit)
            let first = try WorkerProcess(redis: service.server)
            try await waitUntilMidFit(service, id)
            first.process.send(SIGKILL)
            #expect(first.process.waitForExit(upTo: 10) == nil, "killed, not exited")

            let second = try WorkerProcess(redis: service.server)
            defer { second.process.terminate() }
            try await waitUntil("the model to be ready after the crash", timeout: 120) { try await field(service, id, "state") == "ready" }
            #expect(try await field(service, id, "attempts") == "2")
            #expect(try await service.redis.send("LLEN", "lr:jobs").integer == 0)
            #expect(try await service.redis.send("EXISTS", .text("lr:data:\(id)")).integer == 0)
        }
    }

    @Test func sigtermMidTrainingHandsTheJobBackAndExitsZero() async throws {
        try await TestService.run(worker: false) { service in
            let id = try await service.train(Self.data, query: Self.slowFit)
            let first = try WorkerProcess(redis: service.server, extra: ["--shutdown-grace", "0.2"])
            try await waitUntilMidFit(service, id)
            first.process.send(SIGTERM)
            #expect(first.process.waitForExit(upTo: 30) == 0)
            #expect(try await field(service, id, "state") == "queued", "handed back")
            #expect(try await field(service, id, "attempts") == "0", "a hand-back is not a failed attempt")
            #expect(try await service.redis.send("LRANGE", "lr:jobs", 0, -1).array?.first?.string == id)

            let second = try WorkerProcess(redis: service.server)
            defer { second.process.terminate() }
            try await waitUntil("the model to be ready", timeout: 120) { try await field(service, id, "state") == "ready" }
            #expect(try await field(service, id, "attempts") == "1")
        }
    }

    @Test func aPausedWorkerThatLostItsLeaseCannotStoreItsResult() async throws {
        try await TestService.run(worker: false) { service in
            let id = try await service.train(Self.data, query: Self.slowFit)
            let paused = try WorkerProcess(redis: service.server)
            defer { paused.process.terminate() }
            try await waitUntilMidFit(service, id)
            paused.process.send(SIGSTOP)

            let other = try WorkerProcess(redis: service.server)
            defer { other.process.terminate() }
            try await waitUntil("another worker to take the job over", timeout: 60) { try await field(service, id, "attempts") == "2" }
            paused.process.send(SIGCONT)  // it wakes up mid-fit, still believing it holds attempt 1
            try await waitUntil("the model to be ready", timeout: 120) { try await field(service, id, "state") == "ready" }
            let finished = try await field(service, id, "finished_at")
            // The woken worker's next progress write is refused: it drops its fit. Give it time to misbehave.
            try await waitUntil("the paused worker's processing list to be empty", timeout: 30) {
                let lists = try await service.redis.send("KEYS", "lr:processing:*").array ?? []
                var total: Int64 = 0
                for list in lists { total += try await service.redis.send("LLEN", .text(list.string ?? "")).integer ?? 0 }
                return total == 0
            }
            #expect(try await field(service, id, "attempts") == "2")
            #expect(try await field(service, id, "finished_at") == finished, "stored once")
        }
    }

    @Test func aJobWhoseWorkersKeepDyingEndsFailedWithTheReason() async throws {
        try await TestService.run(worker: false) { service in
            let id = try await service.train(Self.data, query: Self.slowFit)
            for attempt in 1...2 {
                let worker = try WorkerProcess(redis: service.server, extra: ["--max-attempts", "2"])
                try await waitUntil("attempt \(attempt) to be mid-fit", timeout: 60) {
                    let attempts = try await field(service, id, "attempts")
                    let iteration = try await field(service, id, "progress_iteration").flatMap(Int.init) ?? 0
                    return attempts == String(attempt) && iteration > 0
                }
                worker.process.send(SIGKILL)
                _ = worker.process.waitForExit(upTo: 10)
            }
            let reaper = try WorkerProcess(redis: service.server, extra: ["--max-attempts", "2"])
            defer { reaper.process.terminate() }
            try await waitUntil("the model to fail", timeout: 60) { try await field(service, id, "state") == "failed" }
            #expect(try await field(service, id, "error")?.contains("worker lost 2 times") == true)
            let status = try await service.request(.get, "/check_model_status/\(id)")
            #expect(try service.decode(StatusResponse.self, status.text).status == "Training Failed")
        }
    }
}
