import Foundation
import LogitAPI
import LogitRedis
import LogitTestSupport
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The failure a production Redis really has: the primary dies (SIGKILL) and Sentinel promotes its replica, while
/// the built `logit serve` and `logit worker` processes train and predict. They must find the new primary by
/// themselves, with no process restarted.
@Suite(.serialized) struct SentinelFailoverTests {
    /// What one run saw.
    struct Report: CustomStringConvertible {
        var accepted = 0
        var acceptedBeforeKill = 0
        var completed = 0
        var lost = 0
        var refused = 0
        var trainingRecovery: Duration = .zero
        var predictionRecovery: Duration = .zero
        var description: String {
            "accepted \(accepted) (\(acceptedBeforeKill) before the kill), completed \(completed), lost \(lost), answered 503 \(refused); "
                + "trainings back \(trainingRecovery) and predictions back \(predictionRecovery) after the kill"
        }
    }

    /// Each answer with the instants its request was sent and answered: recovery is the answer to the first
    /// request sent after the kill that succeeded.
    final class Load: Sendable {
        let accepted = Mutex<[(id: String, sent: ContinuousClock.Instant, answered: ContinuousClock.Instant)]>([])
        let refused = Atomic<Int>(0)
        let predictions = Mutex<[(status: Int, sent: ContinuousClock.Instant, answered: ContinuousClock.Instant)]>([])
        let wrongLabels = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
    }

    @Test func theServiceFollowsAFailoverWithoutARestart() async throws {
        let report = try await failover(replicaAcks: 0)
        print("Sentinel failover, no replica acknowledgement: \(report)")
    }

    @Test func withReplicaAcknowledgementNoAcceptedJobIsLost() async throws {
        let report = try await failover(replicaAcks: 1)
        print("Sentinel failover, --min-replicas-ack 1: \(report)")
        #expect(report.lost == 0, "\(report)")
    }

    func failover(replicaAcks: Int) async throws -> Report {
        let binary = try #require(BinaryEndToEndTests.binary, "build the logit executable first: swift build --build-tests")
        let cluster = try SentinelTestCluster()
        defer { cluster.stop() }
        let port = try RedisTestServer.freePort()
        let redisOptions = ["--redis-sentinels", cluster.sentinelList, "--redis-master-name", SentinelTestCluster.masterName, "--log-level", "error"]
        let serve = try ChildProcess(
            executable: binary,
            arguments: ["serve", "--port", String(port), "--min-replicas-ack", String(replicaAcks), "--replica-ack-timeout-ms", "500"] + redisOptions)
        defer { serve.terminate() }
        let worker = try ChildProcess(executable: binary, arguments: ["worker", "--lease-ms", "3000"] + redisOptions)
        defer { worker.terminate() }
        let base = "http://127.0.0.1:\(port)"
        try await waitUntil("the API to reach the primary", timeout: 30) { (try? await Self.call("GET", "\(base)/readyz").0) == 200 }

        let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
        let (created, body) = try await Self.call("POST", "\(base)/models", body: iris)
        #expect(created == 201)
        let irisID = try #require(Self.decode(TrainingAccepted.self, body), "\(body)").modelID
        try await waitUntil("iris to be ready", timeout: 30) {
            Self.decode(StatusResponse.self, try await Self.call("GET", "\(base)/check_model_status/\(irisID)").1)?.status == "Ready to Use"
        }

        let load = Load()
        var report = Report()
        let killedAt: ContinuousClock.Instant = try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await Self.trainContinuously(base, load) }
            tasks.addTask { try await Self.trainContinuously(base, load) }
            tasks.addTask { try await Self.predictContinuously(base, irisID, load) }
            try await waitUntil("load before the kill", timeout: 30) { load.accepted.withLock { $0.count } >= 5 }
            let oldPrimary = cluster.primary.port
            cluster.primary.kill()
            let killedAt = ContinuousClock.now
            try await waitUntil("the Sentinels to promote the replica", timeout: 30) { cluster.currentPrimaryPort() == cluster.replica.port }
            if replicaAcks > 0 {
                // The promoted replica has no replica of its own, so no job can be acknowledged (503) until the old
                // primary comes back; the Sentinels then make it a replica of the new one.
                let returned = try RedisTestServer(port: oldPrimary, directory: cluster.primary.directory, followsSentinels: true)
                defer { returned.stop() }
                try await Self.waitForRecovery(load, after: killedAt)
            } else {
                try await Self.waitForRecovery(load, after: killedAt)
            }
            load.stop.store(true, ordering: .relaxed)
            try await tasks.waitForAll()
            return killedAt
        }

        let accepted = load.accepted.withLock { $0 }
        report.accepted = accepted.count
        report.acceptedBeforeKill = accepted.filter { $0.sent < killedAt }.count
        report.refused = load.refused.load(ordering: .relaxed)
        report.trainingRecovery = (accepted.filter { $0.sent > killedAt }.map(\.answered).min() ?? killedAt) - killedAt
        report.predictionRecovery =
            (load.predictions.withLock { $0 }.filter { $0.sent > killedAt && $0.status == 200 }.map(\.answered).min() ?? killedAt) - killedAt
        // A job is lost when the new primary never heard of it (404); the others must all complete.
        let deadline = ContinuousClock.now + .seconds(60)
        var pending = Set(accepted.map(\.id))
        while !pending.isEmpty && ContinuousClock.now < deadline {
            for id in pending {
                let (status, answer) = try await Self.call("GET", "\(base)/check_model_status/\(id)")
                let text = Self.decode(StatusResponse.self, answer)?.status
                if status == 404 {
                    report.lost += 1
                    pending.remove(id)
                } else if text == "Ready to Use" {
                    report.completed += 1
                    pending.remove(id)
                } else {
                    #expect(text != "Training Failed", "\(id): \(answer)")
                }
            }
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(pending.isEmpty, "every accepted job that Redis still knows completes: \(pending.count) still pending")
        #expect(report.completed + report.lost == report.accepted)
        #expect(load.wrongLabels.load(ordering: .relaxed) == 0)
        #expect(serve.isRunning && worker.isRunning, "no process restarted")
        return report
    }

    /// Waits until trainings and predictions both succeeded after the kill, and a few more trainings went through.
    static func waitForRecovery(_ load: Load, after kill: ContinuousClock.Instant) async throws {
        try await waitUntil("trainings and predictions to work again after the failover", timeout: 60) {
            load.accepted.withLock { $0.filter { $0.sent > kill }.count } >= 5
                && load.predictions.withLock { $0.contains { $0.sent > kill && $0.status == 200 } }
        }
    }

    static func trainContinuously(_ base: String, _ load: Load) async throws {
        let csv = SyntheticData.csv(rows: 200, features: 4, classes: 2)
        while !load.stop.load(ordering: .relaxed) {
            let sent = ContinuousClock.now
            let (status, body) = try await call("POST", "\(base)/models", body: csv)
            if status == 201, let id = decode(TrainingAccepted.self, body)?.modelID {
                load.accepted.withLock { $0.append((id, sent, ContinuousClock.now)) }
            } else {
                #expect(status == 503 || status == 0, "a training is answered 201 or 503, got \(status): \(body)")
                load.refused.add(1, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    static func predictContinuously(_ base: String, _ id: String, _ load: Load) async throws {
        while !load.stop.load(ordering: .relaxed) {
            let sent = ContinuousClock.now
            let (status, body) = try await call("POST", "\(base)/models/\(id)/predict", body: "6.9,3.1,5.1,2.3\n")
            load.predictions.withLock { $0.append((status, sent, ContinuousClock.now)) }
            #expect(status == 200 || status == 503 || status == 0, "a ready model answers 200 or 503, got \(status): \(body)")
            if status == 200, decode(PredictionResponse.self, body)?.predictions != ["virginica"] { load.wrongLabels.add(1, ordering: .relaxed) }
            if status != 200 { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    /// One HTTP call; status 0 when the API could not be reached or did not answer in 10 s.
    static func call(_ method: String, _ url: String, body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: 10)
        request.httpMethod = method
        if let body {
            request.setValue("text/csv", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return (0, "") }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// An answer's body as its `LogitAPI` type; nil for any other body (a problem document, or no answer).
    static func decode<T: Decodable>(_ type: T.Type, _ body: String) -> T? { try? JSONDecoder().decode(type, from: Data(body.utf8)) }
}
