import Foundation
import HTTPTypes
import HummingbirdTesting
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import NIOCore
import SwiftProtobuf
import Testing

@testable import LogitONNX
@testable import LogitServer

/// `GET /models/{id}/export?format=json|onnx` on the in-memory store: the JSON document carries the fitted model
/// whole, the ONNX graph is the model's, and the errors are 400/404/409 problems. (onnxruntime, scikit-learn and
/// tritonclient run the exports in `scripts/export_check.py`.)
@Suite struct ExportTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
    /// Versicolor against virginica: a binary model.
    static let irisBinary = iris.split(separator: "\n").filter { !$0.hasSuffix(",setosa") }.joined(separator: "\n") + "\n"
    static let rows = "6.9,3.1,5.1,2.3\n5.1,3.5,1.4,0.2\n5.9,3.0,4.2,1.5\n"
    static let matrix: [Double] = [6.9, 3.1, 5.1, 2.3, 5.1, 3.5, 1.4, 0.2, 5.9, 3.0, 4.2, 1.5]

    func export(_ service: TestService, _ id: String, format: String) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, text: String)
    {
        try await service.request(.get, APIPath.filled(APIPath.export, id: id) + "?format=\(format)")
    }

    func predicted(_ service: TestService, _ id: String) async throws -> PredictionResponse {
        let answer = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "text/csv", body: Self.rows)
        return try service.decode(PredictionResponse.self, answer.text)
    }

    /// The document rebuilds the model: from the standardized weights and the scaler, and from the original-scale
    /// coefficients, the probabilities are the prediction route's.
    @Test(arguments: [("multinomial", iris), ("binary", irisBinary)])
    func jsonExportRoundTripsTheFittedModel(kind: String, csv: String) async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(csv)
            try await service.waitForStatus(id, .ready)
            let answer = try await export(service, id, format: "json")
            #expect(answer.status == .ok)
            try SchemaCheck.response(answer, path: APIPath.export, method: "get")
            let exported = try service.decode(ModelExport.self, answer.text)
            let metadata = try service.decode(ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: id)).text)
            #expect(exported.modelID == id && exported.kind.rawValue == kind && exported.classes == metadata.classes)
            #expect(exported.featureCount == 4 && exported.featureNames == nil)
            #expect(exported.coefficients == metadata.coefficients)
            let rowCount = kind == "binary" ? 1 : 3
            #expect(exported.standardized.coef.count == rowCount && exported.coefficients.coef.count == rowCount)

            let served = try await predicted(service, id)
            let rebuilt = LogisticModel(
                classes: exported.classes, standardizer: exported.scaler, weights: exported.standardized.coef.flatMap { $0 },
                intercepts: exported.standardized.intercept)
            #expect(rebuilt.probabilities(Self.matrix) == served.predictionProbability.flatMap { $0 }, "the standardized form is the model")
            // The original scale, as scikit-learn computes it: logits x · coef + intercept.
            for (row, expected) in served.predictionProbability.enumerated() {
                let x = Self.matrix[row * 4..<(row + 1) * 4]
                let logits = zip(exported.coefficients.coef, exported.coefficients.intercept).map { coef, intercept in
                    zip(coef, x).reduce(intercept) { $0 + $1.0 * $1.1 }
                }
                let probabilities: [Double]
                if kind == "binary" {
                    let p = 1 / (1 + exp(-logits[0]))
                    probabilities = [1 - p, p]
                } else {
                    let top = logits.max()!
                    let exps = logits.map { exp($0 - top) }
                    probabilities = exps.map { $0 / exps.reduce(0, +) }
                }
                for (a, b) in zip(probabilities, expected) { #expect(abs(a - b) < 1e-12, "row \(row): \(probabilities) vs \(expected)") }
            }
        }
    }

    @Test func jsonExportNamesTheFeaturesOfAHeaderedModel() async throws {
        try await TestService.run(memory: true) { service in
            let csv = String(decoding: Fixtures.bytes("iris-header.csv"), as: UTF8.self)
            let id = try await service.train(csv, query: "?label=species")
            try await service.waitForStatus(id, .ready)
            let exported = try service.decode(ModelExport.self, try await export(service, id, format: "json").text)
            #expect(exported.featureNames == ["sepal_length", "sepal_width", "petal_length", "petal_width"])
        }
    }

    /// The ONNX answer decodes as the model the generated messages describe: opset 13, the tensors `ExportedTensor`
    /// names with their shapes, the model's own statistics and weights as initializers, and the classes.
    @Test(arguments: [("multinomial", iris), ("binary", irisBinary)])
    func onnxExportIsTheModelsGraph(kind: String, csv: String) async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(csv)
            try await service.waitForStatus(id, .ready)
            let answer = try await service.client.execute(uri: APIPath.filled(APIPath.export, id: id) + "?format=onnx", method: .get) { $0 }
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/octet-stream")
            #expect(answer.headers[.contentDisposition] == "attachment; filename=\"\(id).onnx\"")
            let proto = try Onnx_ModelProto(serializedBytes: Array(answer.body.readableBytesView))
            #expect(proto.opsetImport.map(\.version) == [13] && proto.irVersion == 7)
            let graph = proto.graph
            func dims(_ info: Onnx_ValueInfoProto) -> [String] {
                info.type.tensorType.shape.dim.map { $0.dimParam.isEmpty ? String($0.dimValue) : $0.dimParam }
            }
            let k = kind == "binary" ? 2 : 3
            #expect(graph.input.map(\.name) == [ExportedTensor.features] && dims(graph.input[0]) == ["N", "4"])
            #expect(graph.output.map(\.name) == [ExportedTensor.label, ExportedTensor.probabilities])
            #expect(dims(graph.output[0]) == ["N"] && dims(graph.output[1]) == ["N", "\(k)"])
            #expect(graph.input[0].type.tensorType.elemType == Int32(Onnx_TensorProto.DataType.double.rawValue))
            #expect(graph.output[0].type.tensorType.elemType == Int32(Onnx_TensorProto.DataType.string.rawValue))

            let exported = try service.decode(ModelExport.self, try await export(service, id, format: "json").text)
            let initializers = Dictionary(uniqueKeysWithValues: graph.initializer.map { ($0.name, $0) })
            #expect(initializers["mean"]?.doubleData == exported.scaler.mean)
            #expect(initializers["inverse_scale"]?.doubleData == exported.scaler.scale.map { 1 / $0 })
            #expect(initializers["weights"]?.doubleData == exported.standardized.coef.flatMap { $0 })
            #expect(initializers["weights"]?.dims == [Int64(exported.standardized.coef.count), 4])
            #expect(initializers["intercepts"]?.doubleData == exported.standardized.intercept)
            #expect(initializers["classes"]?.stringData.map { String(decoding: $0, as: UTF8.self) } == exported.classes)
            let ops = graph.node.map(\.opType)
            #expect(ops.prefix(3) == ["Sub", "Mul", "Gemm"] && ops.suffix(2) == ["ArgMax", "Gather"])
            #expect(ops.contains(kind == "binary" ? "Sigmoid" : "Softmax"))
            #expect(proto.metadataProps.first { $0.key == "model_id" }?.value == id)
        }
    }

    @Test func exportErrorsSayWhatIsWrong() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let queued = try await service.train(Self.iris)
            let missingFormat = try await service.request(.get, APIPath.filled(APIPath.export, id: queued))
            #expect(missingFormat.status == .badRequest)
            try SchemaCheck.response(missingFormat, path: APIPath.export, method: "get")
            #expect(try service.decode(Problem.self, missingFormat.text).parameter == "format")
            let unknownFormat = try await export(service, queued, format: "pmml")
            #expect(unknownFormat.status == .badRequest)
            let problem = try service.decode(Problem.self, unknownFormat.text)
            #expect(problem.parameter == "format" && problem.detail.contains("pmml") && problem.detail.contains("onnx or json"))

            let notReady = try await export(service, queued, format: "onnx")
            #expect(notReady.status == .conflict)
            try SchemaCheck.response(notReady, path: APIPath.export, method: "get")
            #expect(try service.decode(Problem.self, notReady.text).state == .queued)

            let missing = try await export(service, ModelID.generate().rawValue, format: "json")
            #expect(missing.status == .notFound)
            try SchemaCheck.response(missing, path: APIPath.export, method: "get")
            #expect(try service.decode(Problem.self, missing.text).detail == OriginalMessages.modelNotFound)
        }
    }
}
