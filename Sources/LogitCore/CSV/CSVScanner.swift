/// Receives the fields of a CSV body as `CSVScanner` finds them, without a `String` per field.
public protocol CSVVisitor {
    /// One field's bytes (quotes removed, `""` unescaped), its physical line and 0-based index in the record.
    mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, index: Int) throws(CSVError)
    /// The end of a record that started on `line` and had `fieldCount` fields.
    mutating func endRecord(line: Int, fieldCount: Int) throws(CSVError)
    /// A chance to read an unquoted field in place, where it starts (at `start`, before any spaces): the position
    /// of the byte that ended it (a delimiter, a newline, `\r\n`, or `end`), or nil to have the scanner find the
    /// field and pass it to `field(_:quoted:line:index:)`.
    mutating func readUnquotedField(
        _ base: UnsafePointer<UInt8>, from start: Int, end: Int, delimiter: UInt8, line: Int, index: Int
    ) throws(CSVError) -> Int?
}

extension CSVVisitor {
    public mutating func readUnquotedField(
        _ base: UnsafePointer<UInt8>, from start: Int, end: Int, delimiter: UInt8, line: Int, index: Int
    ) throws(CSVError) -> Int? { nil }
}

/// An RFC 4180 scanner over raw bytes: quoted fields (with `""` and embedded newlines), `\n` or `\r\n`,
/// an optional trailing newline, an optional UTF-8 BOM; blank (empty or whitespace-only) lines are skipped.
///
/// It is hand-written rather than a general CSV library because training bodies are hundreds of MB of numbers:
/// it allocates nothing per field (quoted fields with `""` reuse one scratch buffer).
public enum CSVScanner {
    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    /// Scans `data`, fields separated by `delimiter` (a comma by default). A part of a body that starts at a record
    /// boundary is scanned with `isStartOfBody` false (no byte order mark there) and its first `line`.
    public static func scan(
        _ data: UnsafeBufferPointer<UInt8>, delimiter comma: UInt8 = UInt8(ascii: ","), isStartOfBody: Bool = true, line firstLine: Int = 1,
        into visitor: inout some CSVVisitor
    ) throws(CSVError) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        let end = data.count
        var position = 0
        if isStartOfBody && end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { position = 3 }
        var line = firstLine
        var scratch: [UInt8] = []

        while position < end {
            // Skip a blank line: only spaces or tabs, then a newline or the end.
            var probe = position
            while probe < end && (base[probe] == space || base[probe] == tab) { probe += 1 }
            if probe == end { return }
            if base[probe] == newline || (base[probe] == carriageReturn && probe + 1 < end && base[probe + 1] == newline) {
                position = probe + (base[probe] == newline ? 1 : 2)
                line += 1
                continue
            }

            let recordLine = line
            var index = 0
            recordLoop: while true {
                // One field starts at `position`.
                var fieldStart = position
                while fieldStart < end && (base[fieldStart] == space || base[fieldStart] == tab) { fieldStart += 1 }
                if fieldStart < end && base[fieldStart] == quote {
                    let openedOn = line
                    var cursor = fieldStart + 1
                    scratch.removeAll(keepingCapacity: true)
                    var segmentStart = cursor
                    var closed = false
                    while cursor < end {
                        let byte = base[cursor]
                        if byte == quote {
                            if cursor + 1 < end && base[cursor + 1] == quote {
                                scratch.append(contentsOf: UnsafeBufferPointer(start: base + segmentStart, count: cursor + 1 - segmentStart))
                                cursor += 2
                                segmentStart = cursor
                                continue
                            }
                            closed = true
                            break
                        }
                        if byte == newline { line += 1 }
                        cursor += 1
                    }
                    guard closed else {
                        throw CSVError(.malformed, line: openedOn, field: index + 1, "quoted field is never closed")
                    }
                    scratch.append(contentsOf: UnsafeBufferPointer(start: base + segmentStart, count: cursor - segmentStart))
                    cursor += 1  // the closing quote
                    // Spaces (and tabs, unless they separate fields) may follow the closing quote.
                    while cursor < end && (base[cursor] == space || (base[cursor] == tab && comma != tab)) { cursor += 1 }
                    if cursor < end && base[cursor] != comma && base[cursor] != newline
                        && !(base[cursor] == carriageReturn && cursor + 1 < end && base[cursor + 1] == newline)
                    {
                        throw CSVError(.malformed, line: line, field: index + 1, "unexpected character after a closing quote")
                    }
                    try scratch.withUnsafeBufferPointer { (bytes) throws(CSVError) in
                        try visitor.field(bytes, quoted: true, line: recordLine, index: index)
                    }
                    position = cursor
                } else if let fieldEnd = try visitor.readUnquotedField(
                    base, from: position, end: end, delimiter: comma, line: recordLine, index: index)
                {
                    position = fieldEnd
                } else {
                    var cursor = position
                    while cursor < end {
                        let byte = base[cursor]
                        if byte == comma || byte == newline { break }
                        if byte == carriageReturn && cursor + 1 < end && base[cursor + 1] == newline { break }
                        if byte == quote {
                            throw CSVError(
                                .malformed, line: line, field: index + 1,
                                "a quote inside an unquoted field (quote the whole field and double the quote)")
                        }
                        cursor += 1
                    }
                    try visitor.field(
                        UnsafeBufferPointer(start: base + position, count: cursor - position), quoted: false, line: recordLine, index: index)
                    position = cursor
                }
                index += 1
                // After a field: a comma (another field follows), a newline, or the end.
                if position == end { break recordLoop }
                switch base[position] {
                case comma:
                    position += 1
                case newline:
                    position += 1
                    line += 1
                    break recordLoop
                default:  // "\r\n"
                    position += 2
                    line += 1
                    break recordLoop
                }
            }
            try visitor.endRecord(line: recordLine, fieldCount: index)
        }
    }
}
