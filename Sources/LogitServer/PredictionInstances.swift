import Foundation
import Hummingbird
import LogitAPI
import LogitCore
import NIOCore

/// Feature rows from a JSON prediction (`PredictionRequest`): arrays in the model's feature order, or objects naming
/// the features (the model must have been trained on a headered CSV). Errors name the instance.
enum PredictionInstances {
    static func rows(_ body: ByteBuffer, model: LogisticModel) throws -> FeatureRows {
        if let rows = body.withUnsafeReadableBytes({ NumberArrays.rows($0, featureCount: model.featureCount) }) { return rows }
        return try strictRows(body, model: model)
    }

    /// The `Codable` reading of any prediction request, with its errors: what `NumberArrays` must agree with.
    static func strictRows(_ body: ByteBuffer, model: LogisticModel) throws -> FeatureRows {
        let request: PredictionRequest
        do {
            request = try JSONDecoder().decode(PredictionRequest.self, from: Data(body.readableBytesView))
        } catch {
            throw ProblemError(
                .badRequest,
                "The body is not a prediction request: send {\"instances\": [[x1, x2, …], …]} (numbers in the model's feature order)"
                    + (model.featureNames == nil ? "" : " or {\"instances\": [{\"feature name\": x, …}, …]}") + ".")
        }
        guard !request.instances.isEmpty else { throw ProblemError(.badRequest, "instances is empty: send at least one row") }
        let d = model.featureCount
        var values: [Double] = []
        values.reserveCapacity(request.instances.count * d)
        for (index, instance) in request.instances.enumerated() {
            switch instance {
            case .values(let row):
                guard row.count == d else {
                    throw ProblemError(.badRequest, "instances[\(index)] has \(row.count) values; the model takes \(d) features")
                }
                values += row
            case .named(let named):
                guard let names = model.featureNames else {
                    throw ProblemError(
                        .badRequest,
                        "instances[\(index)] names its features, but this model was trained without a header row: send arrays of \(d) numbers")
                }
                for name in names {
                    guard let value = named[name] else { throw ProblemError(.badRequest, "instances[\(index)] lacks the feature \"\(name)\"") }
                    values.append(value)
                }
            }
        }
        return FeatureRows(values: values, featureCount: d)
    }
}

/// The common JSON prediction, `{"instances": [[x, …], …]}` with every row of the model's width, read straight from
/// the bytes into the matrix: nil for anything else (other members, objects, a wrong width, anything JSON does not
/// allow), which then takes the strict `Codable` path and its errors. Same values as the strict path, bit for bit
/// (numbers are checked against JSON's grammar, then converted correctly rounded by `DecimalParser`, as Foundation
/// does; `PredictionInstancesTests` compares the two on a corpus).
///
/// Why: `JSONDecoder` built a 100,000-row request as 100,000 arrays through Foundation's JSON tree, 0.65 s and about
/// 60 MB for a 3.4 MB body; this reads it in one pass into one array.
enum NumberArrays {
    /// `"instances"` as bytes, made once rather than per request.
    private static let instancesKey = Array(#""instances""#.utf8)

    static func rows(_ body: UnsafeRawBufferPointer, featureCount d: Int) -> FeatureRows? {
        guard d > 0, let base = body.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var reader = Reader(base: base, end: body.count)
        guard reader.take(UInt8(ascii: "{")), reader.take(instancesKey), reader.take(UInt8(ascii: ":")),
            reader.take(UInt8(ascii: "["))
        else { return nil }
        var values: [Double] = []
        values.reserveCapacity(body.count / 8)
        var rows = 0
        repeat {
            guard reader.take(UInt8(ascii: "[")) else { return nil }
            for column in 0..<d {
                if column > 0 { guard reader.take(UInt8(ascii: ",")) else { return nil } }
                guard let value = reader.number() else { return nil }
                values.append(value)
            }
            guard reader.take(UInt8(ascii: "]")) else { return nil }
            rows += 1
        } while reader.take(UInt8(ascii: ","))
        guard reader.take(UInt8(ascii: "]")), reader.take(UInt8(ascii: "}")), reader.atEnd else { return nil }
        return FeatureRows(values: values, featureCount: d)
    }

    private struct Reader {
        let base: UnsafePointer<UInt8>
        let end: Int
        var position = 0

        init(base: UnsafePointer<UInt8>, end: Int) {
            self.base = base
            self.end = end
        }

        mutating func skipSpace() {
            while position < end, base[position] == 0x20 || base[position] == 0x0A || base[position] == 0x0D || base[position] == 0x09 {
                position += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard position < end, base[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func take(_ bytes: [UInt8]) -> Bool {
            skipSpace()
            guard end - position >= bytes.count, bytes.indices.allSatisfy({ base[position + $0] == bytes[$0] }) else { return false }
            position += bytes.count
            return true
        }

        var atEnd: Bool {
            mutating get {
                skipSpace()
                return position == end
            }
        }

        /// A number as JSON writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() -> Double? {
            skipSpace()
            let start = position
            func digits() -> Int {
                let first = position
                while position < end, base[position] &- 0x30 < 10 { position += 1 }
                return position - first
            }
            if position < end && base[position] == UInt8(ascii: "-") { position += 1 }
            guard position < end else { return nil }
            if base[position] == UInt8(ascii: "0") {
                position += 1
            } else {
                guard digits() > 0 else { return nil }
            }
            if position < end && base[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { return nil }
            }
            if position < end && (base[position] == UInt8(ascii: "e") || base[position] == UInt8(ascii: "E")) {
                position += 1
                if position < end && (base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-")) { position += 1 }
                guard digits() > 0 else { return nil }
            }
            guard case .success(let value) = DecimalParser.parse(UnsafeBufferPointer(start: base + start, count: position - start)) else {
                return nil
            }
            return value
        }
    }
}
