/// A problem found in a CSV body: where it is (1-based physical line, 1-based field) and what is wrong.
public struct CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The body has no rows at all (empty, or only blank lines).
        case empty
        /// The body's structure or a value is wrong.
        case malformed
        /// The body is well formed but cannot be trained on (one class, one row).
        case unusable
        /// The body is larger than a configured limit (rows, columns, classes).
        case tooLarge
    }

    public var kind: Kind
    public var line: Int?
    public var field: Int?
    public var reason: String

    public init(_ kind: Kind, line: Int? = nil, field: Int? = nil, _ reason: String) {
        self.kind = kind
        self.line = line
        self.field = field
        self.reason = reason
    }

    /// "line 3, field 2: expected a number, found "abc"".
    public var description: String {
        switch (line, field) {
        case let (line?, field?): "line \(line), field \(field): \(reason)"
        case let (line?, nil): "line \(line): \(reason)"
        default: reason
        }
    }
}
