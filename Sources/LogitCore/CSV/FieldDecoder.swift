/// Turns one CSV field into a feature value or a label, with errors that name the line and field.
enum FieldDecoder {
    static func number(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, field: Int) throws(CSVError) -> Double {
        switch DecimalParser.parse(bytes) {
        case .success(let value):
            return value
        case .failure(.notFinite):
            throw CSVError(.malformed, line: line, field: field, "\(quoted(bytes)) is too large to be a finite number")
        case .failure(.notANumber):
            if trimmed(bytes).isEmpty { throw CSVError(.malformed, line: line, field: field, "expected a number, found an empty field") }
            throw CSVError(.malformed, line: line, field: field, "expected a decimal number, found \(quoted(bytes))")
        }
    }

    static func label(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, field: Int) throws(CSVError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CSVError(.malformed, line: line, field: field, "the label is not valid UTF-8")
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" || $0.value == 0x7F }) {
            throw CSVError(.malformed, line: line, field: field, "the label contains a control character")
        }
        return text
    }

    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = bytes.count
        while start < end && DecimalParser.isBlank(bytes[start]) { start += 1 }
        while end > start && DecimalParser.isBlank(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// The field as it would be shown in an error: quoted, at most 40 characters, invalid UTF-8 replaced.
    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        let shown = text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        return "\"\(shown)\(bytes.count > 40 ? "…" : "")\""
    }
}
