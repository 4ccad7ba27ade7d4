import HTTPTypes
import Hummingbird
import LogitAPI
import LogitCore
import LogitRedis

/// The Open Inference Protocol (KServe v2; Triton's HTTP protocol), so that its clients can call a model unchanged:
/// health, model metadata and readiness, and inference. Errors are that protocol's `{"error": "…"}` (`ProblemError`
/// renders them so under `APIPath.inferenceProtocolPrefix`), with the statuses of the rest of the API: 400 for a bad
/// request, 404 for no such model, 409 for a model that is not ready (queued, training or failed), 503 when Redis is
/// unavailable.
///
/// A model's protocol name is its reference in the path as the client wrote it (an id, `churn`, `churn@2`,
/// `churn@production`); answers give the resolved version as `model_version` (and the `Logit-Model-ID` header).
struct InferenceProtocolController: Sendable {
    let configuration: APIConfiguration
    let repository: any ModelRepository
    let bodies: BodyBudget
    let models: ReadyModels
    let resolver: ModelResolver

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get(RouterPath(APIPath.inferenceServer)) { _, _ in InferenceServerMetadata(version: OpenAPIDocument.version) }
        routes.get(RouterPath(APIPath.inferenceLive)) { _, _ in InferenceServerLive(live: true) }
        routes.get(RouterPath(APIPath.inferenceReady)) { _, _ in
            guard await repository.ping() else {
                throw ProblemError(.serviceUnavailable, "Not ready: Redis at \(repository.location) does not answer.", headers: [.retryAfter: "1"])
            }
            return InferenceServerReady(ready: true)
        }
        routes.get(RouterPath(APIPath.inferenceModel), use: metadata)
        routes.get(RouterPath(APIPath.inferenceModelReady), use: modelReady)
        routes.post(RouterPath(APIPath.infer), use: infer)
        return routes
    }

    /// The model's inputs and outputs, from its record: known from the moment it is queued.
    @Sendable func metadata(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let resolved = try await resolver.resolve(context)
        guard let record = try await repository.record(resolved.id) else { throw ProblemError.modelNotFound }
        return try InferenceModelMetadata(
            name: resolved.reference.description, versions: record.version.map { [String($0)] }, featureCount: record.shape.featureCount,
            classCount: record.shape.classes.count
        ).response(from: request, context: context).naming(resolved)
    }

    /// 200 when the model can infer; 409 (with its state) when it cannot yet or failed.
    @Sendable func modelReady(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let resolved = try await resolver.resolve(context)
        _ = try await models.ready(resolved.id, to: "infer")
        return try InferenceModelReady(name: resolved.reference.description, ready: true).response(from: request, context: context).naming(resolved)
    }

    /// Labels and probabilities for an `[n, d]` tensor of raw features: the prediction route's computation
    /// (`LogisticModel.probabilities`), in the protocol's tensors.
    @Sendable func infer(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let resolved = try await resolver.resolve(context)
        let id = resolved.id
        guard request.mediaType.isEmpty || request.mediaType == "application/json" else {
            throw ProblemError(
                .unsupportedMediaType, "Content-Type \(request.mediaType) is not accepted: send application/json (an inference request).")
        }
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw ProblemError(.unsupportedMediaType, "Content-Encoding \(encoding.prefix(20)) is not accepted: send the request uncompressed.")
        }
        let headerLength = request.headers[Self.inferenceHeaderContentLength]
        let answer = try await bodies.withBody(of: request, limit: configuration.maxPredictionBytes, limitName: "LOGIT_MAX_PREDICTION_BYTES") {
            body in
            let model = try await models.ready(id, to: "infer")
            return try await ModelController.offload(bytes: body.readableBytes) {
                let input = try InferenceInput(body: body, headerLength: headerLength, featureCount: model.featureCount)
                let probabilities = model.probabilities(input.features.values)
                let labels = model.predictedClasses(probabilities: probabilities).map { model.classes[$0] }
                let all = InferenceResponse.outputs(labels: labels, probabilities: probabilities, classCount: model.classes.count)
                let outputs = input.outputs.compactMap { name in all.first { $0.name == name } }
                return InferenceResponse(
                    modelName: resolved.reference.description, modelVersion: resolved.version.map(String.init), id: input.request.id, outputs: outputs
                )
            }
        }
        return try answer.response(from: request, context: context).naming(resolved)
    }

    /// Triton's binary tensor data extension: the byte count of the JSON that begins the body.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")!
}

extension InferenceServerMetadata: JSONResponse {}
extension InferenceServerLive: JSONResponse {}
extension InferenceServerReady: JSONResponse {}
extension InferenceModelReady: JSONResponse {}
extension InferenceModelMetadata: JSONResponse {}
extension InferenceResponse: JSONResponse {}
