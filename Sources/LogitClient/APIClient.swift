import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The service's HTTP API as the `logit` client subcommands use it: one call per route, bodies as bytes, errors as
/// `ClientError` (the server's problem detail, or why the server could not be reached).
public struct APIClient: Sendable {
    public let baseURL: String
    let token: String?
    let http: HTTPClient
    /// The longest a single call may take (a large training body or batch prediction included).
    let timeout: TimeAmount

    public init(baseURL: String, token: String? = nil, http: HTTPClient = .shared, timeout: TimeAmount = .seconds(300)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
        self.timeout = timeout
    }

    /// Runs `body` with a client for one command-line invocation: its own HTTP client that fails at once when the
    /// server refuses the connection (the shared one retries with backoff until the request's deadline, 90 s and
    /// more, which is right for a service and wrong for a person at a terminal), shut down afterwards.
    public static func withCommandLineClient<T>(
        baseURL: String, token: String?, _ body: (APIClient) async throws(ClientError) -> T
    ) async throws(ClientError) -> T {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10))
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let result: Result<T, ClientError>
        do {
            result = .success(try await body(APIClient(baseURL: baseURL, token: token, http: http)))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        return try result.get()
    }

    /// What `POST /models` answers.
    public struct Queued: Decodable, Sendable {
        public let modelID: String
        enum CodingKeys: String, CodingKey {
            case modelID = "model_id"
        }
    }

    /// The part of `GET /models/{id}` that tells how a fit is going.
    public struct ModelState: Decodable, Sendable {
        public struct Progress: Decodable, Sendable {
            public let iteration: Int
            public let maxIter: Int
            public let objective: Double?
            enum CodingKeys: String, CodingKey {
                case iteration
                case maxIter = "max_iter"
                case objective
            }
        }
        public struct Summary: Decodable, Sendable {
            public let nIter: Int
            public let converged: Bool
            public let objective: Double
            public let trainAccuracy: Double
            public let trainingSeconds: Double
            enum CodingKeys: String, CodingKey {
                case nIter = "n_iter"
                case converged
                case objective
                case trainAccuracy = "train_accuracy"
                case trainingSeconds = "training_seconds"
            }
        }
        /// queued, training, ready or failed.
        public let state: String
        public let progress: Progress?
        public let summary: Summary?
        public let error: String?
    }

    /// Queues a training job: `csv` is headerless CSV with the label last; `parameters` go in the query string.
    public func train(csv: ByteBuffer, parameters: [(name: String, value: String)] = []) async throws(ClientError) -> Queued {
        var components = URLComponents()
        components.queryItems = parameters.isEmpty ? nil : parameters.map { URLQueryItem(name: $0.name, value: $0.value) }
        let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
        let body = try await send(.POST, "/models" + query, contentType: "text/csv", body: csv)
        return try decode(Queued.self, body)
    }

    /// The model's metadata, as the JSON text the server sent.
    public func modelJSON(_ id: String) async throws(ClientError) -> ByteBuffer {
        try await send(.GET, "/models/\(id)")
    }

    /// The state, progress and summary of a model.
    public func state(_ id: String) async throws(ClientError) -> ModelState {
        try decode(ModelState.self, try await modelJSON(id))
    }

    /// Predictions for feature rows (headerless CSV), as CSV: a `label,<class…>` header, then a row per input.
    public func predict(_ id: String, csv: ByteBuffer) async throws(ClientError) -> ByteBuffer {
        try await send(.POST, "/models/\(id)/predict", contentType: "text/csv", accept: "text/csv", body: csv)
    }

    /// A page of the model list, newest first, as the JSON text the server sent.
    public func listJSON(limit: Int, offset: Int) async throws(ClientError) -> ByteBuffer {
        try await send(.GET, "/models?limit=\(limit)&offset=\(offset)")
    }

    /// Deletes a model, its data and its queued job.
    public func delete(_ id: String) async throws(ClientError) {
        _ = try await send(.DELETE, "/models/\(id)")
    }

    func send(
        _ method: HTTPMethod, _ path: String, contentType: String? = nil, accept: String? = nil, body: ByteBuffer? = nil
    ) async throws(ClientError) -> ByteBuffer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let accept { request.headers.add(name: "Accept", value: accept) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(body) }
        let status: HTTPResponseStatus
        let text: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = response.status
            text = try await response.body.collect(upTo: 1 << 30)
        } catch {
            let reason = String(describing: error)
            throw .unreachable(
                baseURL, reason.contains("Connection refused") ? "connection refused (is `logit serve` or `logit dev` running there?)" : reason)
        }
        guard (200..<300).contains(Int(status.code)) else {
            throw .problem(status: Int(status.code), detail: Self.detail(of: text) ?? status.reasonPhrase)
        }
        return text
    }

    /// The `detail` of a problem document (or the original's `message`), if the body is one.
    static func detail(of body: ByteBuffer) -> String? {
        struct Problem: Decodable {
            let detail: String?
            let message: String?
        }
        return (try? JSONDecoder().decode(Problem.self, from: Data(body.readableBytesView))).flatMap { $0.detail ?? $0.message }
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws(ClientError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch {
            throw .unexpectedReply(String(buffer: body).prefix(200).description)
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

    public var description: String {
        switch self {
        case .unreachable(let url, let reason): "cannot reach the logit API at \(url): \(reason)"
        case .problem(let status, let detail): "\(status): \(detail)"
        case .unexpectedReply(let text): "unexpected reply from the server: \(text)"
        }
    }
}
