import LogitRedis
import LogitTestSupport
import Testing

/// `RedisClient` against replicas and Sentinels, on real processes.
@Suite(.serialized) struct SentinelClientTests {
    @Test func aWriteToAReplicaIsUnavailableNotAServerError() async throws {
        let primary = try RedisTestServer()
        defer { primary.stop() }
        let replica = try RedisTestServer(arguments: ["--replicaof", "127.0.0.1", String(primary.port)])
        defer { replica.stop() }
        // What a client whose primary was demoted meets: READONLY. It is a 503 (retry), and the connection is closed.
        let client = RedisClient(configuration: replica.configuration, threads: 1)
        await #expect(throws: RedisError.self) { try await client.send("SET", "k", "v") }
        do {
            try await client.send("SET", "k", "v")
        } catch {
            #expect(error.isUnavailable && error.message.contains("READONLY"), "\(error)")
        }
        #expect(try await client.send("PING").string == "PONG")
        await client.shutdown()
    }

    @Test func aManualFailoverIsFollowed() async throws {
        let cluster = try SentinelTestCluster()
        defer { cluster.stop() }
        let client = RedisClient(configuration: cluster.configuration, threads: 2)
        let promoted = RedisClient(configuration: cluster.replica.configuration)
        let demoted = RedisClient(configuration: cluster.primary.configuration)
        do {
            try await client.send("SET", "before", "1")
            // A manual failover: the old primary lives on, as a replica.
            let sentinel = RedisClient(configuration: RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: cluster.sentinelPorts[0])))
            try await sentinel.send("SENTINEL", "FAILOVER", .text(SentinelTestCluster.masterName))
            await sentinel.shutdown()
            try await waitUntil("the Sentinels to name the replica", timeout: 30) { cluster.currentPrimaryPort() == cluster.replica.port }
            try await waitUntil("the old primary to be demoted", timeout: 30) {
                (try? await demoted.send("ROLE"))?.array?.first?.string == "slave"
            }
            try await waitUntil("writes to work again", timeout: 30) {
                do {
                    try await client.send("SET", "after", "1")
                    return true
                } catch let error as RedisError {
                    #expect(error.isUnavailable, "a failover is 503, not a server error: \(error)")
                    return false
                }
            }
            #expect(try await promoted.send("GET", "after").string == "1", "written to the new primary")
            #expect(try await promoted.send("GET", "before").string == "1")
        } catch {
            for each in [client, promoted, demoted] { await each.shutdown() }
            throw error
        }
        for each in [client, promoted, demoted] { await each.shutdown() }
    }
}
