import Dispatch
import Foundation
import LogitRedis
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy in front of a real `redis-server` that breaks replies on purpose, for fault-injection tests.
///
/// Each client connection gets its own thread and its own connection to Redis. The proxy handles the client's
/// commands one at a time, in order: it forwards a command and reads its one reply back, or answers it itself. A
/// fault picked for a command (queued with `inject`, or drawn by `injectRandomFaults`) decides what the client sees:
/// - `loading`, `busy`: a `-LOADING` or `-BUSY` error reply; the command never reaches Redis. Inside MULTI the
///   proxy keeps Redis's rules: the transaction's EXEC then fails with EXECABORT, and a refused EXEC still ends it.
/// - `cutBeforeReply`: the command runs, then the connection is closed before any byte of its reply.
/// - `cutDuringReply`: the command runs, about half of its reply is written, then the connection is closed.
/// - `cutAfterReply`: the command runs, its whole reply is written, then the connection is closed.
/// - `splitReply`: the reply is written one byte per write.
/// - `delayReply(milliseconds:)`: the reply is held back that long (past the client's command timeout, it times
///   out); if the client hangs up meanwhile, the connection is closed and the rest of its pipeline never runs.
/// A closed connection is closed on both sides. `stop()` must be called at the end of a test.
public final class FaultProxy: Sendable {
    public enum Fault: Sendable, Equatable {
        case loading
        case busy
        case cutBeforeReply
        case cutDuringReply
        case cutAfterReply
        case splitReply
        case delayReply(milliseconds: Int)
    }

    public let port: Int
    private let upstreamPort: Int
    private let commandTimeout: Duration
    private let listener: Int32
    /// Written once by `stop()` and never read, so that every thread waiting in `poll` wakes up.
    private let stopSignal: (read: Int32, write: Int32)
    private let sockets = Mutex(OpenSockets())
    private let schedule: Mutex<FaultSchedule>
    private let hook = Mutex<(@Sendable ([String]) -> Void)?>(nil)
    private let handled = Atomic<Int>(0)
    private let injected = Atomic<Int>(0)
    /// The accepting thread and every session thread, so that `stop()` can wait for them to end.
    private let threads = DispatchGroup()

    /// Listens on a free loopback port and relays to the Redis at `upstreamPort`. `seed` drives
    /// `injectRandomFaults`; `commandTimeout` goes into `configuration`.
    public init(upstreamPort: Int, seed: UInt64 = 0, commandTimeout: Duration = .seconds(2)) throws {
        self.upstreamPort = upstreamPort
        self.commandTimeout = commandTimeout
        schedule = Mutex(FaultSchedule(generator: SeededGenerator(seed: seed)))
        let listening = try Self.openListener()
        listener = listening.fd
        port = listening.port
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            close(listener)
            throw FaultProxyError(message: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        stopSignal = (ends[0], ends[1])
        keepFromChildren(ends[0])
        keepFromChildren(ends[1])
        threads.enter()
        Thread { [self] in
            acceptConnections()
            threads.leave()
        }.start()
    }

    /// A client configuration that goes through the proxy.
    public var configuration: RedisConfiguration {
        RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port), commandTimeout: commandTimeout)
    }

    /// Commands taken up so far (counted before they are handled), on all connections.
    public var commandsHandled: Int { handled.load(ordering: .sequentiallyConsistent) }
    /// Commands that got a fault so far.
    public var faultsInjected: Int { injected.load(ordering: .sequentiallyConsistent) }

    /// Gives `fault` to the next `count` commands (on any connection, in the order the proxy handles them) whose
    /// name is `name` (case-insensitive; nil: any command). Queued injections are used in the order they were made
    /// and take precedence over random faults.
    public func inject(_ fault: Fault, count: Int = 1, onCommand name: String? = nil) {
        guard count > 0 else { return }
        schedule.withLock { $0.queue.append(.init(fault: fault, remaining: count, command: name?.uppercased())) }
    }

    /// Gives each later command a fault with `probability`, picked uniformly from `among` (list a fault twice to
    /// make it twice as likely). The draws come from the seeded generator, so a run replays exactly.
    public func injectRandomFaults(probability: Double, among faults: [Fault]) {
        schedule.withLock { $0.random = faults.isEmpty ? nil : (probability, faults) }
    }

    /// Drops queued injections and stops random faults.
    public func clearFaults() {
        schedule.withLock { schedule in
            schedule.queue.removeAll()
            schedule.random = nil
        }
    }

    /// Runs `hook` with each command's arguments, on the proxy's thread, before the command is handled (nil: none).
    public func onCommand(_ hook: (@Sendable ([String]) -> Void)?) {
        self.hook.withLock { $0 = hook }
    }

    /// Closes the listener and every connection, and waits (up to 10 s) for every thread to end. Idempotent.
    public func stop() {
        let first = sockets.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.stopping = true
            // Under the lock: a session untracks a socket before closing it, so each number here is still ours.
            for fd in state.open { shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = Glibc.write(stopSignal.write, &byte, 1)
        // A thread still running after that may still use these descriptors: leak them rather than close under it.
        guard threads.wait(timeout: .now() + 10) == .success else { return }
        close(listener)
        close(stopSignal.read)
        close(stopSignal.write)
    }

    // MARK: Connections

    private func acceptConnections() {
        while waitUntilReadable(listener) {
            let client = accept(listener, nil, nil)
            if client >= 0 {
                keepFromChildren(client)
                startSession(client)
            } else if errno != EINTR && errno != ECONNABORTED {
                return
            }
        }
    }

    /// Blocks until `fd` is readable; false once the proxy is stopping.
    private func waitUntilReadable(_ fd: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopSignal.read, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 2, -1) < 0 && errno == EINTR {}
        return fds[1].revents == 0
    }

    private func startSession(_ client: Int32) {
        guard track(client) else {
            close(client)
            return
        }
        threads.enter()
        Thread { [self] in
            serve(client)
            threads.leave()
        }.start()
    }

    /// Relays one client connection until either side closes, a fault cuts it, or the proxy stops.
    private func serve(_ client: Int32) {
        defer { untrackAndClose(client) }
        guard let upstream = connectUpstream() else { return }
        defer { untrackAndClose(upstream) }
        // Nagle would hold back the second of two small writes (replies to a pipeline) until an ACK comes.
        setNoDelay(client)
        setNoDelay(upstream)
        var session = Session(client: client, fromClient: RESPReader(fd: client), fromRedis: RESPReader(fd: upstream))
        do {
            while true {
                let command = try session.fromClient.command()
                try handle(command, in: &session)
            }
        } catch {
            // Either side closed or broke the protocol, a fault cut the connection, or the proxy stopped: the
            // deferred closes end both connections, which is all there is to do.
        }
    }

    private func connectUpstream() -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        // Tracked before connecting, so that `stop()` can interrupt the connect too.
        guard track(fd) else {
            close(fd)
            return nil
        }
        var address = loopbackAddress(port: upstreamPort)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            untrackAndClose(fd)
            return nil
        }
        return fd
    }

    /// Records an open socket for `stop()`; false (the caller closes it) when the proxy is already stopping.
    private func track(_ fd: Int32) -> Bool {
        sockets.withLock { state in
            guard !state.stopping else { return false }
            state.open.insert(fd)
            return true
        }
    }

    private func untrackAndClose(_ fd: Int32) {
        _ = sockets.withLock { $0.open.remove(fd) }
        // FIN before close: with unread bytes in the receive buffer, close alone sends a reset, and the peer may then
        // lose data that was already sent to it (the whole reply of `cutAfterReply`).
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    // MARK: Commands

    private func handle(_ command: RESPCommand, in session: inout Session) throws(SessionEnded) {
        hook.withLock { $0 }?(command.arguments)
        let name = (command.arguments.first ?? "").uppercased()
        let fault = nextFault(for: name)
        switch fault {
        case .loading: try refuse(name, with: Self.loadingError, in: &session)
        case .busy: try refuse(name, with: Self.busyError, in: &session)
        default:
            let reply: [UInt8]
            if name == "EXEC" && session.transactionRefused {
                // Redis fails the EXEC of a transaction one of whose commands it refused, and drops the transaction.
                try discard(in: &session)
                reply = Array("-EXECABORT Transaction discarded because of previous errors.\r\n".utf8)
            } else {
                try sendAll(command.raw[...], to: session.fromRedis.fd)
                reply = try session.fromRedis.reply()
                track(name, reply, in: &session)
            }
            try deliver(reply, to: session.client, fault)
        }
    }

    static let loadingError = "LOADING Redis is loading the dataset in memory"
    static let busyError = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

    /// Answers `error` in Redis's place, without forwarding, but keeping Redis's transaction rules so that Redis ends
    /// up in a state it could really be in: a refused command inside MULTI makes the EXEC fail, and a refused EXEC
    /// (or DISCARD) still ends the transaction, as Redis 7 does when it refuses an EXEC with BUSY.
    private func refuse(_ name: String, with error: String, in session: inout Session) throws(SessionEnded) {
        var reply = "-\(error)\r\n"
        if session.inTransaction {
            switch name {
            case "EXEC":
                try discard(in: &session)
                reply = "-EXECABORT Transaction discarded because of: \(error)\r\n"
            case "DISCARD":
                try discard(in: &session)
            default:
                session.transactionRefused = true
            }
        }
        try sendAll(Array(reply.utf8)[...], to: session.client)
    }

    /// Ends the open transaction in the client's place.
    private func discard(in session: inout Session) throws(SessionEnded) {
        try sendAll(Array("*1\r\n$7\r\nDISCARD\r\n".utf8)[...], to: session.fromRedis.fd)
        _ = try session.fromRedis.reply()
        session.inTransaction = false
        session.transactionRefused = false
    }

    /// Follows MULTI/EXEC/DISCARD as Redis applied them.
    private func track(_ name: String, _ reply: [UInt8], in session: inout Session) {
        switch name {
        case "MULTI":
            if reply.first == UInt8(ascii: "+") { session.inTransaction = true }
        case "EXEC", "DISCARD":
            session.inTransaction = false
            session.transactionRefused = false
        default:
            break
        }
    }

    /// The fault for a command named `name` (upper-cased), if any; counts the command and the fault.
    private func nextFault(for name: String) -> Fault? {
        handled.add(1, ordering: .sequentiallyConsistent)
        let fault = schedule.withLock { $0.next(for: name) }
        if fault != nil { injected.add(1, ordering: .sequentiallyConsistent) }
        return fault
    }

    /// Writes a reply from Redis to the client as `fault` says; throws to end the session after a cut.
    private func deliver(_ reply: [UInt8], to client: Int32, _ fault: Fault?) throws(SessionEnded) {
        switch fault {
        case .cutBeforeReply:
            throw SessionEnded()
        case .cutDuringReply:
            // At least one byte and never all (a reply is at least 3 bytes).
            try sendAll(reply.prefix(max(1, reply.count / 2)), to: client)
            throw SessionEnded()
        case .cutAfterReply:
            try sendAll(reply[...], to: client)
            throw SessionEnded()
        case .splitReply:
            for index in reply.indices { try sendAll(reply[index...index], to: client) }
        case .delayReply(let milliseconds):
            guard hold(milliseconds, client: client) else { throw SessionEnded() }
            try sendAll(reply[...], to: client)
        case .loading, .busy, nil:
            try sendAll(reply[...], to: client)
        }
    }

    /// Waits `milliseconds`; false if the client hung up meanwhile (it timed out: nobody reads the reply, and the
    /// rest of its pipeline must not run, nor draw faults) or the proxy is stopping.
    private func hold(_ milliseconds: Int, client: Int32) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(milliseconds, 0)) * 1_000_000
        var fds = [
            pollfd(fd: stopSignal.read, events: Int16(POLLIN), revents: 0),
            pollfd(fd: client, events: pollReadHangUp, revents: 0),
        ]
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return true }
            let ready = poll(&fds, 2, Int32((deadline - now + 999_999) / 1_000_000))
            if ready > 0 || (ready < 0 && errno != EINTR) { return false }
        }
    }

    private static func openListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FaultProxyError(message: "cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard listening else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw FaultProxyError(message: "cannot listen on 127.0.0.1: \(reason)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

public struct FaultProxyError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// SplitMix64 (Steele, Lea & Flood): a tiny seeded generator, so that fault schedules and tests replay exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}

/// Which commands get a fault: the first matching queued injection, else a random draw.
private struct FaultSchedule {
    struct Injection {
        let fault: FaultProxy.Fault
        var remaining: Int
        /// Upper-cased command name; nil: any command.
        let command: String?
    }

    var queue: [Injection] = []
    var random: (probability: Double, among: [FaultProxy.Fault])? = nil
    var generator: SeededGenerator

    /// The fault for a command named `name` (upper-cased), if any; uses it up.
    mutating func next(for name: String) -> FaultProxy.Fault? {
        if let index = queue.firstIndex(where: { $0.command == nil || $0.command == name }) {
            let fault = queue[index].fault
            queue[index].remaining -= 1
            if queue[index].remaining == 0 { queue.remove(at: index) }
            return fault
        }
        guard let random, generator.nextUnit() < random.probability else { return nil }
        return random.among[Int(generator.next() % UInt64(random.among.count))]
    }
}

/// The sockets `stop()` must shut down, and whether it has.
private struct OpenSockets {
    var open: Set<Int32> = []
    var stopping = false
}

/// Why a session ends: either side closed or broke the protocol, a fault cut it, or the proxy stopped. Nobody is
/// told: the session closes both connections, as a real network failure would.
private struct SessionEnded: Error {}

/// One client connection, its connection to Redis, and the transaction state Redis holds for it.
private struct Session {
    let client: Int32
    var fromClient: RESPReader
    var fromRedis: RESPReader
    /// Between an accepted MULTI and its EXEC or DISCARD.
    var inTransaction = false
    /// A command of the open transaction was refused by a fault: its EXEC must fail.
    var transactionRefused = false
}

private struct RESPCommand {
    /// Exactly the bytes the client sent, to forward unchanged.
    let raw: [UInt8]
    let arguments: [String]
}

/// Reads RESP values off a blocking socket and returns them as the exact bytes received.
private struct RESPReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// The first byte not consumed yet.
    private var start = 0

    init(fd: Int32) { self.fd = fd }

    /// One command: an array of bulk strings, the only form hiredis sends.
    mutating func command() throws(SessionEnded) -> RESPCommand {
        discardConsumed()
        let begin = start
        guard let count = try header("*"), count > 0 else { throw SessionEnded() }
        var arguments: [String] = []
        for _ in 0..<count {
            guard let length = try header("$") else { throw SessionEnded() }
            arguments.append(String(decoding: try payload(length), as: UTF8.self))
        }
        return RESPCommand(raw: Array(buffer[begin..<start]), arguments: arguments)
    }

    /// One complete RESP2 reply, nested arrays included.
    mutating func reply() throws(SessionEnded) -> [UInt8] {
        discardConsumed()
        let begin = start
        try skipValue()
        return Array(buffer[begin..<start])
    }

    private mutating func skipValue() throws(SessionEnded) {
        let line = try nextLine()
        switch line.first {
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"):
            return
        case UInt8(ascii: "$"):
            if let length = try size(line) { _ = try payload(length) }
        case UInt8(ascii: "*"):
            for _ in 0..<(try size(line) ?? 0) { try skipValue() }
        default:
            throw SessionEnded()
        }
    }

    /// The size in a `type` line (`*3`, `$5`); nil for a null (`-1`).
    private mutating func header(_ type: Character) throws(SessionEnded) -> Int? {
        let line = try nextLine()
        guard line.first == type.asciiValue else { throw SessionEnded() }
        return try size(line)
    }

    private func size(_ line: ArraySlice<UInt8>) throws(SessionEnded) -> Int? {
        guard let size = Int(String(decoding: line.dropFirst(), as: UTF8.self)), size >= -1 else { throw SessionEnded() }
        return size < 0 ? nil : size
    }

    /// A bulk string's bytes, and its CRLF.
    private mutating func payload(_ length: Int) throws(SessionEnded) -> ArraySlice<UInt8> {
        while buffer.count - start < length + 2 { try fill() }
        let end = start + length
        guard buffer[end] == 13, buffer[end + 1] == 10 else { throw SessionEnded() }
        defer { start = end + 2 }
        return buffer[start..<end]
    }

    /// The next line, without its CRLF.
    private mutating func nextLine() throws(SessionEnded) -> ArraySlice<UInt8> {
        var searched = start
        while true {
            if let cr = buffer[searched...].firstIndex(of: 13), cr + 1 < buffer.count {
                guard buffer[cr + 1] == 10 else { throw SessionEnded() }
                defer { start = cr + 2 }
                return buffer[start..<cr]
            }
            searched = max(start, buffer.count - 1)  // a CR may be the last byte so far
            try fill()
        }
    }

    private mutating func fill() throws(SessionEnded) {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { return buffer.append(contentsOf: chunk[..<count]) }
            if count == 0 || errno != EINTR { throw SessionEnded() }
        }
    }

    /// Drops the bytes of values already returned; only between values, so a value's indices stay valid.
    private mutating func discardConsumed() {
        buffer.removeFirst(start)
        start = 0
    }
}

/// Writes every byte. MSG_NOSIGNAL: the peer may be gone (a client that timed out), and SIGPIPE would kill the tests.
private func sendAll(_ bytes: ArraySlice<UInt8>, to fd: Int32) throws(SessionEnded) {
    var rest = bytes
    while !rest.isEmpty {
        let written = rest.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written > 0 {
            rest = rest.dropFirst(written)
        } else if written == 0 || errno != EINTR {
            throw SessionEnded()
        }
    }
}

/// Close-on-exec: tests spawn redis-servers concurrently, and a child holding a copy of a socket would keep it open.
/// (Swift's Glibc module has no `accept4` or `pipe2`; and `untrackAndClose` shuts a socket down anyway, which ends
/// the connection even if a copy leaked in the instant before this call.)
private func keepFromChildren(_ fd: Int32) {
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
}

/// POLLRDHUP (the peer closed its end), which Swift's Glibc module hides behind _GNU_SOURCE; Linux's value.
private let pollReadHangUp: Int16 = 0x2000

private func setNoDelay(_ fd: Int32) {
    var on: Int32 = 1
    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
}

private func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return address
}
