import Foundation
import Hummingbird
import LogitCore
import LogitRedis
import Logging
import NIOPosix

/// The model routes: training, status, prediction, metadata, listing and deletion.
struct ModelController: Sendable {
    let configuration: APIConfiguration
    let queue: JobQueue
    let store: ModelStore
    /// Bounds the request bodies held at once (`APIConfiguration.maxInFlightBodyBytes`).
    let bodies: BodyBudget
    let cache = ModelCache()

    func addRoutes(to router: Router<BasicRequestContext>, table: RouteTable) {
        router.post("/models", use: train)
        router.get("/models", use: list)
        router.get("/models/:id", use: getModel)
        router.delete("/models/:id", use: delete)
        router.post("/models/:id/predict") { request, context in try await predict(request, context, status: .ok) }
        router.get("/check_model_status/:id", use: status)
        router.post("/check_model_status/:id", use: status)
        table.add("/models", .get, .post)
        table.add("/models/:id", .get, .delete)
        table.add("/models/:id/predict", .post)
        table.add("/check_model_status/:id", .get, .post)
    }

    // MARK: Training

    @Sendable func train(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try authorize(request)
        guard request.hasCSVContentType else { throw ProblemError(.unsupportedMediaType, OriginalMessages.trainingNotCSV) }
        let parameters = try TrainingParameters.parse(query: request.queryItems)
        let limits = configuration.csvLimits
        let id = ModelID.generate()
        let shape = try await bodies.withBody(of: request, limit: configuration.maxTrainingBytes, limitName: "LOGIT_MAX_TRAINING_BYTES") { body in
            // Validate the whole body before anything is written; large bodies are parsed off the request's thread.
            let shape = try await Self.offload(bytes: body.readableBytes) {
                try body.withBytes { bytes in try TrainingSet.validate(bytes, limits: limits) }
            }
            let now = Date()
            try await queue.enqueue(
                id, data: body,
                fields: [
                    (ModelField.state, ModelState.queued.rawValue),
                    (ModelField.createdAt, Timestamp.format(now)),
                    (ModelField.params, try String(decoding: JSONEncoder.sorted.encode(parameters), as: UTF8.self)),
                    (ModelField.classes, String(decoding: JSONValue.array(shape.classes.map { .string($0) }).serialized(), as: UTF8.self)),
                    (ModelField.featureCount, String(shape.featureCount)),
                    (ModelField.sampleCount, String(shape.rowCount)),
                    (ModelField.maxIter, String(parameters.maxIter)),
                    (ModelField.attempts, "0"),
                ],
                createdAtMilliseconds: Timestamp.milliseconds(now), replicas: configuration.minReplicasAck,
                ackTimeoutMilliseconds: configuration.replicaAckTimeoutMilliseconds)
            return shape
        }
        context.logger.info("Training job queued", metadata: ["model_id": "\(id)", "rows": "\(shape.rowCount)", "features": "\(shape.featureCount)"])
        return .json(
            .object([
                ("message", .string("Model training started. Check its status with GET /check_model_status/\(id) (or GET /models/\(id) for details).")),
                ("model_id", .string(id.rawValue)),
                ("task_id", .string(id.rawValue)),
                ("status", .string(OriginalMessages.training)),
                ("state", .string(ModelState.queued.rawValue)),
                ("status_url", .string("/check_model_status/\(id)")),
                ("model_url", .string("/models/\(id)")),
            ]), status: .created, headers: [.location: "/models/\(id)"])
    }

    // MARK: Status and metadata

    @Sendable func status(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try context.modelID()
        guard let status = try await store.status(id) else { throw ProblemError.modelNotFound }
        let state = status.state
        var members: [(String, JSONValue)] = [("status", .string(Self.originalStatus(state))), ("model_id", .string(id.rawValue)), ("state", .string(state.rawValue))]
        if state == .training, let iteration = status.iteration, let maxIter = status.maxIter {
            members.append(("progress", .object([("iteration", .int(iteration)), ("max_iter", .int(maxIter))])))
        }
        if let error = status.error { members.append(("error", .string(error))) }
        return .json(.object(members))
    }

    /// `GET /models/{id}`: a prediction when the request carries a body or a `Content-Type` (the original's
    /// protocol), else the model's metadata.
    @Sendable func getModel(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let hasBody = (request.headers[.contentLength].map { $0 != "0" } ?? false) || request.headers[.transferEncoding] != nil
        if hasBody || request.hasContentType { return try await predict(request, context, status: .accepted) }
        let id = try context.modelID()
        guard let record = try await store.record(id) else { throw ProblemError.modelNotFound }
        return .json(ModelDocument.metadata(id: id, record: record))
    }

    @Sendable func list(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let limit = try Self.integerQuery(request, "limit", default: 50, range: 1...1000)
        let offset = try Self.integerQuery(request, "offset", default: 0, range: 0...Int(Int32.max))
        let page = try await store.list(offset: offset, limit: limit)
        var members: [(String, JSONValue)] = [
            ("models", .array(page.models.map { ModelDocument.listing(id: $0.0, record: $0.1) })),
            ("total", .int(page.total)), ("offset", .int(offset)), ("limit", .int(limit)),
        ]
        members.append(("next", offset + limit < page.total ? .string("/models?offset=\(offset + limit)&limit=\(limit)") : .null))
        return .json(.object(members))
    }

    @Sendable func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try authorize(request)
        let id = try context.modelID()
        guard try await store.delete(id) else { throw ProblemError.modelNotFound }
        cache.remove(id)
        context.logger.info("Model deleted", metadata: ["model_id": "\(id)"])
        return Response(status: .noContent)
    }

    // MARK: Prediction

    func predict(_ request: Request, _ context: BasicRequestContext, status: HTTPResponse.Status) async throws -> Response {
        let id = try context.modelID()
        guard request.hasCSVContentType else { throw ProblemError(.unsupportedMediaType, OriginalMessages.predictionNotCSV) }
        return try await bodies.withBody(of: request, limit: configuration.maxPredictionBytes, limitName: "LOGIT_MAX_PREDICTION_BYTES") { body in
            try await predict(id, body, wantsCSV: request.headers[.accept].map { $0.lowercased().contains("text/csv") } ?? false, status: status)
        }
    }

    private func predict(_ id: ModelID, _ body: ByteBuffer, wantsCSV: Bool, status: HTTPResponse.Status) async throws -> Response {
        guard let state = try await store.state(id) else { throw ProblemError.modelNotFound }
        switch state {
        case .queued, .training:
            return .json(.object([("status", .string(OriginalMessages.training)), ("model_id", .string(id.rawValue)), ("state", .string(state.rawValue))]))
        case .failed:
            let reason = try await store.record(id)?[ModelField.error] ?? "unknown reason"
            throw ProblemError(.conflict, "\(OriginalMessages.failed): this model cannot predict (\(reason)).", extensions: [("status", .string(OriginalMessages.failed))])
        case .ready:
            break
        }
        let model: LogisticModel
        if let cached = cache.get(id) {
            model = cached
        } else {
            guard let loaded = try await store.fittedModel(id) else { throw ProblemError.modelNotFound }
            cache.put(id, loaded)
            model = loaded
        }
        let bytes = try await Self.offload(bytes: body.readableBytes) { () throws -> [UInt8] in
            let rows = try body.withBytes { bytes in try FeatureRows.parse(bytes, featureCount: model.featureCount) }
            let probabilities = model.probabilities(rows.values)
            return wantsCSV ? PredictionDocument.csv(model: model, probabilities: probabilities) : PredictionDocument.json(model: model, probabilities: probabilities)
        }
        let contentType = wantsCSV ? "text/csv; charset=utf-8" : "application/json"
        return Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: Helpers

    static func originalStatus(_ state: ModelState) -> String {
        switch state {
        case .queued, .training: OriginalMessages.training
        case .ready: OriginalMessages.ready
        case .failed: OriginalMessages.failed
        }
    }

    func authorize(_ request: Request) throws {
        guard let token = configuration.apiToken else { return }
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            value.hasPrefix("Bearer ") ? value.dropFirst("Bearer ".count) : nil
        }
        guard let presented, ConstantTime.equal(Array(presented.utf8), Array(token.utf8)) else {
            throw ProblemError(.unauthorized, "This route needs the API token: send Authorization: Bearer <token>.", headers: [.wwwAuthenticate: "Bearer"])
        }
    }

    static func integerQuery(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ProblemError(.badRequest, "query parameter \(name)=\"\(text.prefix(40))\" is not valid: expected a whole number from \(range.lowerBound) to \(range.upperBound)", extensions: [("parameter", .string(name))])
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

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
