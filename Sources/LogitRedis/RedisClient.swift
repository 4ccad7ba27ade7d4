import NIOPosix
import Synchronization

/// An async Redis client: a pool of `RedisConnection`s whose blocking calls run on the client's own threads.
///
/// Connections are dialled on demand and reused; one goes back to the pool only when `RedisConnection.isReusable`
/// says every reply it was sent for has been read (anything else is closed), so a reply can never reach the wrong
/// caller. When a connection breaks, the pool is emptied and, with Sentinel, the primary is asked for again: the next
/// call dials whatever serves now, and nothing needs a restart. `shutdown()` must be called once the client is no
/// longer needed.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let threadPool: NIOThreadPool
    private let pool = Mutex(Pool())
    private let maxIdle: Int

    /// Idle connections, and where they lead. `generation` grows whenever the pool is emptied, so that a connection
    /// checked out before then is closed instead of coming back.
    private struct Pool {
        var idle: [RedisConnection] = []
        var generation = 0
        /// With Sentinel: the primary the Sentinels named last, until a connection to it fails.
        var primary: RedisConfiguration.Endpoint? = nil
    }

    /// - Parameter threads: how many blocking calls may run at once (a worker's `BLMOVE` holds one for up to its timeout).
    public init(configuration: RedisConfiguration, threads: Int = 4) {
        self.configuration = configuration
        self.maxIdle = threads
        self.threadPool = NIOThreadPool(numberOfThreads: threads)
        threadPool.start()
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
        pool.withLock { $0.idle.removeAll() }
    }

    /// Runs `body` with one connection held for its whole duration (for transactions and multi-step protocols).
    ///
    /// A pooled connection may have died while idle (Redis restarted): when `body` fails with a lost connection on a
    /// reused connection, it runs once more on a fresh one. (If the lost command had in fact run, the queue's scripts
    /// make a second run harmless: claims and results are fenced, `enqueue` queues a job once.) A command that timed
    /// out is not retried: it reached a live server and may still run.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T) async throws(RedisError) -> T {
        do {
            return try await threadPool.runIfActive { () throws(RedisError) -> T in
                let (connection, generation, reused) = try self.checkout()
                do throws(RedisError) {
                    defer { self.checkin(connection, generation: generation) }
                    return try body(connection)
                } catch  where reused && connection.isBroken && !connection.timedOut && !connection.sawReadOnlyReplica {
                    do throws(RedisError) {
                        let (fresh, generation, _) = try self.checkout(fresh: true)
                        defer { self.checkin(fresh, generation: generation) }
                        return try body(fresh)
                    } catch let retryError where retryError.isUnavailable {
                        // Redis is unreachable now; the first failure says more (its command may have run).
                        throw error
                    }
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

    /// An idle connection (reused: true) or a new one, with the pool generation it belongs to.
    /// A new connection to the primary, outside the pool, for the caller to keep (a subscription). It blocks: call
    /// it from a thread of the caller's own.
    public func dedicatedConnection() throws(RedisError) -> RedisConnection {
        try checkout(fresh: true).0
    }

    private func checkout(fresh: Bool = false) throws(RedisError) -> (RedisConnection, generation: Int, reused: Bool) {
        let (pooled, generation, primary) = pool.withLock { pool in
            (fresh ? nil : pool.idle.popLast(), pool.generation, pool.primary)
        }
        if let pooled { return (pooled, generation, true) }
        do {
            return (try dial(primary: primary, generation: generation), generation, false)
        } catch {
            if error.isUnavailable { forgetConnections(since: generation) }
            throw error
        }
    }

    /// A new connection: to the configured address, or to the primary that the Sentinels name (checked with ROLE).
    private func dial(primary known: RedisConfiguration.Endpoint?, generation: Int) throws(RedisError) -> RedisConnection {
        guard configuration.usesSentinel else { return try RedisConnection(configuration) }
        let primary: RedisConfiguration.Endpoint
        if let known { primary = known } else { primary = try SentinelResolver(configuration: configuration).primary() }
        var direct = configuration
        direct.endpoint = primary
        let connection = try RedisConnection(direct)
        guard try connection.command(["ROLE"]).array?.first?.string == "master" else {
            throw .temporarilyUnavailable("Redis at \(primary) is not the primary (yet): waiting for the Sentinels' failover")
        }
        pool.withLock { pool in
            if pool.generation == generation { pool.primary = primary }
        }
        return connection
    }

    private func checkin(_ connection: RedisConnection, generation: Int) {
        guard connection.isReusable else {
            // Broken, out of step, or a replica now: close it, and with it every idle connection to the same place.
            if connection.isBroken { forgetConnections(since: generation) }
            return
        }
        pool.withLock { pool in
            if pool.generation == generation && pool.idle.count < maxIdle { pool.idle.append(connection) }
        }
    }

    /// Empties the pool and forgets the primary, once per failure (later failures of the same generation find it done).
    private func forgetConnections(since generation: Int) {
        pool.withLock { pool in
            guard pool.generation == generation else { return }
            pool.generation += 1
            pool.idle.removeAll()
            pool.primary = nil
        }
    }
}
