/// Receives the fields of a CSV body as `CSVScanner` finds them, without a `String` per field.
public protocol CSVVisitor {
    /// One field's bytes (quotes removed, `""` unescaped), its physical line and 0-based index in the record.
    mutating func field(_ bytes: UnsafeBufferPointer<UInt8>, quoted: Bool, line: Int, index: Int) throws(CSVError)
    /// The end of a record that started on `line` and had `fieldCount` fields.
    mutating func endRecord(line: Int, fieldCount: Int) throws(CSVError)
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

    /// Scans `data`, fields separated by `delimiter` (a comma by default).
    public static func scan(
        _ data: UnsafeBufferPointer<UInt8>, delimiter comma: UInt8 = UInt8(ascii: ","), into visitor: inout some CSVVisitor
    ) throws(CSVError) {
        guard let base = data.baseAddress, data.count > 0 else { return }
        let end = data.count
        var position = 0
        if end >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF { position = 3 }
        var line = 1
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
