import Foundation
import Hummingbird
import LogitAPI

/// The response documents, returned from handlers as they are and written as JSON with sorted keys (Foundation's
/// encoder on Linux does not keep declaration order; sorted is at least stable) and unescaped slashes (`/models/…`).
protocol JSONResponse: ResponseGenerator, Encodable {}

extension JSONResponse {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try APIJSON.encode(self))))
    }
}

enum APIJSON {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

extension TrainingAccepted: JSONResponse {}
extension StatusResponse: JSONResponse {}
extension ModelMetadata: JSONResponse {}
extension ModelListing: JSONResponse {}
extension AliveMessage: JSONResponse {}
extension HealthStatus: JSONResponse {}
extension ModelVersionList: JSONResponse {}
extension AliasAssignment: JSONResponse {}
extension ModelEvaluation: JSONResponse {}
