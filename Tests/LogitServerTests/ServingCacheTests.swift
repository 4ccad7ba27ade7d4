import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What fast serving relies on: a ready model served from the cache with no Redis round trip, dropped on every
/// replica when it is deleted, and served while Redis is down; `?wait=` held until the model changes.
@Suite struct ServingCacheTests {
    let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
    let flower = "6.9,3.1,5.1,2.3\n"

    /// Two `logit serve` processes and a worker on one Redis: a model deleted through one API stops being served by
    /// the other, which had it cached. Its cache has no expiry, so only the change feed (pub/sub) can tell it; the
    /// deadline is a safety net, not a speed claim.
    @Test func aDeletionThroughOneReplicaReachesTheOther() async throws {
        let deployment = try BinaryDeployment()
        defer { deployment.stop() }
        let binary = try #require(BinaryEndToEndTests.binary)
        let port = try RedisTestServer.freePort()
        let second = try ChildProcess(
            executable: binary, arguments: ["serve", "--port", String(port), "--redis-url", deployment.redis.url, "--log-level", "warning"])
        defer { second.terminate() }
        let (one, other) = (deployment.url, "http://127.0.0.1:\(port)")
        for base in [one, other] {
            try await waitUntil("the API at \(base)", timeout: 30) { (try? await call("GET", "\(base)/readyz").0) == 200 }
        }
        let (_, created) = try await call("POST", "\(one)/models", contentType: "text/csv", body: iris)
        let id = try JSONDecoder().decode(TrainingAccepted.self, from: created).modelID
        try await waitUntil("the model to be ready", timeout: 60) {
            let (_, status) = try await call("GET", "\(other)/check_model_status/\(id)?wait=5")
            return (try? JSONDecoder().decode(StatusResponse.self, from: status))?.status == "Ready to Use"
        }
        #expect(try await call("POST", "\(other)/models/\(id)/predict", contentType: "text/csv", body: flower).0 == 200)  // now cached there

        #expect(try await call("DELETE", "\(one)/models/\(id)").0 == 204)
        try await waitUntil("the other replica to stop serving it", timeout: 30) {
            try await call("POST", "\(other)/models/\(id)/predict", contentType: "text/csv", body: flower).0 == 404
        }
    }

    /// While Redis is down, a cached ready model keeps predicting; what needs Redis answers 503.
    @Test func aCachedModelIsServedWhileRedisIsDown() async throws {
        try await TestService.run { service in
            let id = try await service.train(iris)
            try await service.waitForStatus(id, .ready)
            let path = APIPath.filled(APIPath.predict, id: id)
            #expect(try await service.request(.post, path, contentType: "text/csv", body: flower).status == .ok)
            service.server.kill()
            let during = try await service.request(.post, path, contentType: "text/csv", body: flower)
            #expect(during.status == .ok, "\(during.text)")
            #expect(try service.decode(PredictionResponse.self, during.text).predictions == ["virginica"])
            #expect(try await service.request(.get, APIPath.filled(APIPath.checkStatus, id: id)).status == .serviceUnavailable)
        }
    }

    /// `?wait=` holds a status request until the state changes (here: a worker claims the job), and answers at once
    /// for a model that is ready; a model that does not change is answered when the time is up.
    @Test func waitHoldsTheStatusUntilTheStateChanges() async throws {
        try await TestService.run(worker: false) { service in
            let id = try await service.train(iris)
            let statusPath = APIPath.filled(APIPath.checkStatus, id: id)

            let started = ContinuousClock.now
            let unchanged = try await service.request(.get, statusPath + "?wait=0.3")
            #expect(try service.decode(StatusResponse.self, unchanged.text).state == .queued)
            #expect(ContinuousClock.now - started >= .milliseconds(300), "held for the whole wait")

            // The held request arrives while the model is queued or (if it is slow to arrive) training: a claim, then
            // a store, changes the state either way, and it must come back at the change, not at its 30 s timeout.
            let heldSince = ContinuousClock.now
            async let held = service.request(.get, statusPath + "?wait=30")
            let queue = JobQueue(client: service.redis, keys: KeySchema())
            try await queue.heartbeat(worker: "w1", lease: .seconds(30))
            let claim = try #require(try await queue.claim(worker: "w1", timeout: .seconds(5)))
            #expect(try await queue.complete(claim, model: TestFit.model, summary: TestFit.summary()))
            let changed = try await held
            #expect([ModelState.training, .ready].contains(try service.decode(StatusResponse.self, changed.text).state))
            #expect(ContinuousClock.now - heldSince < .seconds(20), "woken by the change, not by the 30 s timeout")

            #expect(try await service.request(.get, statusPath + "?wait=abc").status == .badRequest)
            #expect(try await service.request(.get, statusPath + "?wait=61").status == .badRequest)
        }
    }
}
