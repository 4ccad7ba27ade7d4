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
    ///
    /// A pooled connection may have died while idle (Redis restarted): when `body` fails with a lost connection on a
    /// reused connection, it runs once more on a fresh one. (If the lost command had in fact run, the queue's scripts
    /// make a second run harmless: claims and results are fenced, a duplicate job id is dropped at claim.)
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T) async throws(RedisError) -> T {
        do {
            return try await threadPool.runIfActive { () throws(RedisError) -> T in
                let (connection, reused) = try self.checkout()
                do throws(RedisError) {
                    let result = try body(connection)
                    self.checkin(connection)
                    return result
                } catch where reused && connection.isBroken {
                    let fresh = try RedisConnection(self.configuration)
                    defer { self.checkin(fresh) }
                    return try body(fresh)
                } catch {
                    self.checkin(connection)
                    throw error
                }
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

    /// An idle connection (reused: true) or a new one.
    private func checkout() throws(RedisError) -> (RedisConnection, reused: Bool) {
        if let connection = idle.withLock({ $0.popLast() }) { return (connection, true) }
        return (try RedisConnection(configuration), false)
    }

    private func checkin(_ connection: RedisConnection) {
        guard !connection.isBroken else { return }
        idle.withLock { connections in
            if connections.count < maxIdle { connections.append(connection) }
        }
    }
}
