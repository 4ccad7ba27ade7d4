import Foundation
import LogitAPI
import LogitCore
import SwiftProtobuf

/// A fitted model as an ONNX model (`onnx.pb.swift`, generated from ONNX's `onnx.proto`), in plain ONNX operators
/// (opset 13, IR version 7: any onnxruntime since 1.6 runs it), all in FP64 as the service computes:
///
///     features [N, d] FP64 (raw, in the model's feature order)
///     z      = (features − mean) · (1 / scale)           Sub, Mul        (the training standardization)
///     logits = z · Wᵀ + b                                Gemm (transB)   (W on the standardized scale)
///     probabilities [N, K] = softmax(logits, axis 1)     Softmax         (K ≥ 3)
///                          = [1 − σ(logits), σ(logits)]  Sigmoid, Sub, Concat   (binary: one row, for classes[1])
///     label [N] STRING = classes[argmax(probabilities)]  ArgMax, Gather  (ties to the first class, as the service)
///
/// The tensor names are `ExportedTensor`'s. `metadata_props` carry `model_id`, `classes` and `feature_names` (JSON).
public enum ONNXExport {
    /// The operator set of the default domain the graph is written in.
    public static let opsetVersion: Int64 = 13
    /// ONNX IR version 7 (ONNX 1.8, the release of opset 13).
    public static let irVersion: Int64 = 7

    /// The serialized ONNX model (protobuf bytes) of `model`, named `name`.
    public static func serialized(_ model: LogisticModel, name: String) throws -> [UInt8] {
        try self.model(model, name: name).serializedBytes()
    }

    static func model(_ model: LogisticModel, name: String) -> Onnx_ModelProto {
        let d = model.featureCount
        let k = model.classes.count
        var graph = Onnx_GraphProto()
        graph.name = "logit_\(model.isBinary ? "binary" : "multinomial")_logistic_regression"
        graph.input = [valueInfo(ExportedTensor.features, .double, [.rows, .fixed(d)])]
        graph.output = [
            valueInfo(ExportedTensor.label, .string, [.rows]),
            valueInfo(ExportedTensor.probabilities, .double, [.rows, .fixed(k)]),
        ]
        graph.initializer = [
            tensor("mean", doubles: model.standardizer.mean, dims: [d]),
            tensor("inverse_scale", doubles: model.standardizer.scale.map { 1 / $0 }, dims: [d]),
            tensor("weights", doubles: model.weights, dims: [model.rowCount, d]),
            tensor("intercepts", doubles: model.intercepts, dims: [model.rowCount]),
            tensor("classes", strings: model.classes, dims: [k]),
        ]
        graph.node = [
            node("Sub", [ExportedTensor.features, "mean"], ["centered"]),
            node("Mul", ["centered", "inverse_scale"], ["standardized"]),
            node("Gemm", ["standardized", "weights", "intercepts"], ["logits"], ints: [("transB", 1)]),
        ]
        if model.isBinary {
            graph.initializer.append(tensor("one", doubles: [1], dims: []))
            graph.node += [
                node("Sigmoid", ["logits"], ["p_second"]),
                node("Sub", ["one", "p_second"], ["p_first"]),
                node("Concat", ["p_first", "p_second"], [ExportedTensor.probabilities], ints: [("axis", 1)]),
            ]
        } else {
            graph.node.append(node("Softmax", ["logits"], [ExportedTensor.probabilities], ints: [("axis", 1)]))
        }
        graph.node += [
            node("ArgMax", [ExportedTensor.probabilities], ["class_index"], ints: [("axis", 1), ("keepdims", 0)]),
            node("Gather", ["classes", "class_index"], [ExportedTensor.label], ints: [("axis", 0)]),
        ]

        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        proto.opsetImport = [opset]
        proto.producerName = "logit"
        proto.domain = "logit"
        proto.docString =
            "Logistic regression exported by logit: raw FP64 features [N, \(d)] in, label [N] and probabilities [N, \(k)] (classes \(model.classes)) out."
        proto.graph = graph
        proto.metadataProps = [
            entry("model_id", name),
            entry("classes", json(model.classes)),
        ]
        if let names = model.featureNames { proto.metadataProps.append(entry("feature_names", json(names))) }
        return proto
    }

    // MARK: Building blocks

    enum Dimension {
        /// Any number of rows (the symbolic dimension `N`).
        case rows
        case fixed(Int)
    }

    enum ElementType {
        case double, string

        var code: Int32 {
            switch self {
            case .double: Int32(Onnx_TensorProto.DataType.double.rawValue)
            case .string: Int32(Onnx_TensorProto.DataType.string.rawValue)
            }
        }
    }

    static func valueInfo(_ name: String, _ type: ElementType, _ dimensions: [Dimension]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dimensions.map { dimension in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case .rows: dim.dimParam = "N"
            case .fixed(let size): dim.dimValue = Int64(size)
            }
            return dim
        }
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = type.code
        tensorType.shape = shape
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensorType
        return info
    }

    static func tensor(_ name: String, doubles: [Double], dims: [Int]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = ElementType.double.code
        tensor.dims = dims.map(Int64.init)
        tensor.doubleData = doubles
        return tensor
    }

    static func tensor(_ name: String, strings: [String], dims: [Int]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = ElementType.string.code
        tensor.dims = dims.map(Int64.init)
        tensor.stringData = strings.map { Data($0.utf8) }
        return tensor
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], ints: [(String, Int64)] = []) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = outputs[0]
        node.input = inputs
        node.output = outputs
        node.attribute = ints.map { name, value in
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .int
            attribute.i = value
            return attribute
        }
        return node
    }

    static func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
        var entry = Onnx_StringStringEntryProto()
        entry.key = key
        entry.value = value
        return entry
    }

    static func json(_ strings: [String]) -> String {
        // Plain strings: encoding cannot fail.
        String(decoding: try! JSONEncoder().encode(strings), as: UTF8.self)
    }
}
