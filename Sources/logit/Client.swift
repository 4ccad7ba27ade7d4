import ArgumentParser
import Foundation
import LogitAPI
import LogitClient
import LogitCore
import Synchronization

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
            let accepted = try await client.train(csv: body, parameters: pairs, uploaded: UploadReport.forBody(of: body.count))
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

/// Follows a model until its fit ends, showing progress on standard error.
enum TrainingProgressReport {
    /// Asks with `?wait=0.5` until the model is ready or failed: the server answers at once when the state changes
    /// (queued → training → ready), and at least every half second with the progress meanwhile (the rate the worker
    /// writes it). No client-side sleep.
    static func waitForEnd(of id: String, client: APIClient) async throws(ClientError) -> ModelMetadata {
        let interactive = isatty(STDERR_FILENO) != 0
        var lastLine = ""
        while true {
            let metadata = try await client.metadata(id, waitingUpTo: .milliseconds(500))
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
        abstract: "Predict feature rows (CSV) and print CSV: a label,<class…> header, then a row per input.",
        discussion: """
            Rows are headerless in the model's feature order, or under a header naming the features (any order). A file \
            of any size is sent in requests of at most --chunk-bytes, cut at row boundaries (the header repeated), and \
            the output is written in order. A model still queued or training is an error (exit 1), unless --wait: then \
            it waits for the fit to end.
            """)

    @OptionGroup var options: ClientOptions

    @Argument(help: "The model id.")
    var id: String

    @Argument(help: "Headerless CSV of feature rows, or - for standard input.")
    var file: String

    @Flag(help: "If the model is still training, wait for it (progress on standard error), then predict.")
    var wait = false

    @Option(help: "Columns of a headered file to copy into the output (comma-separated), e.g. an id.")
    var passthrough: String?

    @Option(help: "Largest request body; keep it under the API's LOGIT_MAX_PREDICTION_BYTES (default 64 MiB).")
    var chunkBytes = 16 << 20

    func validate() throws {
        guard chunkBytes >= 1024 else { throw ValidationError("--chunk-bytes must be at least 1024") }
    }

    func run() async throws {
        let body = try readBody(file)
        let columns = passthrough.map { $0.split(separator: ",").map(String.init) } ?? []
        try await runClientCall(options) { client async throws(ClientError) in
            for (index, chunk) in CSVChunks.split(body, maxBytes: chunkBytes).enumerated() {
                var output: Data
                do throws(ClientError) {
                    output = try await client.predict(id, csv: chunk, passthrough: columns)
                } catch {
                    guard case .notReady = error, wait, index == 0 else { throw error }
                    _ = try await TrainingProgressReport.waitForEnd(of: id, client: client)
                    output = try await client.predict(id, csv: chunk, passthrough: columns)
                }
                // Every answer starts with the output's header line; print it once.
                if index > 0, let newline = output.firstIndex(of: UInt8(ascii: "\n")) { output = output[(newline + 1)...] }
                StandardStreams.output(output)
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

/// `logit train`'s upload progress on standard error, for a body of 8 MiB or more: a line rewritten in place at a
/// terminal, else a line per quarter.
enum UploadReport {
    static func forBody(of size: Int) -> (@Sendable (Int64, Int64) -> Void)? {
        guard size >= 8 << 20 else { return nil }
        let interactive = isatty(STDERR_FILENO) != 0
        let shown = Mutex(-1)
        return { sent, total in
            guard total > 0 else { return }
            let percent = Int(sent * 100 / total)
            let step = interactive ? percent : percent / 25 * 25
            guard
                shown.withLock({ previous in
                    guard step > previous else { return false }
                    previous = step
                    return true
                })
            else { return }
            let line = String(format: "uploading: %d%% of %.1f MB", step, Double(total) / 1e6)
            StandardStreams.error(interactive ? "\r\u{1B}[K" + line + (step == 100 ? "\n" : "") : line + "\n")
        }
    }
}
