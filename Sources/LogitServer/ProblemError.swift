import Foundation
import Hummingbird
import LogitAPI
import LogitCore

/// An error answered as RFC 9457 `application/problem+json` (the `Problem` document). Every expected failure
/// becomes one of these, in one place per cause.
public struct ProblemError: HTTPResponseError, Sendable {
    public var problem: Problem
    public var headers: HTTPFields

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: problem.status) }

    public init(
        _ status: HTTPResponse.Status, _ detail: String, line: Int? = nil, field: Int? = nil, parameter: String? = nil,
        modelStatus: String? = nil, state: ModelState? = nil, headers: HTTPFields = [:]
    ) {
        self.problem = Problem(
            status: status.code, title: status.reasonPhrase, detail: detail, line: line, field: field, parameter: parameter,
            modelStatus: modelStatus, state: state)
        self.headers = headers
    }

    /// The problem document; on the Open Inference Protocol's routes (`APIPath.inferenceProtocolPrefix`), that
    /// protocol's error shape instead (`InferenceError`: the detail alone, as `error`), with the same status.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        let body: Data
        if request.uri.path == APIPath.inferenceServer || request.uri.path.hasPrefix(APIPath.inferenceProtocolPrefix) {
            headers[.contentType] = "application/json"
            body = try APIJSON.encode(InferenceError(error: problem.detail))
        } else {
            headers[.contentType] = "application/problem+json"
            body = try APIJSON.encode(problem)
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension ProblemError {
    static var modelNotFound: ProblemError { ProblemError(.notFound, OriginalMessages.modelNotFound) }
}
