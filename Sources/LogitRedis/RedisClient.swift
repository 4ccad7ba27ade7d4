import NIOPosix
import Synchronization

/// An async Redis client: a pool of `RedisConnection`s whose blocking calls run on the client's own threads.
///
/// Connections are dialled on demand and reused; a broken one is dropped, so when Redis comes back the next call
/// simply dials again: nothing needs a restart. `shutdown()` must be called once the client is no longer needed.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let threadPool: NIOThreadPool
    private let idle = Mutex<[RedisConnection]>([])
    private let maxIdle: Int

    /// - Parameter threads: how many blocking calls may run at once (a worker's `BLMOVE` holds one for up to its timeout).
    public init(configuration: RedisConfiguration, threads: Int = 4) {
        self.configuration = configuration
        self.maxIdle = threads
        self.threadPool = NIOThreadPool(numberOfThreads: threads)
        threadPool.start()
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
        _ = idle.withLock { $0.removeAll() }
    }

    /// Runs `body` with one connection held for its whole duration (for transactions and multi-step protocols).
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T) async throws(RedisError) -> T {
        do {
            return try await threadPool.runIfActive { () throws(RedisError) -> T in
                let connection = try self.checkout()
                defer { self.checkin(connection) }
                return try body(connection)
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw .connectionFailed("the Redis client is shut down")
        }
    }

    /// Sends one command; a Redis error reply is thrown as `RedisError.serverError`.
    @discardableResult
    public func send(_ arguments: [RedisArgument]) async throws(RedisError) -> RedisReply {
        try await withConnection { (connection) throws(RedisError) in
            let reply = try connection.command(arguments)
            if case .error(let message) = reply { throw .serverError(message) }
            return reply
        }
    }

    @discardableResult
    public func send(_ arguments: RedisArgument...) async throws(RedisError) -> RedisReply {
        try await send(arguments)
    }

    /// Sends commands in one round trip; returns their replies (errors included, not thrown).
    public func pipeline(_ commands: [[RedisArgument]]) async throws(RedisError) -> [RedisReply] {
        try await withConnection { (connection) throws(RedisError) in try connection.pipeline(commands) }
    }

    /// True when a `PING` answers.
    public func ping() async -> Bool {
        (try? await send("PING"))?.string == "PONG"
    }

    private func checkout() throws(RedisError) -> RedisConnection {
        if let connection = idle.withLock({ $0.popLast() }) { return connection }
        return try RedisConnection(configuration)
    }

    private func checkin(_ connection: RedisConnection) {
        guard !connection.isBroken else { return }
        idle.withLock { connections in
            if connections.count < maxIdle { connections.append(connection) }
        }
    }
}
