import Foundation
import HummingbirdTesting
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// The `logit` client subcommands (train, predict, status, models, delete) run as a user runs them, against the
/// built `serve` and `worker` binaries on a real Redis: output, exit status, and the server's messages on errors.
@Suite struct ClientSubcommandTests {
    /// Runs `logit` with `arguments`; returns its exit status and what it printed (standard error too with
    /// `errors`).
    /// On a thread of its own: waiting for the process must not hold one of the few threads the in-process
    /// services of other tests run on.
    func logit(_ arguments: [String], errors: Bool = false) async throws -> (status: Int32?, output: String) {
        let binary = try #require(BinaryEndToEndTests.binary, "build the logit executable first: swift build --build-tests")
        return try await onOwnThread {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("logit-client-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let process = try ChildProcess(executable: binary, arguments: arguments, outputPath: output.path, includingErrors: errors)
            let status = process.waitForExit(upTo: 120)
            return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
        }
    }

    @Test func trainPredictStatusListAndDeleteFromTheCommandLine() async throws {
        let deployment = try BinaryDeployment()
        defer { deployment.stop() }
        let url = deployment.url
        try await waitUntil("the API to answer", timeout: 60) { try await logit(["models", "--url", url]).status == 0 }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("logit-client-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let iris = directory.appendingPathComponent("iris.csv").path
        try Data(Fixtures.bytes("iris.csv")).write(to: URL(fileURLWithPath: iris))
        let rows = directory.appendingPathComponent("rows.csv").path
        try Data("6.9,3.1,5.1,2.3\n5.1,3.5,1.4,0.2\n".utf8).write(to: URL(fileURLWithPath: rows))
        let malformed = directory.appendingPathComponent("malformed.csv").path
        try Data("1,2,a\n3,x,b\n".utf8).write(to: URL(fileURLWithPath: malformed))

        // train --wait prints the id on standard output once the model is ready.
        let trained = try await logit(["train", iris, "--wait", "--url", url, "-p", "C=0.5"])
        #expect(trained.status == 0)
        let id = trained.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 36 && id.split(separator: "-").count == 5, "an id, not \(trained.output)")

        let predicted = try await logit(["predict", id, rows, "--url", url])
        #expect(predicted.status == 0)
        let lines = predicted.output.split(separator: "\n")
        #expect(lines.first == "label,setosa,versicolor,virginica")
        #expect(lines.dropFirst().map { $0.split(separator: ",").first } == ["virginica", "setosa"])

        let status = try await logit(["status", id, "--url", url])
        #expect(status.status == 0)
        let metadata = try JSONDecoder().decode(ModelMetadata.self, from: Data(status.output.utf8))
        #expect(metadata.state == .ready)
        #expect(metadata.params.C == 0.5)

        #expect(try await logit(["models", "--url", url]).output.contains(id))
        #expect(try await logit(["delete", id, "--url", url]).status == 0)
        let gone = try await logit(["status", id, "--url", url], errors: true)
        #expect(gone.status == 1)
        #expect(gone.output.contains("404: The model id you supplied either doesn't exist"), "\(gone.output)")

        // The server's own message, with line and field, on bad data and bad parameters; nothing is queued.
        let rejected = try await logit(["train", malformed, "--url", url], errors: true)
        #expect(rejected.status == 1)
        #expect(rejected.output.contains("line 2, field 2"), "\(rejected.output)")
        let badParameter = try await logit(["train", iris, "--url", url, "-p", "C=-1"], errors: true)
        #expect(badParameter.status == 1 && badParameter.output.contains("C"), "\(badParameter.output)")
        #expect(try await logit(["models", "--url", url]).output.contains("\"total\":0"))

        // No server: a clear line and exit status 1.
        let unreachable = try await logit(["models", "--url", "http://127.0.0.1:\(try RedisTestServer.freePort())"], errors: true)
        #expect(unreachable.status == 1)
        #expect(unreachable.output.contains("cannot reach the logit API"), "\(unreachable.output)")
    }

    /// Runs a bash pipeline (for `|`); returns what it printed, standard error included.
    func shell(_ script: String) async throws -> String {
        try await onOwnThread {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("logit-shell-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let process = try ChildProcess(executable: "/bin/bash", arguments: ["-c", script], outputPath: output.path, includingErrors: true)
            _ = process.waitForExit(upTo: 120)
            return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        }
    }

    /// Bugs: `logit predict ID FILE | head -2` crashed (`try!` on a broken pipe: exit 132 and a backtrace), and
    /// `logit predict` on a model still training printed JSON and exited 0.
    @Test func aClosedPipeEndsPredictQuietlyAndAnUnfinishedModelIsAnError() async throws {
        let binary = try #require(BinaryEndToEndTests.binary, "build the logit executable first: swift build --build-tests")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("logit-pipe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = directory.appendingPathComponent("rows.csv").path
        try Data(String(repeating: "6.9,3.1,5.1,2.3\n", count: 200_000).utf8).write(to: URL(fileURLWithPath: rows))

        let iris = directory.appendingPathComponent("iris.csv").path
        try Data(Fixtures.bytes("iris.csv")).write(to: URL(fileURLWithPath: iris))

        try await TestService.run(live: true, memory: true) { service in
            let url = "http://127.0.0.1:\(try #require(service.client.port))"
            let id = try await logit(["train", iris, "--wait", "--url", url]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let piped = try await shell("'\(binary)' predict \(id) '\(rows)' --url \(url) | head -2 >/dev/null; echo \"exit=${PIPESTATUS[0]}\"")
            #expect(piped.trimmingCharacters(in: .whitespacesAndNewlines) == "exit=141", "quiet, with SIGPIPE's status: \(piped.prefix(300))")
        }
        try await TestService.run(worker: false, live: true, memory: true) { service in
            let url = "http://127.0.0.1:\(try #require(service.client.port))"
            let id = try await logit(["train", iris, "--url", url]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let early = try await logit(["predict", id, rows, "--url", url], errors: true)
            #expect(early.status == 1)
            #expect(early.output.contains("is not ready yet (queued)"), "\(early.output)")
        }
    }

    /// `logit predict` cuts a file larger than --chunk-bytes into requests at row boundaries (the header repeated)
    /// and writes the answers in order, with one header; `--passthrough` copies a column.
    @Test func aLargeFileIsPredictedInPiecesInOrder() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("logit-chunks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let iris = directory.appendingPathComponent("iris.csv").path
        try Data(Fixtures.bytes("iris.csv")).write(to: URL(fileURLWithPath: iris))
        let rows = directory.appendingPathComponent("rows.csv").path
        let body =
            "id,petal_width,petal_length,sepal_width,sepal_length\n"
            + (0..<600).map { $0 % 3 == 0 ? "r\($0),2.3,5.1,3.1,6.9" : "r\($0),0.2,1.4,3.5,5.1" }.joined(separator: "\n") + "\n"
        try Data(body.utf8).write(to: URL(fileURLWithPath: rows))
        let named = directory.appendingPathComponent("named.csv").path
        let renamed = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
        try Data(("sepal_length,sepal_width,petal_length,petal_width,species\n" + renamed).utf8).write(to: URL(fileURLWithPath: named))

        try await TestService.run(live: true, memory: true) { service in
            let url = "http://127.0.0.1:\(try #require(service.client.port))"
            let id = try await logit(["train", named, "--wait", "--url", url]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let predicted = try await logit(["predict", id, rows, "--url", url, "--chunk-bytes", "2048", "--passthrough", "id"])
            #expect(predicted.status == 0)
            let lines = predicted.output.split(separator: "\n")
            #expect(lines.first == "id,label,setosa,versicolor,virginica")
            #expect(lines.count == 601, "one header, then every row once")
            let expected = (0..<600).map { $0 % 3 == 0 ? "r\($0),virginica" : "r\($0),setosa" }
            #expect(lines.dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") } == expected)
        }
    }

    /// `logit train` shows upload progress for a body of 8 MiB or more (a line per quarter when not at a terminal).
    @Test func aLargeTrainingFileShowsUploadProgress() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("logit-upload-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(String(repeating: "1.25,2.5,a\n3.75,0.5,b\n", count: 400_000).utf8).write(to: file)
        try await TestService.run(worker: false, live: true, memory: true) { service in
            let url = "http://127.0.0.1:\(try #require(service.client.port))"
            let trained = try await logit(["train", file.path, "--url", url], errors: true)
            #expect(trained.status == 0, "\(trained.output.suffix(300))")
            #expect(trained.output.contains("uploading: 100% of 8.8 MB"), "\(trained.output.prefix(300))")
        }
    }
}
