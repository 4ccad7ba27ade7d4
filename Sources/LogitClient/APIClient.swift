import Foundation
import LogitAPI
import LogitCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The service's HTTP API as the `logit` client subcommands use it: one call per route, answers decoded as the
/// API's documents (`LogitAPI`), errors as `ClientError` (the server's problem detail, or why the server could not
/// be reached).
///
/// On Foundation's `URLSession` (libcurl underneath: http and https, proxies from the environment), which the
/// toolchain ships compiled; see Package.swift for why not AsyncHTTPClient.
public struct APIClient: Sendable {
    public let baseURL: String
    let token: String?
    let session: URLSession

    /// - Parameter timeout: the longest a single call may take (a large training body or batch prediction included).
    public init(baseURL: String, token: String? = nil, timeout: Duration = .seconds(300)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Double(timeout.components.seconds)
        configuration.timeoutIntervalForResource = Double(timeout.components.seconds)
        self.session = URLSession(configuration: configuration)
    }

    /// Queues a training job: `csv` is the training CSV; `parameters` (and the layout: header, label, delimiter) go
    /// in the query string. `uploaded` hears the bytes sent so far and the total, as the body goes out.
    public func train(
        csv: Data, parameters: [(name: String, value: String)] = [], uploaded: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws(ClientError) -> TrainingAccepted {
        var components = URLComponents()
        components.queryItems = parameters.isEmpty ? nil : parameters.map { URLQueryItem(name: $0.name, value: $0.value) }
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        let answer = try await send("POST", APIPath.models + query, contentType: "text/csv", body: csv, uploaded: uploaded)
        return try decode(TrainingAccepted.self, answer.body)
    }

    /// The model's metadata as the JSON text the server sent; with `waitingUpTo`, held by the server until the model's
    /// state changes or that time passes (`?wait=`).
    public func modelJSON(_ id: String, waitingUpTo wait: Duration? = nil) async throws(ClientError) -> Data {
        let path = APIPath.filled(APIPath.model, id: id)
        guard let wait else { return try await send("GET", path).body }
        return try await send("GET", path + "?wait=\(Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)").body
    }

    /// The model's metadata (see `modelJSON`).
    public func metadata(_ id: String, waitingUpTo wait: Duration? = nil) async throws(ClientError) -> ModelMetadata {
        try decode(ModelMetadata.self, try await modelJSON(id, waitingUpTo: wait))
    }

    /// Predictions for feature rows (headerless CSV), as CSV: a `label,<class…>` header, then a row per input.
    /// Throws `notReady` while the model is queued or training.
    public func predict(_ id: String, csv: Data, passthrough: [String] = []) async throws(ClientError) -> Data {
        var path = APIPath.filled(APIPath.predict, id: id)
        if !passthrough.isEmpty {
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "passthrough", value: passthrough.joined(separator: ","))]
            path += "?" + (components.percentEncodedQuery ?? "")
        }
        do throws(ClientError) {
            return try await send("POST", path, contentType: "text/csv", accept: "text/csv", body: csv).body
        } catch {
            // A 409 whose state is queued or training: not ready yet (a failed model's 409 is a plain problem).
            if case .conflict(let problem) = error, let state = problem.state, state == .queued || state == .training {
                throw .notReady(StatusResponse(modelID: id, state: state))
            }
            throw error.withoutDocument
        }
    }

    /// A page of the model list, newest first, as the JSON text the server sent.
    public func listJSON(limit: Int, offset: Int) async throws(ClientError) -> Data {
        try await send("GET", APIPath.models + "?limit=\(limit)&offset=\(offset)").body
    }

    /// Deletes a model, its data and its queued job.
    public func delete(_ id: String) async throws(ClientError) {
        _ = try await send("DELETE", APIPath.filled(APIPath.model, id: id))
    }

    func send(
        _ method: String, _ path: String, contentType: String? = nil, accept: String? = nil, body: Data? = nil,
        uploaded: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws(ClientError) -> (body: Data, contentType: String) {
        guard let url = URL(string: baseURL + path), url.scheme == "http" || url.scheme == "https" else {
            throw .unreachable(baseURL, "not an http(s) URL")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let accept { request.setValue(accept, forHTTPHeaderField: "Accept") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data
        let response: HTTPURLResponse
        do {
            let (received, answer) =
                if let body {
                    try await session.upload(for: request, from: body, delegate: uploaded.map(UploadProgress.init))
                } else {
                    try await session.data(for: request)
                }
            guard let answer = answer as? HTTPURLResponse else { throw URLError(.badServerResponse) }
            (data, response) = (received, answer)
        } catch {
            let code = (error as? URLError)?.code
            throw .unreachable(
                baseURL,
                code == .cannotConnectToHost ? "connection refused (is `logit serve` or `logit dev` running there?)" : error.localizedDescription)
        }
        guard (200..<300).contains(response.statusCode) else {
            let problem = try? JSONDecoder().decode(Problem.self, from: data)
            if let problem, problem.status == 409 { throw .conflict(problem) }
            throw .problem(
                status: response.statusCode, detail: problem?.detail ?? HTTPURLResponse.localizedString(forStatusCode: response.statusCode))
        }
        return (data, response.value(forHTTPHeaderField: "Content-Type")?.lowercased() ?? "")
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: Data) throws(ClientError) -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw .unexpectedReply(String(decoding: body.prefix(200), as: UTF8.self))
        }
    }
}

/// Why a client call failed, said the way a person at a terminal needs it.
public enum ClientError: Error, Sendable, CustomStringConvertible, Equatable {
    /// No HTTP answer at all (refused, timed out, bad URL).
    case unreachable(String, String)
    /// The server answered with an error status; `detail` is its problem detail.
    case problem(status: Int, detail: String)
    /// A success status with a body that is not what the API sends.
    case unexpectedReply(String)
    /// A prediction asked of a model that is still queued or training.
    case notReady(StatusResponse)
    /// A 409, with the server's whole problem document (its `state` says why).
    case conflict(Problem)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): "cannot reach the logit API at \(url): \(reason)"
        case .problem(let status, let detail): "\(status): \(detail)"
        case .unexpectedReply(let text): "unexpected reply from the server: \(text)"
        case .conflict(let problem): "\(problem.status): \(problem.detail)"
        case .notReady(let status):
            "model \(status.modelID) is not ready yet (\(status.state.rawValue)); try again when it is, or pass --wait"
        }
    }
}

extension ClientError {
    /// As a person reads it: a conflict is a problem like any other.
    var withoutDocument: ClientError {
        if case .conflict(let problem) = self { return .problem(status: problem.status, detail: problem.detail) }
        return self
    }
}

/// Hands a request body's progress (bytes sent, total) to a closure, as `URLSession` reports it.
final class UploadProgress: NSObject, URLSessionTaskDelegate, Sendable {
    let report: @Sendable (Int64, Int64) -> Void

    init(_ report: @escaping @Sendable (Int64, Int64) -> Void) { self.report = report }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64, totalBytesExpectedToSend: Int64
    ) {
        report(totalBytesSent, totalBytesExpectedToSend)
    }
}
