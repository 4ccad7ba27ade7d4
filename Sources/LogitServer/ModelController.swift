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
    /// Every route's `{id}`: an id or a name reference.
    let resolver: ModelResolver

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.post(RouterPath(APIPath.models), use: train)
        routes.get(RouterPath(APIPath.models), use: list)
        routes.get(RouterPath(APIPath.model), use: getModel)
        routes.delete(RouterPath(APIPath.model), use: delete)
        routes.post(RouterPath(APIPath.predict)) { request, context in try await predict(request, context, status: .ok) }
        routes.get(RouterPath(APIPath.checkStatus), use: status)
        routes.post(RouterPath(APIPath.checkStatus), use: status)
        routes.post(RouterPath(APIPath.evaluate), use: evaluate)
        routes.get(RouterPath(APIPath.modelVersions), use: versions)
        routes.put(RouterPath(APIPath.alias), use: setAlias)
        routes.delete(RouterPath(APIPath.alias), use: removeAlias)
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
        let name = try Self.nameQuery(request)
        let limits = configuration.csvLimits
        let id = ModelID.generate()
        let clock = ContinuousClock()
        let started = clock.now
        let record = try await bodies.withBody(of: request, limit: configuration.maxTrainingBytes, limitName: "LOGIT_MAX_TRAINING_BYTES") { body in
            context.logger.debug(
                "Training body received", metadata: ["bytes": "\(body.readableBytes)", "seconds": "\((clock.now - started) / .seconds(1))"])
            // The whole body is validated before the job is queued, off the request's thread when large. A large
            // body is parsed in parts whose rows go to Redis as they are read (`TrainingMatrix`: the worker does not
            // parse it again); the others are validated while their CSV goes to Redis. A body that fails leaves
            // nothing behind.
            let settle: @Sendable (TrainingSet.Shape) throws -> ModelRecord = { shape in
                try HoldoutSplit.check(labels: shape.labels, classes: shape.classes, fraction: parameters.validationFraction, seed: parameters.seed)
                return ModelRecord.queued(
                    parameters: parameters.settlingDefaults(query: queryItems, rowCount: shape.rowCount, featureCount: shape.featureCount),
                    format: format, shape: ModelRecord.DataShape(shape), warnings: shape.warnings, createdAt: Timestamp.nowDate(), name: name)
            }
            return try await repository.create(
                id, data: body,
                readingInParts: { deliver in
                    let read = try await Self.offload(bytes: body.readableBytes) {
                        try body.withBytes { bytes in try TrainingSet.parseInParts(bytes, format: format, limits: limits, deliver: deliver) }
                    }
                    return try read.map { shape in (try settle(shape), shape.labels) }
                },
                validatedBy: {
                    let shape = try await Self.offload(bytes: body.readableBytes) {
                        try body.withBytes { bytes in try TrainingSet.validate(bytes, format: format, limits: limits) }
                    }
                    return try settle(shape)
                })
        }
        context.logger.info(
            "Training job queued",
            metadata: [
                "model_id": "\(id)", "rows": "\(record.shape.sampleCount)", "features": "\(record.shape.featureCount)",
                "seconds": "\((clock.now - started) / .seconds(1))", "name": "\(record.name?.rawValue ?? "")", "version": "\(record.version ?? 0)",
            ])
        let accepted = TrainingAccepted(modelID: id.rawValue, name: record.name?.rawValue, version: record.version)
        return EditedResponse(status: .created, headers: [.location: accepted.modelURL], response: accepted)
    }

    // MARK: Status and metadata

    @Sendable func status(_ request: Request, _ context: BasicRequestContext) async throws -> StatusResponse {
        let id = try await resolver.resolve(context).id
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
        let id = try await resolver.resolve(context).id
        let record = try await waitingForChange(request, id, read: { try await repository.record(id) }, state: \.state)
        return try ModelMetadata(id: id, record: record).response(from: request, context: context)
    }

    @Sendable func list(_ request: Request, _ context: BasicRequestContext) async throws -> ModelListing {
        let limit = try Self.integerQuery(request, "limit", default: 50, range: 1...1000)
        let offset = try Self.integerQuery(request, "offset", default: 0, range: 0...Int(Int32.max))
        let name = try Self.nameQuery(request)
        let page = try await repository.list(offset: offset, limit: limit, name: name)
        return ModelListing(
            models: page.models.map { ModelListing.Item(id: $0.id, record: $0.record) }, total: page.total, offset: offset, limit: limit,
            name: name?.rawValue)
    }

    /// 409 naming the alias when an alias points at the version.
    @Sendable func delete(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        try authorize(request)
        let model = try await resolver.resolve(context)
        switch try await repository.delete(model.id) {
        case .deleted:
            break
        case .notFound:
            throw ProblemError.modelNotFound
        case .aliased(let alias):
            let record = try await repository.record(model.id)
            let name = record?.name?.rawValue ?? "its name"
            throw ProblemError(
                .conflict,
                "Version \(record?.version ?? model.version ?? 0) of \(name) cannot be deleted: the alias \"\(alias)\" points at it. Move the alias to another version (PUT \(APIPath.alias(name: name, alias: alias.rawValue))) or delete it first."
            )
        }
        models.remove(model.id)
        context.logger.info("Model deleted", metadata: ["model_id": "\(model.id)"])
        return Response(status: .noContent).naming(model)
    }

    // MARK: Registry

    /// `GET /models/{name}/versions`: 404 when the name has no version.
    @Sendable func versions(_ request: Request, _ context: BasicRequestContext) async throws -> ModelVersionList {
        let name = try Self.pathName(context)
        guard let found = try await repository.versions(of: name) else { throw ProblemError.unknownName(name) }
        return ModelVersionList(found)
    }

    /// `PUT /models/{name}/aliases/{alias}` `{"version": N}`: only a ready version; under the API token when one is set.
    @Sendable func setAlias(_ request: Request, _ context: BasicRequestContext) async throws -> AliasAssignment {
        try authorize(request)
        let name = try Self.pathName(context)
        let alias = try Self.pathAlias(context)
        let body = try await request.body.collect(upTo: Self.aliasBodyLimit)
        guard let wanted = try? JSONDecoder().decode(AliasRequest.self, from: Data(body.readableBytesView)), wanted.version >= 1 else {
            throw ProblemError(
                .badRequest, "The body must be JSON {\"version\": N} with N a version of \(name) (a whole number from 1).", parameter: "version")
        }
        switch try await repository.setAlias(alias, of: name, version: wanted.version) {
        case .set(let id, let previous):
            context.logger.info(
                "Alias set", metadata: ["name": "\(name)", "alias": "\(alias)", "version": "\(wanted.version)", "model_id": "\(id)"])
            return AliasAssignment(
                name: name.rawValue, alias: alias.rawValue, version: wanted.version, modelID: id.rawValue, previousVersion: previous)
        case .unknownVersion:
            throw ProblemError(
                .notFound,
                "\(OriginalMessages.modelNotFound) \(name) has no version \(wanted.version) (see GET \(APIPath.filled(APIPath.modelVersions, id: name.rawValue))).",
                parameter: "version")
        case .notReady(let state):
            throw ProblemError(
                .conflict, "Version \(wanted.version) of \(name) is \(state.rawValue): an alias can point only at a ready version.",
                modelStatus: OriginalMessages.status(state), state: state)
        }
    }

    @Sendable func removeAlias(_ request: Request, _ context: BasicRequestContext) async throws -> HTTPResponse.Status {
        try authorize(request)
        let name = try Self.pathName(context)
        let alias = try Self.pathAlias(context)
        guard try await repository.removeAlias(alias, of: name) else { throw ProblemError.unknownAlias(alias, of: name) }
        context.logger.info("Alias deleted", metadata: ["name": "\(name)", "alias": "\(alias)"])
        return .noContent
    }

    /// An alias body is one small JSON object.
    static let aliasBodyLimit = 4096

    /// The `{id}` of a registry route, which is a name: 404 when it cannot be one.
    static func pathName(_ context: BasicRequestContext) throws -> ModelName {
        let text = context.pathParameter("id") ?? ""
        guard let name = ModelName(validating: text) else {
            throw ProblemError(.notFound, "\(OriginalMessages.modelNotFound) \"\(text.prefix(70))\" is not a model name (\(ModelName.rule)).")
        }
        return name
    }

    static func pathAlias(_ context: BasicRequestContext) throws -> AliasName {
        let text = context.pathParameter("alias") ?? ""
        guard let alias = AliasName(validating: text) else {
            throw ProblemError(
                .badRequest, "alias \"\(text.prefix(70))\" is not valid: expected \(AliasName.rule) (a number would read as a version).",
                parameter: "alias")
        }
        return alias
    }

    /// `?name=`: 400 naming it when it is not a valid name.
    static func nameQuery(_ request: Request) throws -> ModelName? {
        guard let text = request.uri.queryParameters.get("name") else { return nil }
        guard let name = ModelName(validating: text) else {
            throw ProblemError(
                .badRequest, "query parameter name=\"\(text.prefix(70))\" is not valid: expected \(ModelName.rule)", parameter: "name")
        }
        return name
    }

    // MARK: Prediction

    /// A prediction: CSV rows (headerless in feature order, or with a header naming the features in any order, and
    /// `passthrough=` columns copied to CSV output), or JSON instances. `status` is 202 for the original's `GET` and
    /// 200 for `POST …/predict`; a model not ready yet is the original's 200 "Model is Training" on `GET` and a 409
    /// with its state on `POST`.
    func predict(_ request: Request, _ context: BasicRequestContext, status: HTTPResponse.Status) async throws -> Response {
        let resolved = try await resolver.resolve(context)
        let id = resolved.id
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
                return try StatusResponse(modelID: id.rawValue, state: state).response(from: request, context: context).naming(resolved)
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
                .naming(resolved)
        }
    }

    // MARK: Evaluation

    /// The ready model's metrics on a labelled CSV, read as training reads it (`header=`, `label=`, `delimiter=`):
    /// 415 for another type, 400 with line and field for a malformed body or the wrong number of features, 422 for a
    /// label the model does not know (or fewer than 2 rows or 2 classes, as training). Nothing is stored.
    @Sendable func evaluate(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let resolved = try await resolver.resolve(context)
        let tabSeparated = request.mediaType == "text/tab-separated-values"
        guard request.hasCSVContentType || tabSeparated else {
            throw ProblemError(
                .unsupportedMediaType,
                "Please post labelled rows in csv format: Content-Type text/csv (or text/tab-separated-values), laid out as for training (header=, label=, delimiter=)."
            )
        }
        let format = try CSVFormat.parse(query: request.queryItems, tabSeparated: tabSeparated)
        let limits = configuration.csvLimits
        let evaluation = try await bodies.withBody(of: request, limit: configuration.maxTrainingBytes, limitName: "LOGIT_MAX_TRAINING_BYTES") {
            body in
            let model = try await models.ready(resolved.id, to: "be evaluated")
            return try await Self.offload(bytes: body.readableBytes) { () throws -> ModelEvaluation in
                let set = try body.withBytes { bytes in try TrainingSet.parse(bytes, format: format, limits: limits) }
                guard set.featureCount == model.featureCount else {
                    throw ProblemError(
                        .badRequest, "The rows have \(set.featureCount) features besides the label; the model takes \(model.featureCount).", line: 1)
                }
                let mapping = try set.classes.map { label in
                    guard let index = ModelClasses.index(of: label, in: model.classes) else {
                        throw ProblemError(
                            .unprocessableContent,
                            "The label \"\(label.prefix(60))\" is not one of the model's classes (\(model.classes.prefix(20).joined(separator: ", ")))."
                        )
                    }
                    return index
                }
                let metrics = model.metrics(raw: set.features, labels: set.labels.map { mapping[Int($0)] })
                return ModelEvaluation(modelID: resolved.id.rawValue, version: resolved.version, metrics: metrics)
            }
        }
        return try evaluation.response(from: request, context: context).naming(resolved)
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
