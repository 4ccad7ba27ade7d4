import Foundation
import LogitRedis
import LogitTestSupport
import Testing

/// The built `logit serve` and `logit worker` as separate processes on a fresh redis-server: the service as a user
/// runs it. Stop it with `stop()` (a `defer` right after creating it).
struct BinaryDeployment {
    let redis: RedisTestServer
    let serve: ChildProcess
    let worker: ChildProcess
    /// The API's base URL, `http://127.0.0.1:<free port>`.
    let url: String

    init() throws {
        let binary = try #require(BinaryEndToEndTests.binary, "build the logit executable first: swift build --build-tests")
        redis = try RedisTestServer()
        let port = try RedisTestServer.freePort()
        serve = try ChildProcess(
            executable: binary, arguments: ["serve", "--port", String(port), "--redis-url", redis.url, "--log-level", "warning"])
        worker = try ChildProcess(executable: binary, arguments: ["worker", "--redis-url", redis.url, "--log-level", "warning"])
        url = "http://127.0.0.1:\(port)"
    }

    func stop() {
        serve.terminate()
        worker.terminate()
        redis.stop()
    }
}

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP call to a process under test: the status and the body.
func call(_ method: String, _ url: String, contentType: String? = nil, body: String? = nil) async throws -> (Int, Data) {
    var request = URLRequest(url: URL(string: url)!)
    request.httpMethod = method
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    request.httpBody = body.map { Data($0.utf8) }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
}
