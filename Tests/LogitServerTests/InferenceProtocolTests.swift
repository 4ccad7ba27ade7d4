import Foundation
import HTTPTypes
import HummingbirdTesting
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import NIOCore
import Testing

@testable import LogitServer

/// The Open Inference Protocol routes (`/v2/…`) on the in-memory store: every answer decodes as its `LogitAPI` type
/// and matches its documented schema; inference equals the prediction route; errors are `{"error": "…"}` with a 4xx
/// that names what is wrong. (tritonclient calls them in `scripts/export_check.py`.)
@Suite struct InferenceProtocolTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
    static let rows: [[Double]] = [[6.9, 3.1, 5.1, 2.3], [5.1, 3.5, 1.4, 0.2], [5.9, 3.0, 4.2, 1.5]]

    typealias Answer = (status: HTTPResponse.Status, headers: HTTPFields, text: String)

    func infer(_ service: TestService, _ id: String, _ body: String, contentType: String? = "application/json") async throws -> Answer {
        try await service.request(.post, APIPath.filled(APIPath.infer, id: id), contentType: contentType, body: body)
    }

    func request(_ datatype: String = "FP64", shape: [Int] = [3, 4], data: String, extra: String = "") -> String {
        #"{"inputs": [{"name": "features", "datatype": "\#(datatype)", "shape": \#(shape), "data": \#(data)}]\#(extra)}"#
    }

    /// The prediction route's answer for `rows`.
    func predicted(_ service: TestService, _ id: String, _ rows: [[Double]]) async throws -> PredictionResponse {
        let csv = rows.map { $0.map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n")
        let answer = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "text/csv", body: csv)
        return try service.decode(PredictionResponse.self, answer.text)
    }

    func check(_ answer: Answer, _ path: String, _ method: String = "get") throws {
        try SchemaCheck.response(answer, path: path, method: method)
    }

    @Test func serverHealth() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let server = try await service.request(.get, APIPath.inferenceServer)
            #expect(server.status == .ok)
            try check(server, APIPath.inferenceServer)
            #expect(try service.decode(InferenceServerMetadata.self, server.text).extensions == ["binary_tensor_data"])
            let live = try await service.request(.get, APIPath.inferenceLive)
            #expect(live.status == .ok)
            #expect(try service.decode(InferenceServerLive.self, live.text).live)
            try check(live, APIPath.inferenceLive)
            let ready = try await service.request(.get, APIPath.inferenceReady)
            #expect(ready.status == .ok)
            #expect(try service.decode(InferenceServerReady.self, ready.text).ready)
            try check(ready, APIPath.inferenceReady)
        }
    }

    @Test func serverNotReadyWhileTheStoreIsDown() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let backend = try #require(service.backend)
            await backend.failNextCalls(1)
            let ready = try await service.request(.get, APIPath.inferenceReady)
            #expect(ready.status == .serviceUnavailable)
            try check(ready, APIPath.inferenceReady)
            #expect(try service.decode(InferenceError.self, ready.text).error.contains("does not answer"))
            let metadata = try await service.request(.get, APIPath.filled(APIPath.inferenceModel, id: ModelID.generate().rawValue))
            #expect(metadata.status == .serviceUnavailable && metadata.headers[.retryAfter] == "1")
            try check(metadata, APIPath.inferenceModel)
            #expect(try service.decode(InferenceError.self, metadata.text).error.contains("Redis is unavailable"))
        }
    }

    /// Metadata is known from the moment the model is queued; readiness only once it can infer.
    @Test func metadataAndReadinessOfAQueuedModel() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let id = try await service.train(Self.iris)
            let metadata = try await service.request(.get, APIPath.filled(APIPath.inferenceModel, id: id))
            #expect(metadata.status == .ok)
            try check(metadata, APIPath.inferenceModel)
            let decoded = try service.decode(InferenceModelMetadata.self, metadata.text)
            #expect(decoded == InferenceModelMetadata(name: id, featureCount: 4, classCount: 3))
            #expect(decoded.inputs == [TensorMetadata(name: ExportedTensor.features, datatype: .fp64, shape: [-1, 4])])
            #expect(decoded.outputs.map(\.shape) == [[-1], [-1, 3]] && decoded.platform == "logit")

            let ready = try await service.request(.get, APIPath.filled(APIPath.inferenceModelReady, id: id))
            #expect(ready.status == .conflict)
            try check(ready, APIPath.inferenceModelReady)
            #expect(try service.decode(InferenceError.self, ready.text).error.contains("queued"))
            let inference = try await infer(service, id, request(data: "\(Self.rows)"))
            #expect(inference.status == .conflict)
            try check(inference, APIPath.infer, "post")
        }
    }

    @Test func aMissingModelIs404InTheProtocolsShape() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let id = ModelID.generate().rawValue
            for (path, method) in [(APIPath.inferenceModel, "get"), (APIPath.inferenceModelReady, "get"), (APIPath.infer, "post")] {
                let answer = try await service.request(
                    method == "get" ? .get : .post, APIPath.filled(path, id: id), contentType: method == "post" ? "application/json" : nil,
                    body: method == "post" ? request(data: "\(Self.rows)") : nil)
                #expect(answer.status == .notFound, "\(path)")
                #expect(answer.headers[.contentType] == "application/json", "\(path)")
                try check(answer, path, method)
                #expect(try service.decode(InferenceError.self, answer.text).error == OriginalMessages.modelNotFound)
            }
            let unknownRoute = try await service.request(.get, "/v2/nothing/here")
            #expect(unknownRoute.status == .notFound)
            #expect(try service.decode(InferenceError.self, unknownRoute.text).error.contains("/v2/nothing/here"))
            let elsewhere = try await service.request(.get, APIPath.filled(APIPath.model, id: id))
            #expect(elsewhere.headers[.contentType] == "application/problem+json", "the rest of the API keeps problem+json")
        }
    }

    /// Flat, nested, FP32 and binary inputs answer what the prediction route answers for the same numbers; `id` is
    /// echoed and `outputs` chooses (and orders) the tensors.
    @Test func inferenceEqualsThePredictionRoute() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, .ready)
            let ready = try await service.request(.get, APIPath.filled(APIPath.inferenceModelReady, id: id))
            #expect(ready.status == .ok)
            #expect(try service.decode(InferenceModelReady.self, ready.text) == InferenceModelReady(name: id, ready: true))
            try check(ready, APIPath.inferenceModelReady)

            let expected = try await predicted(service, id, Self.rows)
            let expectedOutputs = InferenceResponse.outputs(
                labels: expected.predictions, probabilities: expected.predictionProbability.flatMap { $0 }, classCount: 3)
            let flat = try await infer(service, id, request(data: "\(Self.rows.flatMap { $0 })", extra: #", "id": "request-7""#))
            #expect(flat.status == .ok, "\(flat.text)")
            try check(flat, APIPath.infer, "post")
            #expect(
                try service.decode(InferenceResponse.self, flat.text) == InferenceResponse(modelName: id, id: "request-7", outputs: expectedOutputs))
            let nested = try await infer(service, id, request(data: "\(Self.rows)"), contentType: nil)
            #expect(try service.decode(InferenceResponse.self, nested.text) == InferenceResponse(modelName: id, id: nil, outputs: expectedOutputs))

            let chosen = try await infer(service, id, request(data: "\(Self.rows)", extra: #", "outputs": [{"name": "probabilities"}]"#))
            #expect(try service.decode(InferenceResponse.self, chosen.text).outputs == [expectedOutputs[1]])

            // FP32: each element is the nearest float.
            let singles = Self.rows.map { $0.map { Double(Float($0)) } }
            let fp32 = try await infer(service, id, request("FP32", data: "\(Self.rows)"))
            let expected32 = try await predicted(service, id, singles)
            #expect(
                try service.decode(InferenceResponse.self, fp32.text).outputs[1].data == .numbers(expected32.predictionProbability.flatMap { $0 }))
            #expect(singles != Self.rows, "FP32 rounding is visible in these numbers")

            // Triton's binary tensor data extension: the JSON, then the tensor's little-endian bytes.
            for (datatype, bytes) in [
                ("FP64", Self.rows.flatMap { $0 }.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
                ("FP32", Self.rows.flatMap { $0 }.flatMap { withUnsafeBytes(of: Float($0).bitPattern.littleEndian, Array.init) }),
            ] {
                let json =
                    #"{"id": "b", "inputs": [{"name": "features", "datatype": "\#(datatype)", "shape": [3, 4], "parameters": {"binary_data_size": \#(bytes.count)}}]}"#
                var body = ByteBuffer(string: json)
                body.writeBytes(bytes)
                let binary = try await service.client.execute(
                    uri: APIPath.filled(APIPath.infer, id: id), method: .post,
                    headers: [InferenceProtocolController.inferenceHeaderContentLength: "\(json.utf8.count)"], body: body
                ) { String(buffer: $0.body) }
                let outputs = try service.decode(InferenceResponse.self, binary).outputs
                let rows = datatype == "FP64" ? Self.rows : singles
                let prediction = try await predicted(service, id, rows)
                #expect(
                    outputs.map(\.data) == [.strings(prediction.predictions), .numbers(prediction.predictionProbability.flatMap { $0 })],
                    "\(datatype)")
            }
        }
    }

    /// Each bad request is a 400 whose message names the part that is wrong.
    @Test func badRequestsAre400NamingWhatIsWrong() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, .ready)
            let data = "\(Self.rows)"
            let cases: [(body: String, says: String)] = [
                ("not json", "not JSON"),
                (#"{"inputs": "x"}"#, "inputs"),
                (#"{"outputs": []}"#, "inputs is missing"),
                (#"{"inputs": []}"#, "0 inputs"),
                (request("INT64", data: data), "datatype \"INT64\""),
                (request(shape: [3, 3], data: data), "shape [3, 3]"),
                (request(shape: [12], data: data), "shape [12]"),
                (request(shape: [0, 4], data: "[]"), "n ≥ 1"),
                (request(data: "[1, 2, 3]"), "data has 3 numbers"),
                (request(data: "[[1, 2, 3, 4], [1, 2, 3], [1, 2, 3, 4]]"), "data[1] has 3 numbers"),
                (request(data: "[[1, 2, 3, 4]]"), "data has 1 rows"),
                (request(data: #"["a", "b"]"#), "inputs[0].data"),
                (request("FP32", shape: [1, 4], data: "[1e300, 1, 1, 1]"), "outside the range of FP32"),
                (#"{"inputs": [{"name": "x", "datatype": "FP64", "shape": [3, 4], "data": \#(data)}]}"#, "input \"x\" is unknown"),
                (#"{"inputs": [{"name": "features", "datatype": "FP64", "shape": [3, 4]}]}"#, "has no data"),
                (request(data: data, extra: #", "outputs": [{"name": "logits"}]"#), "requested output \"logits\""),
            ]
            for (body, says) in cases {
                let answer = try await infer(service, id, body)
                #expect(answer.status == .badRequest, "\(body): \(answer.status)")
                try check(answer, APIPath.infer, "post")
                let error = try service.decode(InferenceError.self, answer.text).error
                #expect(error.contains(says), "\(body): \(error)")
            }
            let csv = try await infer(service, id, "1,2,3,4", contentType: "text/csv")
            #expect(csv.status == .unsupportedMediaType)
            try check(csv, APIPath.infer, "post")

            let json = #"{"inputs": [{"name": "features", "datatype": "FP64", "shape": [1, 4], "parameters": {"binary_data_size": 32}}]}"#
            let truncated = try await service.client.execute(
                uri: APIPath.filled(APIPath.infer, id: id), method: .post,
                headers: [InferenceProtocolController.inferenceHeaderContentLength: "\(json.utf8.count)"],
                body: ByteBuffer(string: json + "12345678")
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(truncated.0 == .badRequest)
            #expect(try service.decode(InferenceError.self, truncated.1).error.contains("8 bytes follow the JSON"))
        }
    }
}
