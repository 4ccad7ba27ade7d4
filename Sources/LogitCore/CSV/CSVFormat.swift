/// How a training body is laid out: whether its first row names the columns, which column is the label, and what
/// separates fields. Set by `POST /models?header=…&label=…&delimiter=…` and stored with the model's parameters, so
/// the worker reads the body as the API validated it.
public struct CSVFormat: Codable, Sendable, Equatable {
    public enum Header: String, Codable, Sendable, CaseIterable {
        /// The first row is a header when none of its feature fields is a number.
        case auto
        case present = "true"
        case absent = "false"
    }

    public enum Delimiter: String, Codable, Sendable, CaseIterable {
        case comma, semicolon, tab, pipe

        public var byte: UInt8 {
            switch self {
            case .comma: UInt8(ascii: ",")
            case .semicolon: UInt8(ascii: ";")
            case .tab: UInt8(ascii: "\t")
            case .pipe: UInt8(ascii: "|")
            }
        }
    }

    /// Which column holds the label.
    public enum LabelColumn: Sendable, Equatable, Codable, CustomStringConvertible {
        case last, first
        /// A 0-based column index.
        case index(Int)
        /// A column named in the header.
        case name(String)

        /// `last`, `first`, a whole number (an index), or anything else (a name).
        public init(_ text: String) {
            switch text {
            case "last": self = .last
            case "first": self = .first
            default: self = Int(text).map { $0 >= 0 ? .index($0) : .name(text) } ?? .name(text)
            }
        }

        public var description: String {
            switch self {
            case .last: "last"
            case .first: "first"
            case .index(let index): String(index)
            case .name(let name): name
            }
        }

        public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    public var header: Header = .auto
    public var label: LabelColumn = .last
    public var delimiter: Delimiter = .comma

    public init(header: Header = .auto, label: LabelColumn = .last, delimiter: Delimiter = .comma) {
        self.header = header
        self.label = label
        self.delimiter = delimiter
    }

    /// The query parameters that set it.
    public static let names = ["header", "label", "delimiter"]

    /// Reads the format from query items (others are ignored); `tabSeparated` when the body's type is
    /// `text/tab-separated-values`, which means tab unless `delimiter` says otherwise.
    public static func parse(query: [(name: String, value: String)], tabSeparated: Bool = false) throws(ParameterError) -> CSVFormat {
        var format = CSVFormat(delimiter: tabSeparated ? .tab : .comma)
        for (name, value) in query {
            let text = String(value.trimmingSpaces)
            switch name {
            case "header":
                guard let header = Header(rawValue: text.lowercased()) else { throw ParameterError(name, value, "auto, true or false") }
                format.header = header
            case "label":
                guard !text.isEmpty else { throw ParameterError(name, value, "last, first, a column name or a 0-based column index") }
                format.label = LabelColumn(text)
            case "delimiter":
                guard let delimiter = Delimiter(rawValue: text.lowercased()) else {
                    throw ParameterError(name, value, "comma, semicolon, tab or pipe")
                }
                format.delimiter = delimiter
            default:
                continue
            }
        }
        return format
    }
}
