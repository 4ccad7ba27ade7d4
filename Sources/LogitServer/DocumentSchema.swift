import Foundation
import LogitAPI

/// JSON Schemas of the response documents, derived from their examples: what `OpenAPIDocument` publishes.
enum DocumentSchema {
    static func of<T: APIResponse>(_ type: T.Type) -> JSONValue {
        schema(of: json(T.example), minimal: json(T.minimalExample))
    }

    /// A decoded JSON value, for reading an encoded example back.
    indirect enum Value: Decodable {
        case null, bool(Bool), number(Double), string(String), array([Value]), object([String: Value])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else if let value = try? container.decode([Value].self) {
                self = .array(value)
            } else {
                self = .object(try container.decode([String: Value].self))
            }
        }
    }

    static func json(_ value: some Encodable) -> Value {
        // Examples are plain data: encoding and reading back cannot fail.
        try! JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value))
    }

    /// The schema of `value`; an object's required members are those present in `minimal` (the same place in the
    /// minimal example), none when the minimal example has nothing there.
    static func schema(of value: Value, minimal: Value?) -> JSONValue {
        switch value {
        case .null: return .object([("type", "null")])
        case .bool: return .object([("type", "boolean")])
        // JSON does not tell 1.0 from 1, so numbers are documented as `number` (integers are numbers too).
        case .number: return .object([("type", "number")])
        case .string: return .object([("type", "string")])
        case .array(let elements):
            // Each element's schema, against the minimal example's element at the same place (else its first); elements
            // of different shapes (an inference response's string and number tensors) make `items` a `oneOf`.
            var minimalElements: [Value] = []
            if case .array(let present)? = minimal { minimalElements = present }
            var items: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                let item = schema(of: element, minimal: index < minimalElements.count ? minimalElements[index] : minimalElements.first ?? element)
                if !items.contains(item) { items.append(item) }
            }
            var members: [(String, JSONValue)] = [("type", "array")]
            if items.count == 1 {
                members.append(("items", items[0]))
            } else if items.count > 1 {
                members.append(("items", .object([("oneOf", .array(items))])))
            }
            return .object(members)
        case .object(let properties):
            var minimalProperties: [String: Value] = [:]
            if case .object(let present)? = minimal { minimalProperties = present }
            let names = properties.keys.sorted()
            var members: [(String, JSONValue)] = [
                ("type", "object"),
                ("properties", .object(names.map { ($0, schema(of: properties[$0]!, minimal: minimalProperties[$0])) })),
            ]
            let required = names.filter { minimalProperties[$0] != nil }
            if !required.isEmpty { members.append(("required", .array(required.map { .string($0) }))) }
            return .object(members)
        }
    }
}
