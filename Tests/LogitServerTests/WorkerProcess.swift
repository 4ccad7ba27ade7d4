import Foundation
import LogitRedis
import LogitTestSupport
import Testing

/// A `logit worker` process on a test Redis, with a short lease so that crashes are noticed quickly.
struct WorkerProcess {
    let process: ChildProcess

    init(redis: RedisTestServer, extra: [String] = []) throws {
        let binary = try #require(BinaryEndToEndTests.binary, "build the logit executable first: swift build --build-tests")
        process = try ChildProcess(
            executable: binary,
            arguments: ["worker", "--redis-url", redis.url, "--lease-ms", "1000", "--log-level", "warning"] + extra,
            outputPath: nil)
    }
}
