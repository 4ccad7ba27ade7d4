import Foundation
import LogitAPI
import LogitRedis
import LogitTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the built `logit` executable as a user would: `serve` and `worker` as separate processes on a real Redis,
/// trains iris over HTTP, predicts, then stops both with SIGTERM and expects exit code 0.
@Suite struct BinaryEndToEndTests {
    /// The `logit` binary built next to this test bundle (`swift build --build-tests` builds it).
    static var binary: String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidate = directory.appendingPathComponent("logit").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    @Test func serveAndWorkerTrainIrisOverHTTPAndStopCleanly() async throws {
        let deployment = try BinaryDeployment()
        defer { deployment.stop() }
        let (serve, worker, base) = (deployment.serve, deployment.worker, deployment.url)
        try await waitUntil("the API to answer", timeout: 30) { (try? await call("GET", "\(base)/healthz").0) == 200 }

        let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
        let (created, body) = try await call("POST", "\(base)/models", contentType: "text/csv", body: iris)
        #expect(created == 201)
        let id = try JSONDecoder().decode(TrainingAccepted.self, from: body).modelID
        try await waitUntil("the model to be ready", timeout: 60) {
            let (_, status) = try await call("GET", "\(base)/check_model_status/\(id)")
            return (try? JSONDecoder().decode(StatusResponse.self, from: status))?.status == "Ready to Use"
        }
        let (status, prediction) = try await call("POST", "\(base)/models/\(id)/predict", contentType: "text/csv", body: "6.9,3.1,5.1,2.3\n")
        #expect(status == 200)
        #expect(try JSONDecoder().decode(PredictionResponse.self, from: prediction).predictions == ["virginica"])

        // curl sends `Expect: 100-continue` with bodies over 1 MB and waits for the 100 before sending them.
        let big = FileManager.default.temporaryDirectory.appendingPathComponent("logit-big-\(UUID().uuidString).csv")
        let trace = big.path + ".trace"
        defer {
            try? FileManager.default.removeItem(at: big)
            try? FileManager.default.removeItem(atPath: trace)
        }
        try Data(String(repeating: "6.9,3.1,5.1,2.3\n", count: 80_000).utf8).write(to: big)
        let curl = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: [
                "curl", "-sv", "-o", "/dev/null", "-H", "Content-Type: text/csv", "--data-binary", "@\(big.path)", "\(base)/models/\(id)/predict",
            ],
            outputPath: trace, includingErrors: true)
        #expect(curl.waitForExit(upTo: 60) == 0)
        let log = try String(contentsOfFile: trace, encoding: .utf8)
        #expect(log.contains("HTTP/1.1 100 Continue"), "\(log.suffix(500))")
        #expect(log.contains("HTTP/1.1 200 OK"))

        serve.send(SIGTERM)
        worker.send(SIGTERM)
        #expect(serve.waitForExit(upTo: 30) == 0, "logit serve exits 0 on SIGTERM")
        #expect(worker.waitForExit(upTo: 30) == 0, "logit worker exits 0 on SIGTERM")
    }

    @Test func aWrongRedisPasswordIsAClearStartupError() throws {
        let binary = try #require(Self.binary, "build the logit executable first: swift build --build-tests")
        let redis = try RedisTestServer(arguments: ["--requirepass", "right"])
        defer { redis.stop() }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("logit-auth-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        for command in ["serve", "worker"] {
            let process = try ChildProcess(
                executable: binary,
                arguments: [command, "--redis-url", "redis://:wrong@127.0.0.1:\(redis.port)", "--port", "0"].filter {
                    command == "serve" || ($0 != "--port" && $0 != "0")
                },
                outputPath: output.path, includingErrors: true)
            let code = process.waitForExit(upTo: 30)
            #expect(code != nil && code != 0, "\(command) exits with an error")
            let text = try String(contentsOf: output, encoding: .utf8)
            #expect(text.contains("refused the password") || text.contains("WRONGPASS"), "\(text)")
            #expect(!text.contains("wrong@"), "the password is not printed")
        }
    }

    @Test func theApiAloneReturnsADeadWorkersJobToTheQueue() async throws {
        let binary = try #require(Self.binary, "build the logit executable first: swift build --build-tests")
        let redis = try RedisTestServer()
        defer { redis.stop() }
        let client = RedisClient(configuration: redis.configuration)
        let queue = JobQueue(client: client, keys: KeySchema())
        let id = ModelID.generate()
        try await queue.enqueue(id)
        // A worker takes the job, then dies: its lease (300 ms) expires and no worker is left to reap it.
        try await queue.heartbeat(worker: "ghost", lease: .milliseconds(300))
        _ = try #require(try await queue.claim(worker: "ghost", timeout: .seconds(1)))

        let port = try RedisTestServer.freePort()
        let serve = try ChildProcess(
            executable: binary, arguments: ["serve", "--port", String(port), "--redis-url", redis.url, "--log-level", "error"])
        defer { serve.terminate() }
        try await waitUntil("the API's reaper to put the job back", timeout: 30) {
            try await client.send("HGET", .text("lr:model:\(id)"), "state").string == "queued"
        }
        #expect(try await client.send("LRANGE", "lr:jobs", 0, -1).array?.first?.string == id.rawValue)
        #expect(try await client.send("EXISTS", "lr:processing:ghost").integer == 0)
        await client.shutdown()
    }
}
