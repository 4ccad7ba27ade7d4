import CHiredis
import Foundation
import NIOCore

/// One argument of a Redis command: text or raw bytes (binary-safe either way).
public enum RedisArgument: Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case text(String)
    case bytes([UInt8])
    /// Bytes sent straight from a buffer, without a copy on our side (large training bodies).
    case buffer(ByteBuffer)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .text(String(value)) }
    public init(_ value: some BinaryInteger) { self = .text(String(value)) }
    public init(_ value: Double) { self = .text(String(value)) }

    /// Runs `body` with the argument's bytes, valid only for its duration.
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(RedisError) -> T) throws(RedisError) -> T {
        do {
            switch self {
            case .text(var text): return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
            case .bytes(let bytes): return try bytes.withUnsafeBytes { try body($0) }
            case .buffer(let buffer): return try buffer.withUnsafeReadableBytes { try body($0) }
            }
        } catch let error as RedisError {
            throw error
        } catch {
            preconditionFailure("only RedisError is thrown here")
        }
    }
}

/// A synchronous connection to Redis that owns one hiredis `redisContext`.
///
/// This is the project's only boundary to a C library (our own C kernels are in CLogitKernels). Every call blocks,
/// so `RedisClient` runs them on its own thread pool, never on an event loop or the cooperative pool. Commands go
/// through `redisAppendCommandArgv` (binary-safe, no format strings); every reply is checked for NULL, copied into a
/// `RedisReply`, and freed.
///
/// **Invariant: replies never go out of step.** After any call, successful or not, either every reply that was
/// sent for has been read, or the connection is marked broken and is never used again. The code holds it by
/// construction, not by care at each call site:
/// - `pipeline` (and so `command`) reads the reply of every command it sent before it throws anything; an error
///   reply that must become a thrown error (`LOADING`, `BUSY`, `NOAUTH`, `READONLY`, ...) is remembered and thrown
///   only after the last reply is read;
/// - an I/O or protocol error (`ctx->err` set, which hiredis documents as leaving the context unusable), a read
///   timeout included, marks the connection broken, whatever was still unread;
/// - `isReusable` is true only with no reply outstanding, no `MULTI` left open and nothing broken, and it is the
///   only test `RedisClient` applies before a connection goes back to its pool: anything else is closed.
public final class RedisConnection: @unchecked Sendable {
    // @unchecked Sendable: `context` and the state below are only touched by the one thread that holds this
    // connection; `RedisClient` lends a connection to a single pool thread at a time (checkout/checkin under a mutex).
    private let context: UnsafeMutablePointer<redisContext>
    public private(set) var isBroken = false
    /// Commands sent whose replies have not been read yet.
    private var outstandingReplies = 0
    /// True between an accepted `MULTI` and its `EXEC` or `DISCARD`.
    private var inTransaction = false
    /// Set when Redis answered `READONLY`: this address is no longer the primary (a failover happened).
    public private(set) var sawReadOnlyReplica = false

    /// True when the connection may serve another caller: every reply read, no transaction open, not broken.
    public var isReusable: Bool { !isBroken && outstandingReplies == 0 && !inTransaction && !isSubscribed }

    public init(_ configuration: RedisConfiguration) throws(RedisError) {
        let timeout = Self.timeval(configuration.connectTimeout)
        let connected: UnsafeMutablePointer<redisContext>?
        switch configuration.endpoint {
        case .tcp(let host, let port): connected = redisConnectWithTimeout(host, Int32(port), timeout)
        case .unix(let path): connected = redisConnectUnixWithTimeout(path, timeout)
        }
        guard let connected else { throw .connectionFailed("cannot allocate a Redis connection") }
        // From here on, `deinit` frees the context, also when this initializer throws.
        context = connected
        if connected.pointee.err != 0 {
            throw .connectionFailed("cannot connect to Redis at \(configuration): \(Self.errorText(connected))")
        }
        // hiredis writes with plain write(): on a connection the server closed, that raises SIGPIPE, whose default
        // action kills the process (seen in the fault tests). Ignore it once; the write then fails with EPIPE.
        Self.ignoreBrokenPipes
        // Not inherited by the processes we spawn (redis-server in `logit dev` and the tests).
        _ = fcntl(connected.pointee.fd, F_SETFD, FD_CLOEXEC)
        _ = redisSetTimeout(connected, Self.timeval(configuration.commandTimeout))
        if case .tcp = configuration.endpoint { _ = redisEnableKeepAlive(connected) }

        if let password = configuration.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = configuration.username { auth.append(.text(username)) }
            auth.append(.text(password))
            if case .error(let message) = try command(auth) {
                throw .authenticationFailed("Redis at \(configuration) refused the password: \(message)")
            }
        }
        if configuration.database != 0, case .error(let message) = try command(["SELECT", RedisArgument(configuration.database)]) {
            throw .invalidConfiguration("Redis at \(configuration) refused database \(configuration.database): \(message)")
        }
    }

    deinit { redisFree(context) }

    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Set when a reply did not arrive within the command timeout: the command may still run, so it is not retried.
    public private(set) var timedOut = false

    /// Error replies that mean "not now" rather than "never": answered like an unreachable Redis (503, retry).
    static let transientErrorPrefixes = ["LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN"]

    /// Sends one command and waits for its reply. A Redis error reply is returned as `.error`, not thrown, except
    /// those that `pipeline` throws.
    public func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisReply {
        try pipeline([arguments])[0]
    }

    /// Sends several commands in one write and reads their replies in order (one round trip).
    ///
    /// Error replies come back as `.error`, except: `NOAUTH`/`WRONGPASS` (thrown as an authentication failure), the
    /// transient ones (`LOADING`, `BUSY`, ...: thrown as temporarily unavailable) and `READONLY` (the address is now a
    /// replica: thrown as temporarily unavailable, and the connection is not reused). Each is thrown only once every
    /// reply of the pipeline has been read, so the connection stays in step.
    public func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisReply] {
        guard !isBroken else { throw .connectionLost("the Redis connection is closed") }
        for arguments in commands { try append(arguments) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        var deferred: RedisError? = nil
        for arguments in commands {
            let reply = try readReply()
            if deferred == nil { deferred = thrownError(for: reply) }
            trackTransaction(arguments, reply)
            replies.append(reply)
        }
        if let deferred { throw deferred }
        return replies
    }

    /// Reads one reply; a failed read breaks the connection (hiredis leaves its context unusable).
    private func readReply() throws(RedisError) -> RedisReply {
        var raw: UnsafeMutableRawPointer? = nil
        let status = redisGetReply(context, &raw)
        guard status == REDIS_OK, let raw else {
            isBroken = true
            // hiredis 0.14 reports a read past SO_RCVTIMEO as an I/O error with strerror(EAGAIN) as its text.
            if context.pointee.err == REDIS_ERR_IO && Self.errorText(context) == String(cString: strerror(EAGAIN)) {
                timedOut = true
                throw .connectionLost("Redis did not answer within the command timeout")
            }
            throw .connectionLost("lost the connection to Redis: \(Self.errorText(context))")
        }
        defer { freeReplyObject(raw) }
        outstandingReplies -= 1
        return Self.decode(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// The error a reply must be thrown as, if any (see `pipeline`).
    private func thrownError(for reply: RedisReply) -> RedisError? {
        guard case .error(var message) = reply else { return nil }
        // A transaction that Redis discarded because a queued command met one of these errors is that error too.
        if let cause = message.range(of: "EXECABORT Transaction discarded because of: "), cause.lowerBound == message.startIndex {
            message = String(message[cause.upperBound...])
        }
        if message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") {
            return .authenticationFailed("Redis needs a password: set it in REDIS_URL or REDIS_PASSWORD (\(message))")
        }
        if Self.transientErrorPrefixes.contains(where: { message.hasPrefix($0) }) {
            // Redis is up but cannot serve yet (e.g. still loading its AOF after a restart): unavailable, retry later.
            return .temporarilyUnavailable("Redis cannot serve yet: \(message)")
        }
        if message.hasPrefix("READONLY") {
            // A replica now sits at this address (it was demoted in a failover): find the primary again.
            sawReadOnlyReplica = true
            isBroken = true
            return .temporarilyUnavailable("Redis at this address is now a read-only replica: \(message)")
        }
        return nil
    }

    /// Follows MULTI/EXEC/DISCARD, so that a connection is never pooled with a transaction open.
    private func trackTransaction(_ arguments: [RedisArgument], _ reply: RedisReply) {
        guard case .text(let name) = arguments.first, name.count <= 7 else { return }
        switch name.uppercased() {
        case "MULTI": if reply == .status("OK") { inTransaction = true }
        case "EXEC", "DISCARD": inTransaction = false
        default: break
        }
    }

    private func append(_ arguments: [RedisArgument]) throws(RedisError) {
        var pointers = [UnsafePointer<CChar>?]()
        var lengths = [Int]()
        pointers.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        // Each argument's bytes are pinned (a closure each, nested) while hiredis copies them into its output buffer:
        // no copy of ours, which matters for a training body of hundreds of megabytes.
        func pin(_ index: Int) throws(RedisError) -> Int32 {
            guard index < arguments.count else {
                return pointers.withUnsafeMutableBufferPointer { argv in
                    lengths.withUnsafeBufferPointer { argvlen in
                        redisAppendCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                    }
                }
            }
            return try arguments[index].withBytes { (bytes) throws(RedisError) -> Int32 in
                pointers.append(
                    (bytes.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start))  // hiredis copies 0 bytes from it
                        .assumingMemoryBound(to: CChar.self))
                lengths.append(bytes.count)
                return try pin(index + 1)
            }
        }
        guard try pin(0) == REDIS_OK else {
            isBroken = true
            throw .connectionLost("cannot send a command to Redis: \(Self.errorText(context))")
        }
        outstandingReplies += 1
    }

    // MARK: A subscription (a connection of its own, never pooled: `ModelEvents`)

    /// True once `subscribe` succeeded: the connection then only receives messages.
    public private(set) var isSubscribed = false

    /// Subscribes to `channel`. From then on the connection only receives messages (`nextMessage`) and is not
    /// reusable.
    public func subscribe(_ channel: String) throws(RedisError) {
        let reply = try command(["SUBSCRIBE", .text(channel)])
        guard reply.array?.first?.string == "subscribe" else {
            isBroken = true
            throw .connectionLost("Redis refused SUBSCRIBE \(channel): \(reply)")
        }
        isSubscribed = true
    }

    /// The payload of the next message on the subscribed channel, waiting at most `timeout` for one (nil when none
    /// came): the replies hiredis has already read first, then one read when the socket is readable, so that the
    /// wait is bounded without a read timeout (after which hiredis would leave the context unusable).
    public func nextMessage(within timeout: Duration) throws(RedisError) -> [UInt8]? {
        guard isSubscribed, !isBroken else { throw .connectionLost("the subscription is closed") }
        var raw: UnsafeMutableRawPointer? = nil
        guard redisReaderGetReply(context.pointee.reader, &raw) == REDIS_OK else { return try breakSubscription() }
        if raw == nil {
            var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(timeout.wholeMilliseconds))
            guard ready > 0 else { return nil }  // nothing yet (or EINTR): the caller asks again
            guard redisBufferRead(context) == REDIS_OK else { return try breakSubscription() }
            guard redisReaderGetReply(context.pointee.reader, &raw) == REDIS_OK else { return try breakSubscription() }
            guard raw != nil else { return nil }  // part of a message so far
        }
        defer { freeReplyObject(raw) }
        let reply = Self.decode(raw!.assumingMemoryBound(to: redisReply.self))
        guard let parts = reply.array, parts.count == 3, parts[0].string == "message", case .string(let payload) = parts[2] else { return nil }
        return payload
    }

    private func breakSubscription() throws(RedisError) -> [UInt8]? {
        isBroken = true
        throw .connectionLost("lost the subscription to Redis: \(Self.errorText(context))")
    }

    static func decode(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .string(value.str.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(value.len))) } ?? [])
        case REDIS_REPLY_STATUS:
            return .status(value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(value.len)), as: UTF8.self) } ?? "")
        case REDIS_REPLY_ERROR:
            return .error(value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(value.len)), as: UTF8.self) } ?? "")
        case REDIS_REPLY_INTEGER:
            return .integer(value.integer)
        case REDIS_REPLY_ARRAY:
            guard let elements = value.element else { return .array([]) }
            return .array((0..<Int(value.elements)).map { index in elements[index].map(decode) ?? .null })
        default:
            return .null
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "connection closed" : String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
