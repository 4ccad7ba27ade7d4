import Foundation
import Hummingbird
import LogitRedis
import NIOCore

extension Request {
    /// The `Content-Type` without parameters, lowercased (`text/csv; charset=utf-8` → `text/csv`); empty when absent.
    var mediaType: String {
        guard let value = headers[.contentType] else { return "" }
        return (value.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// True when `Content-Type` is `text/csv` (parameters such as `charset` allowed).
    var hasCSVContentType: Bool { mediaType == "text/csv" }

    var hasContentType: Bool { headers[.contentType] != nil }

    /// The query items in order, percent-decoded.
    var queryItems: [(name: String, value: String)] {
        uri.queryParameters.map { (String($0.key), String($0.value)) }
    }
}

extension ByteBuffer {
    /// The readable bytes, without copying, for the duration of `body`.
    func withBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try withUnsafeReadableBytes { raw in try body(raw.bindMemory(to: UInt8.self)) }
    }
}
