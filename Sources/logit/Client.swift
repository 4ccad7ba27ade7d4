import ArgumentParser
import Foundation
import LogitClient
import NIOCore

/// Where the API is, for every client subcommand.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("url"), help: "Base URL of the logit API (env LOGIT_URL).")
    var url: String = environment("LOGIT_URL") ?? "http://127.0.0.1:5000"

    @Option(help: "API token, for training and deleting when the API requires one (env LOGIT_API_TOKEN).")
    var token: String? = environment("LOGIT_API_TOKEN")

}

/// Reads a file, or standard input for `-`, as the body of a request.
func readBody(_ path: String) throws -> ByteBuffer {
    let data: Data?
    if path == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        data = FileManager.default.contents(atPath: path)
    }
    guard let data else { throw ValidationError("cannot read \(path)") }
    return ByteBuffer(bytes: data)
}

/// Runs client calls: a `ClientError` becomes one line on standard error and exit status 1.
func runClientCall(_ options: ClientOptions, _ body: (APIClient) async throws(ClientError) -> Void) async throws {
    do {
        try await APIClient.withCommandLineClient(baseURL: options.url, token: options.token, body)
    } catch {
        FileHandle.standardError.write(Data("logit: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

func writeOut(_ buffer: ByteBuffer, newline: Bool = false) {
    FileHandle.standardOutput.write(Data(buffer.readableBytesView))
    if newline { FileHandle.standardOutput.write(Data("\n".utf8)) }
}

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a training job for a CSV file (label last) and print the model id.",
        discussion: """
            Parameters are the API's query parameters, e.g. `-p C=0.5 -p class_weight=balanced`. With --wait, progress \
            goes to standard error and the command returns when the model is ready (exit 0) or has failed (exit 1).
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: "Headerless CSV with the label in the last column, or - for standard input.")
    var file: String

    @Option(name: [.customShort("p"), .customLong("param")], help: "A training parameter as NAME=VALUE (repeatable).")
    var parameters: [String] = []

    @Flag(help: "Wait for the fit to end, showing its progress.")
    var wait = false

    func validate() throws {
        for parameter in parameters where !parameter.contains("=") {
            throw ValidationError("--param \(parameter): expected NAME=VALUE, e.g. C=0.5")
        }
    }

    func run() async throws {
        let body = try readBody(file)
        let pairs = parameters.map { parameter in
            let parts = parameter.split(separator: "=", maxSplits: 1)
            return (name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
        }
        try await runClientCall(options) { client async throws(ClientError) in
            let queued = try await client.train(csv: body, parameters: pairs)
            guard wait else {
                print(queued.modelID)
                return
            }
            let state = try await Self.waitForEnd(of: queued.modelID, client: client)
            print(queued.modelID)
            if state.state == "failed" {
                throw .problem(status: 409, detail: "training failed: \(state.error ?? "no reason given")")
            }
        }
    }

    /// Polls the model every 250 ms (the rate the worker writes progress) until it is ready or failed.
    static func waitForEnd(of id: String, client: APIClient) async throws(ClientError) -> APIClient.ModelState {
        let interactive = isatty(STDERR_FILENO) != 0
        var lastLine = ""
        while true {
            let state = try await client.state(id)
            var line: String
            switch state.state {
            case "ready":
                if let summary = state.summary {
                    let seconds = summary.trainingSeconds
                    let duration = seconds < 0.1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
                    line = String(
                        format: "ready: %d iterations, objective %.10g, training accuracy %.4f, %@%@", summary.nIter,
                        summary.objective, summary.trainAccuracy, duration, summary.converged ? "" : " (not converged)")
                } else {
                    line = "ready"
                }
            case "failed":
                line = "failed: \(state.error ?? "no reason given")"
            default:
                if let progress = state.progress {
                    line = "\(state.state): iteration \(progress.iteration) of at most \(progress.maxIter)"
                    if let objective = progress.objective { line += String(format: ", objective %.10g", objective) }
                } else {
                    line = state.state
                }
            }
            if line != lastLine {
                let text = interactive ? "\r\u{1B}[K" + line : line + "\n"
                FileHandle.standardError.write(Data(text.utf8))
                lastLine = line
            }
            if state.state == "ready" || state.state == "failed" {
                if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
                return state
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's metadata as JSON: state, progress, parameters, summary, coefficients.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The model id.")
    var id: String

    func run() async throws {
        try await runClientCall(options) { client async throws(ClientError) in writeOut(try await client.modelJSON(id), newline: true) }
    }
}

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict feature rows (headerless CSV) and print CSV: a label,<class…> header, then a row per input.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The model id.")
    var id: String

    @Argument(help: "Headerless CSV of feature rows, or - for standard input.")
    var file: String

    func run() async throws {
        let body = try readBody(file)
        try await runClientCall(options) { client async throws(ClientError) in writeOut(try await client.predict(id, csv: body)) }
    }
}

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List models as JSON, newest first.")

    @OptionGroup var options: ClientOptions

    @Option(help: "Models per page.")
    var limit = 50

    @Option(help: "Models to skip.")
    var offset = 0

    func run() async throws {
        try await runClientCall(options) { client async throws(ClientError) in
            writeOut(try await client.listJSON(limit: limit, offset: offset), newline: true)
        }
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a model, its training data and its queued job.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The model id.")
    var id: String

    func run() async throws {
        try await runClientCall(options) { client async throws(ClientError) in try await client.delete(id) }
    }
}
