/// A JSON value written straight to bytes, keys in the order given.
///
/// Hand-rolled rather than `JSONEncoder` because responses mix fixed keys, values already stored as JSON in
/// Redis (`.raw`, spliced without decoding), and large probability matrices written without intermediate objects.
public indirect enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Text that is already valid JSON.
    case raw(String)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized() == rhs.serialized() }

    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        write(to: &output)
        return output
    }

    public func write(to output: inout [UInt8]) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let value): output += Array((value ? "true" : "false").utf8)
        case .int(let value): output += Array(String(value).utf8)
        case .number(let value): JSONWriter.number(value, to: &output)
        case .string(let value): JSONWriter.string(value, to: &output)
        case .raw(let text): output += Array(text.utf8)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                JSONWriter.string(key, to: &output)
                output.append(UInt8(ascii: ":"))
                value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}

enum JSONWriter {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Shortest text that reads back as the same Double; non-finite values (never produced by the trainer) as null.
    static func number(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: "null".utf8)
            return
        }
        // Appended from the text's own bytes: an `Array` of them first cost an allocation per number (with the
        // `String`'s own, half of a 100-row prediction's time in `perf` went to retain, release and free).
        if value == value.rounded(), abs(value) < 1e15 {
            output.append(contentsOf: String(Int64(value)).utf8)  // integral values without ".0" (−0 as 0)
            return
        }
        output.append(contentsOf: value.description.utf8)
    }

    static func string(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [0x5C, 0x22]
            case UInt8(ascii: "\\"): output += [0x5C, 0x5C]
            case UInt8(ascii: "\n"): output += [0x5C, UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): output += [0x5C, UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): output += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20:
                output += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
