import LogitRedis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesHostPortPasswordAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://:s%40cret@redis.example:6380/2")
        #expect(configuration.endpoint == .tcp(host: "redis.example", port: 6380))
        #expect(configuration.password == "s@cret")
        #expect(configuration.username == nil)
        #expect(configuration.database == 2)
        #expect(!configuration.description.contains("cret"), "credentials never appear in logs")
    }

    @Test func usernameAndPasswordAndDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://app:pw@localhost")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(configuration.username == "app")
        #expect(configuration.password == "pw")
        #expect(configuration.database == 0)
    }

    @Test func redisPasswordOverridesTheURL() throws {
        #expect(try RedisConfiguration(url: "redis://:a@h:1", password: "b").password == "b")
    }

    @Test func unixSocket() throws {
        let configuration = try RedisConfiguration(url: "unix:///run/redis.sock?db=3")
        #expect(configuration.endpoint == .unix(path: "/run/redis.sock"))
        #expect(configuration.database == 3)
    }

    @Test(arguments: ["http://localhost", "redis://h:port", "redis://h:70000", "redis://h/x", "unix://"])
    func rejectsMalformedURLs(url: String) {
        #expect(throws: RedisError.self) { try RedisConfiguration(url: url) }
    }

    @Test func sentinelsAreHostPortPairs() throws {
        var configuration = try RedisConfiguration(url: "redis://:secret@ignored:6379/2")
        try configuration.useSentinels("10.0.0.1:26379, [::1]:26380", masterName: "logit")
        #expect(configuration.sentinels == [.tcp(host: "10.0.0.1", port: 26379), .tcp(host: "::1", port: 26380)])
        #expect(configuration.password == "secret" && configuration.database == 2, "the URL's password and database still apply")
        #expect(configuration.description == "sentinel://10.0.0.1:26379,[::1]:26380/logit?db=2")
    }

    @Test(arguments: ["h", "h:0", "h:x", "h:26379,h"])
    func rejectsMalformedSentinels(list: String) {
        var configuration = RedisConfiguration()
        #expect(throws: RedisError.self) { try configuration.useSentinels(list, masterName: "logit") }
    }

    @Test func sentinelsNeedTheMasterName() {
        var configuration = RedisConfiguration()
        #expect(throws: RedisError.self) { try configuration.useSentinels("h:26379", masterName: nil) }
    }
}
