import Hummingbird
import LogitAPI
import LogitCore
import LogitONNX
import LogitRedis
import NIOCore

/// Models that leave the service: `GET /models/{id}/export?format=onnx|json`.
struct ExportController: Sendable {
    let models: ReadyModels
    let resolver: ModelResolver

    var routes: RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        routes.get(RouterPath(APIPath.export), use: export)
        return routes
    }

    /// The ready model as ONNX (`ONNXExport`) or as the `ModelExport` document. 400 for a missing or unknown
    /// `format`, 404 for no such model, 409 while it is queued or training or when it failed.
    @Sendable func export(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let resolved = try await resolver.resolve(context)
        let id = resolved.id
        let format = try Self.format(request)
        let model = try await models.ready(id, to: "be exported")
        switch format {
        case .json:
            return try ModelExport(modelID: id.rawValue, model: model).response(from: request, context: context).naming(resolved)
        case .onnx:
            let bytes = try ONNXExport.serialized(model, name: id.rawValue)
            return Response(
                status: .ok,
                headers: [.contentType: format.mediaType, .contentDisposition: "attachment; filename=\"\(id.rawValue).onnx\""],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
            ).naming(resolved)
        }
    }

    static func format(_ request: Request) throws -> ExportFormat {
        let expected = ExportFormat.allCases.map(\.rawValue).joined(separator: " or ")
        guard let text = request.uri.queryParameters.get("format") else {
            throw ProblemError(.badRequest, "query parameter format is required: \(expected)", parameter: "format")
        }
        guard let format = ExportFormat(rawValue: text) else {
            throw ProblemError(.badRequest, "query parameter format=\"\(text.prefix(40))\" is not valid: expected \(expected)", parameter: "format")
        }
        return format
    }
}

extension ModelExport: JSONResponse {}
