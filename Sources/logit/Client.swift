import ArgumentParser
import Foundation
import LogitAPI
import LogitClient
import LogitCore

/// Where the API is, for every client subcommand.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("url"), help: "Base URL of the logit API (env LOGIT_URL).")
    var url: String = environment("LOGIT_URL") ?? "http://127.0.0.1:5000"

    @Option(help: "API token, for training and deleting when the API requires one (env LOGIT_API_TOKEN).")
    var token: String? = environment("LOGIT_API_TOKEN")
}

/// Reads a file, or standard input for `-`, as the body of a request.
func readBody(_ path: String) throws -> Data {
    let data: Data? = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
    guard let data else { throw ValidationError("cannot read \(path)") }
    return data
}

/// Runs client calls: a `ClientError` becomes one line on standard error and exit status 1.
func runClientCall(_ options: ClientOptions, _ body: (APIClient) async throws(ClientError) -> Void) async throws {
    do {
        try await body(APIClient(baseURL: options.url, token: options.token))
    } catch {
        StandardStreams.error("logit: \(error)\n")
        throw ExitCode.failure
    }
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
            let accepted = try await client.train(csv: body, parameters: pairs)
            guard wait else {
                StandardStreams.output(accepted.modelID + "\n")
                return
            }
            let metadata = try await TrainingProgressReport.waitForEnd(of: accepted.modelID, client: client)
            StandardStreams.output(accepted.modelID + "\n")
            if metadata.state == .failed {
                throw .problem(status: 409, detail: "training failed: \(metadata.error ?? "no reason given")")
            }
        }
    }
}

/// Polls a model until its fit ends, showing progress on standard error.
enum TrainingProgressReport {
    /// Polls every 250 ms (the rate the worker writes progress) until the model is ready or failed.
    static func waitForEnd(of id: String, client: APIClient) async throws(ClientError) -> ModelMetadata {
        let interactive = isatty(STDERR_FILENO) != 0
        var lastLine = ""
        while true {
            let metadata = try await client.metadata(id)
            let line = Self.line(metadata)
            if line != lastLine {
                StandardStreams.error(interactive ? "\r\u{1B}[K" + line : line + "\n")
                lastLine = line
            }
            if metadata.state == .ready || metadata.state == .failed {
                if interactive { StandardStreams.error("\n") }
                for warning in metadata.warnings ?? [] { StandardStreams.error("warning: \(warning)\n") }
                return metadata
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    static func line(_ metadata: ModelMetadata) -> String {
        switch metadata.state {
        case .ready:
            guard let summary = metadata.summary else { return "ready" }
            let seconds = summary.trainingSeconds
            let duration = seconds < 0.1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
            return String(
                format: "ready: %d iterations, objective %.10g, training accuracy %.4f, %@%@", summary.nIter, summary.objective,
                summary.trainAccuracy, duration, summary.converged ? "" : " (not converged)")
        case .failed:
            return "failed: \(metadata.error ?? "no reason given")"
        case .queued, .training:
            if metadata.progress.phase == .parsing { return "training: reading the data" }
            var line = "\(metadata.state.rawValue): iteration \(metadata.progress.iteration) of at most \(metadata.progress.maxIter)"
            if let objective = metadata.progress.objective { line += String(format: ", objective %.10g", objective) }
            return line
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
        try await runClientCall(options) { client async throws(ClientError) in
            StandardStreams.output(try await client.modelJSON(id) + Data("\n".utf8))
        }
    }
}

struct Predict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict feature rows (headerless CSV) and print CSV: a label,<class…> header, then a row per input.",
        discussion: "A model still queued or training is an error (exit 1), unless --wait: then it waits for the fit to end.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The model id.")
    var id: String

    @Argument(help: "Headerless CSV of feature rows, or - for standard input.")
    var file: String

    @Flag(help: "If the model is still training, wait for it (progress on standard error), then predict.")
    var wait = false

    func run() async throws {
        let body = try readBody(file)
        try await runClientCall(options) { client async throws(ClientError) in
            do throws(ClientError) {
                StandardStreams.output(try await client.predict(id, csv: body))
            } catch {
                guard case .notReady = error, wait else { throw error }
                _ = try await TrainingProgressReport.waitForEnd(of: id, client: client)
                StandardStreams.output(try await client.predict(id, csv: body))
            }
        }
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
            StandardStreams.output(try await client.listJSON(limit: limit, offset: offset) + Data("\n".utf8))
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
