import Foundation
import LogitRedis

/// A real `redis-server` on a free loopback port and a temporary directory, for one test; `stop()` removes both.
public final class RedisTestServer: Sendable {
    public let port: Int
    public let directory: URL
    private let process: ChildProcess

    public var configuration: RedisConfiguration { RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port)) }
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts a server; `arguments` are extra `redis-server` options (e.g. `["--requirepass", "secret"]`); `port` and
    /// `directory` reuse those of a stopped server (to restart it), else a free port and a new directory are picked.
    /// With `waitingForData: false` it returns as soon as the server answers at all, `LOADING` included (to test
    /// clients during the load of a large AOF).
    ///
    /// Unless `followsSentinels`, the server refuses `REPLICAOF`: tests run in parallel, and the Sentinels of a
    /// failover test keep calling at the address of the primary they saw die. Were another test's server to get that
    /// port, they would make it a replica of theirs and replace its data (seen in the full suite).
    public init(
        port: Int? = nil, directory reused: URL? = nil, arguments: [String] = [], waitingForData: Bool = true, followsSentinels: Bool = false
    ) throws {
        let arguments = arguments + (followsSentinels ? [] : ["--rename-command", "REPLICAOF", "", "--rename-command", "SLAVEOF", ""])
        directory = reused ?? FileManager.default.temporaryDirectory.appendingPathComponent("logit-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A picked port can be taken by someone else between picking and binding: then try another.
        for _ in 0..<5 {
            let candidate = try port ?? Self.freePort()
            if let child = try Self.launch(port: candidate, directory: directory, arguments: arguments, waitingForData: waitingForData) {
                self.port = candidate
                self.process = child
                return
            }
            if port != nil { break }
        }
        try? FileManager.default.removeItem(at: directory)
        throw RedisTestServerError(message: "redis-server did not start (see its log in \(directory.path))")
    }

    /// Starts redis-server and waits until it answers; nil (and the process stopped) if it does not.
    private static func launch(port: Int, directory: URL, arguments: [String], waitingForData: Bool) throws -> ChildProcess? {
        let child = try ChildProcess(
            executable: try which("redis-server"),
            arguments: [
                "--port", String(port), "--bind", "127.0.0.1", "--dir", directory.path, "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--logfile", directory.appendingPathComponent("redis.log").path,
            ] + arguments)
        let configuration = RedisConfiguration(endpoint: .tcp(host: "127.0.0.1", port: port))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && child.isRunning {
            if let connection = try? RedisConnection(configuration) {
                do {
                    // Serving (PING fails with LOADING while an AOF is replayed), and ours, not another test's server
                    // that happens to hold the port: it runs in our directory.
                    if try connection.command(["PING"]) == .status("PONG"),
                        try connection.command(["CONFIG", "GET", "dir"]).array?.last?.string?.hasSuffix(directory.lastPathComponent) == true
                    {
                        return child
                    }
                } catch  where error.isAuthenticationFailure {
                    return child  // up, and asking for the password it was given
                } catch  where !waitingForData && error.isUnavailable && !connection.isBroken {
                    return child  // up, and loading its data
                } catch {}
            }
            usleep(5_000)
        }
        child.terminate()
        return nil
    }

    /// Kills the server at once (SIGKILL: nothing flushed, as in a crash or a lost machine); keeps its directory.
    public func kill() {
        process.send(SIGKILL)
        _ = process.waitForExit(upTo: 10)
    }

    /// Stops the server (SIGTERM: Redis flushes its AOF) and removes its directory unless `keepingData`.
    public func stop(keepingData: Bool = false) {
        process.terminate()
        if !keepingData { try? FileManager.default.removeItem(at: directory) }
    }

    static func which(_ program: String) throws -> String {
        for directory in ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin"] {
            let path = directory + "/" + program
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw RedisTestServerError(message: "\(program) not found: install redis-server (make setup)")
    }

    /// A port the kernel just handed out for a listening socket, then released.
    /// A port no one listens on, for a server a test starts (and may restart on the same port).
    ///
    /// Picked at random below the kernel's ephemeral range (32768 and up here), not with `bind(0)`: the kernel hands
    /// ephemeral ports to other tests' `bind(0)` and to every outgoing connection, so a port a test freed to restart
    /// its Redis was sometimes taken in between ("redis-server did not start", seen in the full suite).
    public static func freePort() throws -> Int {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let candidate = Int.random(in: 20_000..<32_000, using: &random)
            if canBind(candidate) { return candidate }
        }
        throw RedisTestServerError(message: "cannot find a free port")
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

public struct RedisTestServerError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
