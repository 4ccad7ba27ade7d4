import Foundation
import Hummingbird
import LogitRedis
import NIOCore

extension Request {
    /// True when `Content-Type` is `text/csv` (parameters such as `charset` allowed).
    var hasCSVContentType: Bool {
        guard let value = headers[.contentType] else { return false }
        let mediaType = value.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "text/csv"
    }

    var hasContentType: Bool { headers[.contentType] != nil }

    /// The query items in order, percent-decoded.
    var queryItems: [(name: String, value: String)] {
        uri.queryParameters.map { (String($0.key), String($0.value)) }
    }
}

extension BasicRequestContext {
    /// The `{id}` path parameter, validated as a model id; 404 with the original text when it is not one.
    func modelID() throws -> ModelID {
        guard let text = parameters.get("id"), let id = ModelID(validating: text) else { throw ProblemError.modelNotFound }
        return id
    }
}

extension ByteBuffer {
    /// The readable bytes, without copying, for the duration of `body`.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try withUnsafeReadableBytes { raw in try body(raw.bindMemory(to: UInt8.self)) }
    }
}
