import Foundation
import Hummingbird
import LogitRedis
import NIOCore

extension Request {
    /// The `Content-Type` without parameters, lowercased (`text/csv; charset=utf-8` → `text/csv`); empty when absent.
    var mediaType: String {
        guard let value = headers[.contentType] else { return "" }
        // On the bytes: Foundation's `trimmingCharacters(in:)` made this 7 % of a 1-row prediction in `perf`.
        var bytes = value.utf8.prefix { $0 != UInt8(ascii: ";") }[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
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
