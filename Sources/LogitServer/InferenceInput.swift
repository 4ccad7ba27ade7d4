import Foundation
import Hummingbird
import LogitAPI
import LogitCore
import NIOCore

/// An Open Inference Protocol request (`InferenceRequest`) read and checked against the model: one input,
/// `ExportedTensor.features`, FP64 or FP32, shape `[n, d]`, its data as JSON numbers (flat or one array per row) or
/// in binary after the JSON (Triton's binary tensor data extension: the JSON's length in the
/// `Inference-Header-Content-Length` header, the input's byte count in its `binary_data_size` parameter, little
/// endian). Every error is a 400 that says what is wrong and where.
struct InferenceInput {
    var request: InferenceRequest
    var features: FeatureRows
    /// The outputs to answer, in order.
    var outputs: [String]

    static let allOutputs = [ExportedTensor.label, ExportedTensor.probabilities]

    /// `headerLength`: the `Inference-Header-Content-Length` value, when the body carries binary data after its JSON.
    init(body: ByteBuffer, headerLength: String?, featureCount d: Int) throws {
        let bytes = body.readableBytesView
        var jsonEnd = bytes.endIndex
        if let headerLength {
            guard let length = Int(headerLength), length > 0, length <= bytes.count else {
                throw Self.invalid(
                    "the Inference-Header-Content-Length header (\(headerLength.prefix(20))) must be the JSON's byte count, from 1 to the body's \(bytes.count)"
                )
            }
            jsonEnd = bytes.startIndex + length
        }
        do {
            request = try JSONDecoder().decode(InferenceRequest.self, from: Data(bytes[bytes.startIndex..<jsonEnd]))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw Self.invalid("the body is not JSON. \(Self.shapeHint(d))")
        } catch let error as DecodingError {
            throw Self.invalid("the body is not an inference request: \(Self.describe(error)). \(Self.shapeHint(d))")
        } catch {
            throw Self.invalid("the body is not JSON. \(Self.shapeHint(d))")
        }
        features = try Self.features(request, binary: bytes[jsonEnd...], featureCount: d)
        outputs =
            try request.outputs.map { requested in
                try requested.map { output in
                    guard Self.allOutputs.contains(output.name) else {
                        throw Self.invalid(
                            "requested output \"\(output.name.prefix(60))\" is unknown: the outputs are \(Self.allOutputs.map { "\"\($0)\"" }.joined(separator: " and "))"
                        )
                    }
                    return output.name
                }
            } ?? Self.allOutputs
    }

    private static func features(_ request: InferenceRequest, binary: ByteBufferView.SubSequence, featureCount d: Int) throws -> FeatureRows {
        guard request.inputs.count == 1, let input = request.inputs.first else {
            throw invalid("the request has \(request.inputs.count) inputs; the model takes one. \(shapeHint(d))")
        }
        guard input.name == ExportedTensor.features else {
            throw invalid("input \"\(input.name.prefix(60))\" is unknown: the model's one input is \"\(ExportedTensor.features)\". \(shapeHint(d))")
        }
        let name = "input \(ExportedTensor.features)"
        guard let datatype = TensorDatatype(rawValue: input.datatype), datatype == .fp64 || datatype == .fp32 else {
            throw invalid("\(name): datatype \"\(input.datatype.prefix(20))\" is not accepted; send FP64 or FP32")
        }
        guard input.shape.count == 2, input.shape[0] >= 1, input.shape[1] == d else {
            throw invalid("\(name): shape \(input.shape) does not fit the model: it must be [n, \(d)], n ≥ 1 rows of \(d) features")
        }
        let n = input.shape[0]
        var values: [Double]
        switch (input.data, input.parameters?["binary_data_size"]) {
        case (let data?, nil):
            guard binary.isEmpty else { throw invalid("\(binary.count) bytes follow the JSON, but no input has binary_data_size") }
            values = try numbers(data, name: name, rows: n, featureCount: d)
        case (nil, .number(let size)?):
            let width = datatype == .fp64 ? 8 : 4
            guard size == Double(n * d * width), binary.count == n * d * width else {
                throw invalid(
                    "\(name): binary_data_size is \(size) and \(binary.count) bytes follow the JSON; shape \(input.shape) in \(datatype.rawValue) is \(n * d * width) bytes"
                )
            }
            values = littleEndian(binary, width: width)
        case (nil, _):
            throw invalid("\(name) has no data: send \"data\" (numbers, row-major) or binary data with a binary_data_size parameter")
        case (_?, _?):
            throw invalid("\(name) has both data and binary_data_size: send one")
        }
        if datatype == .fp32 {
            // The elements are FP32: each value as the nearest float, which must exist.
            for (index, value) in values.enumerated() {
                let single = Float(value)
                guard single.isFinite else { throw invalid("\(name): element \(index) (\(value)) is outside the range of FP32") }
                values[index] = Double(single)
            }
        }
        return FeatureRows(values: values, featureCount: d)
    }

    private static func numbers(_ data: InferenceRequest.TensorData, name: String, rows n: Int, featureCount d: Int) throws -> [Double] {
        switch data {
        case .flat(let values):
            guard values.count == n * d else {
                throw invalid("\(name): data has \(values.count) numbers; shape [\(n), \(d)] needs \(n * d)")
            }
            return values
        case .rows(let rows):
            guard rows.count == n else { throw invalid("\(name): data has \(rows.count) rows; shape [\(n), \(d)] needs \(n)") }
            var values: [Double] = []
            values.reserveCapacity(n * d)
            for (index, row) in rows.enumerated() {
                guard row.count == d else { throw invalid("\(name): data[\(index)] has \(row.count) numbers; shape [\(n), \(d)] needs \(d) per row") }
                values += row
            }
            return values
        }
    }

    /// Little-endian FP64 (`width` 8) or FP32 (4) elements.
    private static func littleEndian(_ bytes: ByteBufferView.SubSequence, width: Int) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(bytes.count / width)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var bits: UInt64 = 0
            for offset in 0..<width { bits |= UInt64(bytes[index + offset]) << (8 * offset) }
            values.append(width == 8 ? Double(bitPattern: bits) : Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            index += width
        }
        return values
    }

    static func shapeHint(_ d: Int) -> String {
        "Send {\"inputs\": [{\"name\": \"\(ExportedTensor.features)\", \"datatype\": \"FP64\", \"shape\": [n, \(d)], \"data\": [[x1, …, x\(d)], …]}]}."
    }

    /// Where a JSON decoding error is (`inputs[0].shape`) and what it is.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.reduce("") { text, key in
                key.intValue.map { "\(text)[\($0)]" } ?? (text.isEmpty ? key.stringValue : "\(text).\(key.stringValue)")
            }
            return text.isEmpty ? "the top level" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context, key)) is missing"
        case .typeMismatch(let type, let context): return "\(path(context)) is not of the expected type (\(type))"
        case .valueNotFound(let type, let context): return "\(path(context)) is null; expected \(type)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription.trimmingCharacters(in: ["."]))"
        @unknown default: return "\(error)"
        }
    }

    static func invalid(_ message: String) -> ProblemError { ProblemError(.badRequest, message) }
}
