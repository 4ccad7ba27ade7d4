import Foundation
import Hummingbird
import Logging
import LogitAPI
import LogitCore
import LogitRedis
import NIOPosix

/// The model routes: training, status, prediction, metadata, listing and deletion.
struct ModelController: Sendable {
    let configuration: APIConfiguration
    let repository: any ModelRepository
    /// Bounds the request bodies held at once (`APIConfiguration.maxInFlightBodyBytes`).
    let bodies: BodyBudget
    /// The fitted models, shared with the other controllers that serve them.
    let models: ReadyModels
    /// Requests held by `?wait=` until their model changes.
    let waiters: ChangeWaiters

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post(RouterPath(APIPath.models), use: train)
        routes.get(RouterPath(APIPath.models), use: list)
        routes.get(RouterPath(APIPath.model), use: getModel)
        routes.delete(RouterPath(APIPath.model), use: delete)
        routes.post(RouterPath(APIPath.predict)) { request, context in try await predict(request, context, status: .ok) }
        routes.get(RouterPath(APIPath.checkStatus), use: status)
        routes.post(RouterPath(APIPath.checkStatus), use: status)
        return routes
    }

    // MARK: Training

    @Sendable func train(_ request: Request, _ context: BasicRequestContext) async throws -> EditedResponse<TrainingAccepted> {
        try authorize(request)
        let tabSeparated = request.mediaType == "text/tab-separated-values"
        guard request.hasCSVContentType || tabSeparated else {
            throw ProblemError(
                .unsupportedMediaType,
                OriginalMessages.trainingNotCSV
                    + " Send Content-Type: text/csv (or text/tab-separated-values); a header row and the label column are read as header= and label= say."
            )
        }
        let queryItems = request.queryItems
        let parameters = try TrainingParameters.parse(query: queryItems)
        let format = try CSVFormat.parse(query: queryItems, tabSeparated: tabSeparated)
        let limits = configuration.csvLimits
        let id = ModelID.generate()
        let clock = ContinuousClock()
        let started = clock.now
        let record = try await bodies.withBody(of: request, limit: configuration.maxTrainingBytes, limitName: "LOGIT_MAX_TRAINING_BYTES") { body in
            // Validate the whole body before the job is queued (a large body is written to Redis meanwhile, and
            // deleted if it fails); large bodies are parsed off the request's thread.
            try await repository.create(id, data: body) {
                let shape = try await Self.offload(bytes: body.readableBytes) {
                    try body.withBytes { bytes in try TrainingSet.validate(bytes, format: format, limits: limits) }
                }
                try HoldoutSplit.check(labels: shape.labels, classes: shape.classes, fraction: parameters.validationFraction, seed: parameters.seed)
                return ModelRecord.queued(
                    parameters: parameters.settlingDefaults(query: queryItems, rowCount: shape.rowCount, featureCount: shape.featureCount),
                    format: format, shape: ModelRecord.DataShape(shape), warnings: shape.warnings, createdAt: Timestamp.nowDate())
            }
        }
        context.logger.info(
            "Training job queued",
            metadata: [
                "model_id": "\(id)", "rows": "\(record.shape.sampleCount)", "features": "\(record.shape.featureCount)",
                "seconds": "\((clock.now - started) / .seconds(1))",
            ])
        let accepted = TrainingAccepted(modelID: id.rawValue)
        return EditedResponse(status: .created, headers: [.location: accepted.modelURL], response: accepted)
    }

    // MARK: Status and metadata

    @Sendable func status(_ request: Request, _ context: BasicRequestContext) async throws -> StatusResponse {
        let id = try context.modelID()
        let status = try await waitingForChange(request, id, read: { try await repository.status(id) }, state: \.state)
        return StatusResponse(id: id, status: status)
    }

    /// The longest `?wait=` (a client that wants longer asks again).
    static let longestWait: Duration = .seconds(60)

    /// `read`'s answer for the model; with `?wait=SECONDS`, held until its state differs from the state at arrival,
    /// reading again at each change the feed reports, or until the time is up. Answered at once when the state is
    /// `ready` or `failed`, which never change. 404 when the model is (or becomes) gone.
    func waitingForChange<Answer>(
        _ request: Request, _ id: ModelID, read: () async throws -> Answer?, state: (Answer) -> ModelState
    ) async throws -> Answer {
        guard let wait = try Self.waitQuery(request) else {
            guard let answer = try await read() else { throw ProblemError.modelNotFound }
            return answer
        }
        let deadline = ContinuousClock.now + wait
        // A ticket before each read: a change between the read and the wait is not missed.
        var ticket = waiters.ticket(for: id)
        defer { waiters.release(ticket) }
        guard var latest = try await read() else { throw ProblemError.modelNotFound }
        let arrival = state(latest)
        while arrival != .ready && arrival != .failed && state(latest) == arrival {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, await waiters.wait(ticket, timeout: remaining) else { break }
            ticket = waiters.ticket(for: id)
            guard let next = try await read() else { throw ProblemError.modelNotFound }
            latest = next
        }
        return latest
    }

    static func waitQuery(_ request: Request) throws -> Duration? {
        guard let text = request.uri.queryParameters.get("wait") else { return nil }
        let longest = Double(longestWait.components.seconds)
        guard let seconds = Double(text), seconds >= 0, seconds <= longest else {
            throw ProblemError(
                .badRequest, "query parameter wait=\"\(text.prefix(40))\" is not valid: expected a number of seconds from 0 to \(Int(longest))",
                parameter: "wait")
        }
        return seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil
    }

    /// `GET /models/{id}`: a prediction when the request carries a body or a `Content-Type` (the original's
    /// protocol), else the model's metadata.
    @Sendable func getModel(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let hasBody = (request.headers[.contentLength].map { $0 != "0" } ?? false) || request.headers[.transferEncoding] != nil
        if hasBody || request.hasContentType { return try await predict(request, context, status: .accepted) }
        let id = try context.modelID()
        let record = try await waitingForChange(request, id, read: { try await repository.record(id) }, state: \.state)
        return try ModelMetadata(id: id, record: record).response(from: request, context: context)
    }

    @Sendable func list(_ request: Request, _ context: BasicRequestContext) async throws -> ModelListing {
        let limit = try Self.integerQuery(request, "limit", default: 50, range: 1...1000)
        let offset = try Self.integerQuery(request, "offset", default: 0, range: 0...Int(Int32.max))
        let page = try await repository.list(offset: offset, limit: limit)
        return ModelListing(
            models: page.models.map { ModelListing.Item(id: $0.id, record: $0.record) }, total: page.total, offset: offset, limit: limit)
    }

    @Sendable func delete(_ request: Request, _ context: BasicRequestContext) async throws -> HTTPResponse.Status {
        try authorize(request)
        let id = try context.modelID()
        guard try await repository.delete(id) else { throw ProblemError.modelNotFound }
        models.remove(id)
        context.logger.info("Model deleted", metadata: ["model_id": "\(id)"])
        return .noContent
    }

    // MARK: Prediction

    /// A prediction: CSV rows (headerless in feature order, or with a header naming the features in any order, and
    /// `passthrough=` columns copied to CSV output), or JSON instances. `status` is 202 for the original's `GET` and
    /// 200 for `POST …/predict`; a model not ready yet is the original's 200 "Model is Training" on `GET` and a 409
    /// with its state on `POST`.
    func predict(_ request: Request, _ context: BasicRequestContext, status: HTTPResponse.Status) async throws -> Response {
        let id = try context.modelID()
        let isJSON = request.mediaType == "application/json"
        guard request.hasCSVContentType || isJSON else {
            throw ProblemError(
                .unsupportedMediaType,
                OriginalMessages.predictionNotCSV + " Send Content-Type: text/csv (rows of features), or application/json ({\"instances\": [[…]]}).")
        }
        let passthrough =
            request.uri.queryParameters.get("passthrough").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        return try await bodies.withBody(of: request, limit: configuration.maxPredictionBytes, limitName: "LOGIT_MAX_PREDICTION_BYTES") { body in
            let model: LogisticModel
            switch try await models.readiness(id) {
            case .ready(let fitted):
                model = fitted
            case .notYet(let state):
                guard status == .accepted else { throw ProblemError.notReady(id, state: state, to: "predict") }
                // The original's answer to its GET while training.
                return try StatusResponse(modelID: id.rawValue, state: state).response(from: request, context: context)
            }
            let wantsCSV = request.headers[.accept].map { $0.lowercased().contains("text/csv") } ?? false
            let bytes = try await Self.offload(bytes: body.readableBytes) { () throws -> [UInt8] in
                let rows =
                    isJSON
                    ? try PredictionInstances.rows(body, model: model)
                    : try body.withBytes { bytes in
                        try FeatureRows.parse(bytes, featureCount: model.featureCount, featureNames: model.featureNames, passthrough: passthrough)
                    }
                let probabilities = model.probabilities(rows.values)
                return wantsCSV
                    ? PredictionDocument.csv(model: model, probabilities: probabilities, passthrough: rows)
                    : PredictionDocument.json(model: model, probabilities: probabilities)
            }
            let contentType = wantsCSV ? "text/csv; charset=utf-8" : "application/json"
            return Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    // MARK: Helpers

    func authorize(_ request: Request) throws {
        guard let token = configuration.apiToken else { return }
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            value.hasPrefix("Bearer ") ? value.dropFirst("Bearer ".count) : nil
        }
        guard let presented, ConstantTime.equal(Array(presented.utf8), Array(token.utf8)) else {
            throw ProblemError(
                .unauthorized, "This route needs the API token: send Authorization: Bearer <token>.", headers: [.wwwAuthenticate: "Bearer"])
        }
    }

    static func integerQuery(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ProblemError(
                .badRequest,
                "query parameter \(name)=\"\(text.prefix(40))\" is not valid: expected a whole number from \(range.lowerBound) to \(range.upperBound)",
                parameter: name)
        }
        return number
    }

    /// Runs CPU work of a large body on NIO's thread pool, a small one inline.
    static func offload<T: Sendable>(bytes: Int, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        if bytes < 256 << 10 { return try work() }
        return try await NIOThreadPool.singleton.runIfActive(work)
    }
}

enum ConstantTime {
    /// Compares without an early exit, so the time taken does not reveal where two tokens differ.
    static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}
