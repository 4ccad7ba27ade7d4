import LogitRedis
import LogitTestSupport
import Synchronization
import Testing

/// Whatever goes wrong on the wire, a reply never reaches the wrong caller: each way of calling `RedisClient` meets
/// every fault `FaultProxy` injects, inside the call, and then the next calls on the same client (on its pooled
/// connections) must get exactly their own replies. A call hit by a fault may only return the right replies or
/// throw a `RedisError` that `isUnavailable`.
@Suite(.timeLimit(.minutes(1)))
struct FaultInjectionTests {
    static let commandTimeout: Duration = .seconds(1)
    /// Every fault once; the delay is past `commandTimeout`, so the client times out.
    static let faults: [FaultProxy.Fault] = [
        .loading, .busy, .cutBeforeReply, .cutDuringReply, .cutAfterReply, .splitReply, .delayReply(milliseconds: 1_500),
    ]

    /// Runs `body` with a client that reaches a fresh Redis through a fault proxy, then shuts everything down.
    func withProxy(
        commandTimeout: Duration = Self.commandTimeout, seed: UInt64 = 1, _ body: (FaultProxy, RedisClient) async throws -> Void
    ) async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let proxy = try FaultProxy(upstreamPort: server.port, seed: seed, commandTimeout: commandTimeout)
        defer { proxy.stop() }
        let client = RedisClient(configuration: proxy.configuration, threads: 2)
        do {
            try await body(proxy, client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    // MARK: Each entry point, each fault

    @Test(arguments: faults)
    func send(_ fault: FaultProxy.Fault) async throws {
        try await withProxy { proxy, client in
            try await client.send("PING")  // so that the call below runs on a pooled connection
            proxy.inject(fault, onCommand: "ECHO")
            let token = "send \(fault)"
            let reply = await unlessUnavailable { try await client.send("ECHO", .text(token)) }
            if let reply { #expect(reply == bulk(token)) }
            expectInjected(fault, proxy, answered: reply != nil)
            try await expectInStep(client, after: token)
        }
    }

    /// The second of three commands is hit.
    @Test(arguments: faults)
    func pipeline(_ fault: FaultProxy.Fault) async throws {
        try await withProxy { proxy, client in
            try await client.send("PING")
            proxy.inject(fault, onCommand: "ECHO")
            let token = "pipeline \(fault)"
            let replies = await unlessUnavailable {
                try await client.pipeline([["SET", .text(token), .text(token + " value")], ["ECHO", .text(token)], ["GET", .text(token)]])
            }
            if let replies { #expect(replies == [.status("OK"), bulk(token), bulk(token + " value")]) }
            expectInjected(fault, proxy, answered: replies != nil)
            try await expectInStep(client, after: token)
        }
    }

    /// MULTI, SET, ECHO, GET, EXEC in one pipeline on a held connection; the ECHO (queued) or the EXEC is hit.
    @Test(arguments: faults, ["ECHO", "EXEC"])
    func transactionInOnePipeline(_ fault: FaultProxy.Fault, hitting target: String) async throws {
        try await withProxy { proxy, client in
            try await client.send("PING")
            proxy.inject(fault, onCommand: target)
            let token = "transaction \(fault) at \(target)"
            let commands = Self.transaction(token)
            let replies = await unlessUnavailable {
                try await client.withConnection { (connection) throws(RedisError) in try connection.pipeline(commands) }
            }
            if let replies { #expect(replies == Self.transactionReplies(token)) }
            expectInjected(fault, proxy, answered: replies != nil)
            try await expectInStep(client, after: token)
        }
    }

    /// The same transaction one command at a time: a failure leaves the body with MULTI open on the connection.
    @Test(arguments: faults, ["ECHO", "EXEC"])
    func transactionCommandByCommand(_ fault: FaultProxy.Fault, hitting target: String) async throws {
        try await withProxy { proxy, client in
            try await client.send("PING")
            proxy.inject(fault, onCommand: target)
            let token = "stepwise \(fault) at \(target)"
            let commands = Self.transaction(token)
            let replies = await unlessUnavailable {
                try await client.withConnection { (connection) throws(RedisError) in
                    var replies: [RedisReply] = []
                    for command in commands { replies.append(try connection.command(command)) }
                    return replies
                }
            }
            if let replies { #expect(replies == Self.transactionReplies(token)) }
            expectInjected(fault, proxy, answered: replies != nil)
            try await expectInStep(client, after: token)
        }
    }

    static let setAndReturn = "redis.call('SET', KEYS[1], ARGV[1]) return ARGV[1]"

    /// Scripts as JobQueue runs them: the second of three in a pipeline (an EVALSHA between two EVALs), then one alone.
    @Test(arguments: faults)
    func scripts(_ fault: FaultProxy.Fault) async throws {
        try await withProxy { proxy, client in
            let sha = try #require(try await client.send("SCRIPT", "LOAD", .text(Self.setAndReturn)).string)
            proxy.inject(fault, onCommand: "EVALSHA")
            let tokens = (1...3).map { "script \(fault) \($0)" }
            let replies = await unlessUnavailable {
                try await client.pipeline([
                    ["EVAL", .text(Self.setAndReturn), 1, .text(tokens[0] + " key"), .text(tokens[0])],
                    ["EVALSHA", .text(sha), 1, .text(tokens[1] + " key"), .text(tokens[1])],
                    ["EVAL", .text(Self.setAndReturn), 1, .text(tokens[2] + " key"), .text(tokens[2])],
                ])
            }
            if let replies {
                #expect(replies == tokens.map(bulk))
                #expect(try await client.pipeline(tokens.map { ["GET", .text($0 + " key")] }) == tokens.map(bulk))
            }
            expectInjected(fault, proxy, answered: replies != nil)
            try await expectInStep(client, after: tokens[1])

            proxy.inject(fault, onCommand: "EVAL")
            let alone = "script \(fault) alone"
            let reply = await unlessUnavailable {
                try await client.send("EVAL", .text(Self.setAndReturn), 1, .text(alone + " key"), .text(alone))
            }
            if let reply { #expect(reply == bulk(alone)) }
            try await expectInStep(client, after: alone)
        }
    }

    // MARK: Many calls, random faults

    /// The ways of calling that the property test picks from.
    enum Call: CaseIterable {
        case send, pipeline, transaction, transactionCommandByCommand, script

        /// How many ECHOs (tokens) a call sends: one for `send` and `script`, else 1 to 5.
        func commandCount(using random: inout SeededGenerator) -> Int {
            self == .send || self == .script ? 1 : Int.random(in: 1...5, using: &random)
        }

        func perform(_ tokens: [String], on client: RedisClient) async throws(RedisError) -> [RedisReply] {
            switch self {
            case .send:
                return [try await client.send("ECHO", .text(tokens[0]))]
            case .pipeline:
                return try await client.pipeline(tokens.map { ["ECHO", .text($0)] })
            case .transaction:
                let commands: [[RedisArgument]] = [["MULTI"]] + tokens.map { ["ECHO", .text($0)] } + [["EXEC"]]
                return try await client.withConnection { (connection) throws(RedisError) in try connection.pipeline(commands) }
            case .transactionCommandByCommand:
                let commands: [[RedisArgument]] = [["MULTI"]] + tokens.map { ["ECHO", .text($0)] } + [["EXEC"]]
                return try await client.withConnection { (connection) throws(RedisError) in
                    var replies: [RedisReply] = []
                    for command in commands { replies.append(try connection.command(command)) }
                    return replies
                }
            case .script:
                return [try await client.send("EVAL", "return ARGV[1]", 0, .text(tokens[0]))]
            }
        }

        func expectedReplies(_ tokens: [String]) -> [RedisReply] {
            switch self {
            case .send, .script: [bulk(tokens[0])]
            case .pipeline: tokens.map(bulk)
            case .transaction, .transactionCommandByCommand:
                [.status("OK")] + tokens.map { _ in .status("QUEUED") } + [.array(tokens.map(bulk))]
            }
        }
    }

    /// Thousands of seeded random calls with random faults (probability 0: the proxy alone must be transparent).
    @Test(arguments: [0.0, 0.1])
    func everyReplyReachesItsCaller(faultProbability: Double) async throws {
        try await withProxy(commandTimeout: .milliseconds(200), seed: 2024) { proxy, client in
            var random = SeededGenerator(seed: 7)
            proxy.injectRandomFaults(
                probability: faultProbability, among: [.loading, .busy, .cutBeforeReply, .cutDuringReply, .cutAfterReply, .splitReply])
            let iterations = 3_000
            var succeeded = 0
            var unavailable = 0
            var misattributed = 0
            var transientAsReply = 0
            var otherErrors = 0
            for iteration in 0..<iterations {
                // Sparingly, since each one costs a command timeout.
                if faultProbability > 0 && iteration % 300 == 150 { proxy.inject(.delayReply(milliseconds: 300)) }
                let call = Call.allCases.randomElement(using: &random)!
                let tokens = (0..<call.commandCount(using: &random)).map { "\(iteration).\($0)" }
                do throws(RedisError) {
                    let replies = try await call.perform(tokens, on: client)
                    if replies == call.expectedReplies(tokens) {
                        succeeded += 1
                    } else if replies.contains(where: Self.isTransientError) {
                        transientAsReply += 1
                        if transientAsReply <= 3 {
                            Issue.record("call \(iteration) (\(call)): a transient error came back as a reply: \(replies)")
                        }
                    } else {
                        misattributed += 1
                        if misattributed <= 3 { Issue.record("call \(iteration) (\(call)) sent \(tokens), got \(replies)") }
                    }
                } catch  where error.isUnavailable {
                    unavailable += 1
                } catch {
                    otherErrors += 1
                    if otherErrors <= 3 { Issue.record("call \(iteration) (\(call)) failed, but not as unavailable: \(error)") }
                }
            }
            let summary: Comment = """
                \(succeeded) right, \(unavailable) unavailable, \(misattributed) with others' replies, \(transientAsReply) with a \
                transient error as a reply, \(otherErrors) other errors; \(proxy.faultsInjected) faults in \(proxy.commandsHandled) commands
                """
            #expect(misattributed == 0, summary)
            #expect(transientAsReply == 0, summary)
            #expect(otherErrors == 0, summary)
            if faultProbability == 0 {
                #expect(succeeded == iterations, summary)
                #expect(proxy.faultsInjected == 0)
            } else {
                #expect(succeeded > iterations / 2, summary)
                #expect(proxy.faultsInjected > 300, summary)
            }
        }
    }

    // MARK: The proxy itself

    /// With no fault, every kind of RESP2 reply comes through unchanged, blocking commands included.
    @Test func theProxyRelaysRepliesUnchanged() async throws {
        try await withProxy(commandTimeout: .seconds(3)) { proxy, client in
            let seen = Mutex<[String]>([])
            proxy.onCommand { arguments in seen.withLock { $0.append(arguments[0]) } }
            #expect(try await client.send("GET", "missing") == .null)  // $-1
            #expect(try await client.send("BLPOP", "empty", "0.05") == .null)  // *-1
            #expect(try await client.send("INCR", "counter") == .integer(1))
            let nested = try await client.send("EVAL", "return {1, {2, 'x', false}, 'y'}", 0)
            #expect(nested == .array([.integer(1), .array([.integer(2), bulk("x"), .null]), bulk("y")]))
            let unknown = try await client.pipeline([["NO-SUCH-COMMAND"]]).first
            if case .error(let text)? = unknown {
                #expect(text.hasPrefix("ERR"))
            } else {
                Issue.record("not an error reply: \(String(describing: unknown))")
            }
            let binary: [UInt8] = [0, 13, 10, 255, 36, 42, 13]  // CR, LF, `$`, `*` inside a bulk string
            let large = [UInt8](repeating: 120, count: 3 << 20)
            let stored = try await client.pipeline([
                ["SET", "binary", .bytes(binary)], ["SET", "large", .bytes(large)], ["GET", "binary"], ["GET", "large"],
            ])
            #expect(stored == [.status("OK"), .status("OK"), .string(binary), .string(large)])

            // A blocking command: BLMOVE times out after its second with nothing; with an item waiting, it takes it.
            #expect(try await client.send("BLMOVE", "jobs", "taken", "RIGHT", "LEFT", "1") == .null)
            try await client.send("LPUSH", "jobs", "job-1")
            #expect(try await client.send("BLMOVE", "jobs", "taken", "RIGHT", "LEFT", "1") == bulk("job-1"))

            #expect(seen.withLock { $0 }.filter { $0 == "BLMOVE" }.count == 2)
            #expect(proxy.faultsInjected == 0)
            #expect(proxy.commandsHandled == seen.withLock { $0.count })
        }
    }

    /// What each fault does, seen from raw connections.
    @Test func faultsDoWhatTheySay() async throws {
        try await withProxy { proxy, _ in
            let connection = try RedisConnection(proxy.configuration)
            proxy.inject(.loading, count: 2, onCommand: "get")
            #expect(try connection.command(["ECHO", "a"]) == bulk("a"))
            for _ in 0..<2 {
                let error = #expect(throws: RedisError.self) { try connection.command(["GET", "k"]) }
                #expect(error?.isUnavailable == true && error?.message.contains("LOADING") == true)
            }
            #expect(try connection.command(["GET", "k"]) == .null, "two GETs only")
            #expect(proxy.faultsInjected == 2)

            proxy.inject(.splitReply)
            #expect(try connection.command(["ECHO", "split"]) == bulk("split"))
            proxy.inject(.delayReply(milliseconds: 50))
            #expect(try connection.command(["ECHO", "late"]) == bulk("late"), "a delay within the timeout")

            proxy.inject(.cutAfterReply)
            #expect(try connection.command(["SET", "k", "after"]) == .status("OK"))
            #expect(throws: RedisError.self) { try connection.command(["PING"]) }

            for (fault, value) in [(FaultProxy.Fault.cutBeforeReply, "before"), (.cutDuringReply, "during")] {
                let fresh = try RedisConnection(proxy.configuration)
                proxy.inject(fault)
                #expect(throws: RedisError.self) { try fresh.command(["SET", "k", .text(value)]) }
                #expect(try RedisConnection(proxy.configuration).command(["GET", "k"]) == bulk(value), "the cut command ran")
            }

            // Inside MULTI, a refusal makes the EXEC fail, as Redis does: nothing of the transaction is written.
            let transaction = try RedisConnection(proxy.configuration)
            proxy.inject(.busy, onCommand: "SET")
            #expect(throws: RedisError.self) { try transaction.pipeline([["MULTI"], ["SET", "k", "refused"], ["INCR", "n"], ["EXEC"]]) }
            let check = try RedisConnection(proxy.configuration)
            #expect(try check.pipeline([["GET", "k"], ["GET", "n"]]) == [bulk("during"), .null])
        }
    }

    /// The same seed gives the same faults.
    @Test func randomFaultsReplay() async throws {
        var counts: [Int] = []
        for _ in 0..<2 {
            try await withProxy(seed: 42) { proxy, client in
                proxy.injectRandomFaults(probability: 0.3, among: [.splitReply])
                for index in 0..<100 {
                    let reply = try await client.send("ECHO", .text("\(index)"))
                    #expect(reply == bulk("\(index)"))
                }
                counts.append(proxy.faultsInjected)
            }
        }
        #expect(counts[0] == counts[1] && (10...60).contains(counts[0]), "\(counts)")
    }

    // MARK: Helpers

    static func transaction(_ token: String) -> [[RedisArgument]] {
        [["MULTI"], ["SET", .text(token), .text(token + " value")], ["ECHO", .text(token)], ["GET", .text(token)], ["EXEC"]]
    }

    static func transactionReplies(_ token: String) -> [RedisReply] {
        [.status("OK")] + Array(repeating: .status("QUEUED"), count: 3) + [.array([.status("OK"), bulk(token), bulk(token + " value")])]
    }

    static func isTransientError(_ reply: RedisReply) -> Bool {
        guard case .error(let text) = reply else { return false }
        return text.contains("LOADING") || text.contains("BUSY")
    }

    /// The value of a call hit by a fault, or nil when it failed as unavailable (the only failure allowed).
    func unlessUnavailable<T>(_ call: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async -> T? {
        do {
            return try await call()
        } catch let error as RedisError where error.isUnavailable {
            return nil
        } catch {
            Issue.record("neither the right replies nor an unavailable error: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The fault was used once; a split reply must still be read.
    func expectInjected(_ fault: FaultProxy.Fault, _ proxy: FaultProxy, answered: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(proxy.faultsInjected == 1, sourceLocation: sourceLocation)
        if fault == .splitReply { #expect(answered, "a reply written byte by byte must still arrive", sourceLocation: sourceLocation) }
    }

    /// The calls after a fault, one at a time and then two at once (both pooled connections), each get exactly their
    /// own replies; the first wrong one stops the test.
    func expectInStep(_ client: RedisClient, after tag: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for round in 1...3 {
            let token = "\(tag), then \(round)"
            let echoed = try await client.send("ECHO", .text(token))
            try #require(echoed == bulk(token), "send after \(tag)", sourceLocation: sourceLocation)
            let piped = try await client.pipeline([
                ["SET", .text(token), .text(token + " value")], ["ECHO", .text(token + "!")], ["GET", .text(token)],
            ])
            try #require(
                piped == [.status("OK"), bulk(token + "!"), bulk(token + " value")], "pipeline after \(tag)", sourceLocation: sourceLocation)
            let transaction = try await client.withConnection { (connection) throws(RedisError) in
                try connection.pipeline([["MULTI"], ["ECHO", .text(token + "?")], ["EXEC"]])
            }
            try #require(
                transaction == [.status("OK"), .status("QUEUED"), .array([bulk(token + "?")])], "transaction after \(tag)",
                sourceLocation: sourceLocation)
        }
        async let first = client.send("ECHO", .text(tag + ", first of two"))
        async let second = client.send("ECHO", .text(tag + ", second of two"))
        let both = try await [first, second]
        try #require(
            both == [bulk(tag + ", first of two"), bulk(tag + ", second of two")], "concurrent calls after \(tag)",
            sourceLocation: sourceLocation)
    }
}

private func bulk(_ text: String) -> RedisReply { .string(Array(text.utf8)) }

extension FaultInjectionTests {
    /// A command whose reply is late reached a live server and may have run: it is not sent again, whereas one whose
    /// pooled connection had died is (the retry that makes a Redis restart invisible to callers).
    @Test func aTimedOutCommandIsNotRetriedButADeadPooledConnectionIs() async throws {
        try await withProxy { proxy, client in
            try await client.send("PING")
            proxy.inject(.delayReply(milliseconds: 1_500), onCommand: "INCR")
            let late = await unlessUnavailable { try await client.send("INCR", "counter") }
            #expect(late == nil, "the call reports the timeout")
            try await waitUntil("the late INCR to have run", timeout: 5) { try await client.send("GET", "counter").string == "1" }
            proxy.inject(.cutBeforeReply, onCommand: "INCR")
            #expect(try await client.send("INCR", "counter").integer == 3, "cut after it ran: run again on a fresh connection")
        }
    }
}
