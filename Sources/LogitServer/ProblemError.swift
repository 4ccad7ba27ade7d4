import Hummingbird

/// An error answered as RFC 9457 `application/problem+json`: `type`, `title`, `status`, `detail`, plus extension
/// members (e.g. `line`, `field`, `parameter`). Every expected failure becomes one of these, in one place per cause.
public struct ProblemError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let detail: String
    public var extensions: [(String, JSONValue)]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ detail: String, extensions: [(String, JSONValue)] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body: JSONValue = .object(
            [
                ("type", .string("about:blank")),
                ("title", .string(status.reasonPhrase)),
                ("status", .int(status.code)),
                ("detail", .string(detail)),
            ] + extensions)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.serialized())))
    }
}

/// The original service's texts, word for word: its clients match on them.
public enum OriginalMessages {
    public static let modelNotFound = "The model id you supplied either doesn't exist or the model_id provided is wrong."
    public static let trainingNotCSV = "Please post data in csv format, and make sure the label column is the last column in the csv."
    public static let predictionNotCSV = "Please post data in csv format."
    public static let training = "Model is Training"
    public static let ready = "Ready to Use"
    public static let failed = "Training Failed"
}

extension ProblemError {
    static var modelNotFound: ProblemError { ProblemError(.notFound, OriginalMessages.modelNotFound) }
}
