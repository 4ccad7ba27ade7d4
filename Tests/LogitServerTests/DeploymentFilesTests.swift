import Foundation
import LogitRedis
import LogitTestSupport
import Testing

/// docker-compose.yml cannot be run here (no Docker engine): check that what it runs matches the CLI and the config.
@Suite struct DeploymentFilesTests {
    static func text(_ name: String) throws -> String {
        try String(contentsOf: Fixtures.root.appendingPathComponent(name), encoding: .utf8)
    }

    @Test func composeRunsRedisApiAndWorkerWithTheRealSubcommands() throws {
        let compose = try Self.text("docker-compose.yml")
        for service in ["redis:", "api:", "worker:"] { #expect(compose.contains("\n  \(service)"), "service \(service)") }
        #expect(compose.contains(#""logit", "serve""#))
        #expect(compose.contains(#""logit", "worker""#))
        #expect(compose.contains("REDIS_URL"))
        #expect(compose.contains("redis.conf"))
        // Every flag passed to logit must be one the CLI knows.
        let help = try Self.helpText()
        let logitLines = compose.split(separator: "\n").filter { $0.contains("\"logit\"") }
        #expect(logitLines.count == 2)
        for line in logitLines {
            for flag in line.matches(of: /--[a-z][a-z-]+/).map({ String($0.output) }) {
                #expect(help.contains(flag), "\(flag) is not a logit flag")
            }
        }
    }

    @Test func redisConfKeepsRedisPrivateAndDurable() throws {
        let lines = try Self.text("redis.conf").split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.contains { $0.hasPrefix("bind 127.0.0.1") })
        #expect(lines.contains("protected-mode yes"))
        #expect(lines.contains("appendonly yes"))
    }

    @Test func dockerfileBuildsAndRunsLogit() throws {
        let dockerfile = try Self.text("Dockerfile")
        #expect(dockerfile.contains("libhiredis"))
        #expect(dockerfile.contains("swift build -c release"))
        #expect(dockerfile.contains("CMD [\"logit\", \"serve\""))
    }

    /// `logit serve --help` and `logit worker --help`, from the built binary.
    static func helpText() throws -> String {
        let binary = try #require(BinaryEndToEndTests.binary, "build the logit executable first")
        var text = ""
        for command in ["serve", "worker"] {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("logit-help-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let process = try ChildProcess(executable: binary, arguments: [command, "--help"], outputPath: output.path, includingErrors: true)
            _ = process.waitForExit(upTo: 30)
            text += try String(contentsOf: output, encoding: .utf8)
        }
        return text
    }
}
