import Foundation
import LogitRedis

/// A primary, a replica and three Redis Sentinels watching them, all real processes on free loopback ports, for
/// failover tests. `stop()` stops them all and removes their directories.
public final class SentinelTestCluster: Sendable {
    public static let masterName = "logit"
    public let primary: RedisTestServer
    public let replica: RedisTestServer
    public let sentinelPorts: [Int]
    private let sentinels: [ChildProcess]
    private let directory: URL

    /// `--redis-sentinels` for the service.
    public var sentinelList: String { sentinelPorts.map { "127.0.0.1:\($0)" }.joined(separator: ",") }

    /// How a client of the service finds the primary.
    public var configuration: RedisConfiguration {
        var configuration = RedisConfiguration()
        try! configuration.useSentinels(sentinelList, masterName: Self.masterName)
        return configuration
    }

    /// Starts everything and returns once every Sentinel sees the primary, the replica and the two other Sentinels.
    ///
    /// A server is judged down after 3 s without answering. With 1 s, a full parallel run on 2 cores once lost
    /// every key on the surviving server (acknowledged jobs, and a model ready long before the kill): the pattern of
    /// the Sentinels failing back, on a promoted replica starved of CPU, to the old primary, which restarts empty here
    /// (no persistence), and of the replica then resynchronizing from it.
    public init() throws {
        primary = try RedisTestServer(arguments: ["--repl-diskless-sync-delay", "0"], followsSentinels: true)
        replica = try RedisTestServer(
            arguments: ["--replicaof", "127.0.0.1", String(primary.port), "--repl-diskless-sync-delay", "0"], followsSentinels: true)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("logit-sentinels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [Int] = []
        var processes: [ChildProcess] = []
        for index in 0..<3 {
            let port = try RedisTestServer.freePort()
            let file = directory.appendingPathComponent("sentinel-\(index).conf")
            try """
            port \(port)
            bind 127.0.0.1
            protected-mode no
            dir \(directory.path)
            logfile \(directory.appendingPathComponent("sentinel-\(index).log").path)
            sentinel monitor \(Self.masterName) 127.0.0.1 \(primary.port) 2
            sentinel down-after-milliseconds \(Self.masterName) 3000
            sentinel failover-timeout \(Self.masterName) 5000
            sentinel parallel-syncs \(Self.masterName) 1

            """.write(to: file, atomically: true, encoding: .utf8)
            processes.append(try ChildProcess(executable: try RedisTestServer.which("redis-server"), arguments: [file.path, "--sentinel"]))
            ports.append(port)
        }
        sentinelPorts = ports
        sentinels = processes
        do {
            try waitUntilSynchronous("the Sentinels to see the replica and each other", seconds: 30) {
                ports.allSatisfy { port in
                    guard let connection = try? RedisConnection(RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))),
                        let fields = try? connection.command(["SENTINEL", "master", .text(Self.masterName)]).array
                    else { return false }
                    let pairs = Dictionary(
                        stride(from: 0, to: fields.count - 1, by: 2).compactMap { index in
                            fields[index].string.map { ($0, fields[index + 1].string ?? "") }
                        },
                        uniquingKeysWith: { first, _ in first })
                    return pairs["num-slaves"] == "1" && pairs["num-other-sentinels"] == "2"
                }
            }
        } catch {
            stop()
            throw error
        }
    }

    /// The primary the Sentinels name now (nil while none answers).
    public func currentPrimaryPort() -> Int? {
        for port in sentinelPorts {
            guard let connection = try? RedisConnection(RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))),
                let address = try? connection.command(["SENTINEL", "get-master-addr-by-name", .text(Self.masterName)]).array,
                address.count == 2, let value = address[1].string.flatMap(Int.init)
            else { continue }
            return value
        }
        return nil
    }

    public func stop() {
        for sentinel in sentinels { sentinel.terminate() }
        replica.stop()
        primary.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Polls `condition` every 10 ms until it holds, or throws after `seconds` (for code that is not async).
public func waitUntilSynchronous(_ what: String, seconds: Double, _ condition: () -> Bool) throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return }
        usleep(10_000)
    }
    throw WaitTimeout(what: what, seconds: seconds)
}
