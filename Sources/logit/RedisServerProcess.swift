import ArgumentParser
import Foundation
import Logging
import LogitRedis
import ServiceLifecycle
import Synchronization

/// A `redis-server` that `logit dev` starts and stops: the project's `redis.conf`, a private data directory, and
/// its own process group, so that Ctrl-C reaches logit, which stops Redis last, after the worker settles.
final class RedisServerProcess: Service, Sendable {
    private let executable: String
    private let arguments: [String]
    private let process = Mutex<ChildProcess?>(nil)
    private let logger: Logger
    private let port: Int

    init(port: Int, password: String?, configFile: String, dataDirectory: String, logger: Logger) throws {
        self.logger = logger
        self.port = port
        let directory = URL(fileURLWithPath: dataDirectory).standardizedFileURL
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard let redisServer = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first(where: FileManager.default.isExecutableFile) else {
            throw ValidationError("redis-server is not installed: run `make setup` (or apt-get install redis-server)")
        }
        var arguments: [String] = []
        if FileManager.default.fileExists(atPath: configFile) {
            arguments.append(URL(fileURLWithPath: configFile).standardizedFileURL.path)
        } else {
            logger.warning("No redis.conf found; starting Redis with built-in settings", metadata: ["looked_for": "\(configFile)"])
            arguments += ["--bind", "127.0.0.1", "--appendonly", "yes"]
        }
        arguments += ["--port", String(port), "--dir", directory.path, "--daemonize", "no"]
        if let password { arguments += ["--requirepass", password] }
        self.executable = redisServer
        self.arguments = arguments
    }

    /// Starts Redis and waits until it answers.
    func start(client: RedisClient) async throws {
        logger.info("Starting redis-server", metadata: ["port": "\(port)"])
        let child = try ChildProcess(executable: executable, arguments: arguments)
        process.withLock { $0 = child }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if await client.ping() { return }
            guard child.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop()
        throw ValidationError("redis-server did not start on port \(port) (is the port taken?)")
    }

    func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    private func stop() {
        guard let child = process.withLock({ $0 }), child.isRunning else { return }
        logger.info("Stopping redis-server")
        child.terminate()
    }
}
