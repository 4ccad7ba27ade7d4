import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

@testable import LogitServer

/// The API's answers as typed documents, on the in-memory store (no Redis): each decodes as its `LogitAPI` type
/// and matches the schema `/openapi.json` publishes for its status; and the bugs found at this seam stay fixed.
@Suite struct ContractTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)

    /// Trains iris and waits until it is ready; returns the id.
    func trainIris(_ service: TestService) async throws -> String {
        let id = try await service.train(Self.iris)
        try await service.waitForStatus(id, .ready)
        return id
    }

    @Test func everyAnswerDecodesAsItsTypeAndMatchesItsDocumentedSchema() async throws {
        try await TestService.run(memory: true) { service in
            let accepted = try await service.request(.post, APIPath.models, contentType: "text/csv", body: Self.iris)
            try SchemaCheck.response(accepted, path: APIPath.models, method: "post")
            let id = try service.decode(TrainingAccepted.self, accepted.text).modelID
            #expect(accepted.headers[.location] == APIPath.filled(APIPath.model, id: id))
            try await service.waitForStatus(id, .ready)
            let status = try await service.request(.get, APIPath.filled(APIPath.checkStatus, id: id))
            try SchemaCheck.response(status, path: APIPath.checkStatus, method: "get")
            #expect(try service.decode(StatusResponse.self, status.text).status == OriginalMessages.ready)

            let metadata = try await service.request(.get, APIPath.filled(APIPath.model, id: id))
            try SchemaCheck.response(metadata, path: APIPath.model, method: "get")
            let model = try service.decode(ModelMetadata.self, metadata.text)
            #expect(model.state == .ready && model.classes == ["setosa", "versicolor", "virginica"] && model.sampleCount == 150)
            let objective = try #require(model.summary?.objective)
            #expect(abs(objective - Fixtures.referenceOptimum("iris.csv").objective) / objective < 1e-6)

            let listing = try await service.request(.get, APIPath.models + "?limit=1")
            try SchemaCheck.response(listing, path: APIPath.models, method: "get")
            #expect(try service.decode(ModelListing.self, listing.text).models.map(\.modelID) == [id])

            let prediction = try await service.request(
                .get, APIPath.filled(APIPath.model, id: id), contentType: "text/csv", body: "6.9,3.1,5.1,2.3\n5.1,3.5,1.4,0.2\n")
            #expect(prediction.status == .accepted)
            try SchemaCheck.response(prediction, path: APIPath.model, method: "get")
            let predicted = try service.decode(PredictionResponse.self, prediction.text)
            #expect(predicted.predictions == ["virginica", "setosa"] && predicted.predictionProbability.count == 2)

            let missing = try await service.request(.get, APIPath.filled(APIPath.model, id: ModelID.generate().rawValue))
            #expect(missing.status == .notFound)
            try SchemaCheck.response(missing, path: APIPath.model, method: "get")
            let badCSV = try await service.request(.post, APIPath.models, contentType: "text/csv", body: "1,a\n2,x,b\n")
            try SchemaCheck.response(badCSV, path: APIPath.models, method: "post")
            #expect(try service.decode(Problem.self, badCSV.text).line == 2)
            for path in [APIPath.alive, APIPath.healthz, APIPath.readyz] {
                try SchemaCheck.response(try await service.request(.get, path), path: path, method: "get")
            }
        }
    }

    /// Bug: the 409 body carried `status` twice (the problem's integer, then the original's string); Python kept
    /// the string.
    @Test func aFailedModelsConflictHasOneIntegerStatus() async throws {
        try await TestService.run(memory: true) { service in
            // A fixed step so large that the fit diverges at once: the model ends failed.
            let accepted = try await service.request(
                .post, APIPath.models + "?learning_rate=1e300&penalty=none", contentType: "text/csv", body: Self.iris)
            let id = try service.decode(TrainingAccepted.self, accepted.text).modelID
            try await service.waitForStatus(id, .failed)
            let conflict = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "text/csv", body: "1,2,3,4\n")
            #expect(conflict.status == .conflict)
            #expect(conflict.text.components(separatedBy: "\"status\"").count == 2, "one status member: \(conflict.text)")
            let problem = try service.decode(Problem.self, conflict.text)
            #expect(problem.status == 409 && problem.modelStatus == OriginalMessages.failed)
            try SchemaCheck.response(conflict, path: APIPath.predict, method: "post")
        }
    }

    /// Bug: HEAD answered 405 on every route while `Allow` listed it.
    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await trainIris(service)
            for path in [APIPath.filled(APIPath.model, id: id), APIPath.filled(APIPath.checkStatus, id: id), APIPath.models, APIPath.alive] {
                let head = try await service.request(.head, path)
                #expect(head.status == .ok, "HEAD \(path)")
                #expect(head.text.isEmpty)
            }
            let notAllowed = try await service.request(.put, APIPath.models)
            #expect(notAllowed.status == .methodNotAllowed)
            #expect(notAllowed.headers[.allow] == "GET, POST, HEAD")
        }
    }

    /// Bug: `ModelStore.fittedModel` turned an undecodable stored model into a 404 ("doesn't exist", `try?`); it
    /// is a 500, logged. On Redis, where the stored JSON can be damaged.
    @Test func anUndecodableStoredModelIsA500NotA404() async throws {
        try await TestService.run { service in
            let id = try await trainIris(service)
            try await service.redis.send("HSET", .text("lr:model:\(id)"), "model", "{\"classes\": [\"damaged")
            let answer = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "text/csv", body: "1,2,3,4\n")
            #expect(answer.status == .internalServerError, "\(answer.text)")
            let metadata = try await service.request(.get, APIPath.filled(APIPath.model, id: id))
            #expect(metadata.status == .ok, "the rest of the record is still readable")
        }
    }

    /// A ready model whose weights are missing altogether is a 500 too.
    @Test func aReadyModelWithoutWeightsIsA500NotA404() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await trainIris(service)
            let backend = try #require(service.backend)
            let modelID = try #require(ModelID(validating: id))
            let record = try #require(try await backend.record(modelID))
            await backend.overwrite(modelID, record: record, model: nil, dropModel: true)
            let answer = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "text/csv", body: "1,2,3,4\n")
            #expect(answer.status == .internalServerError, "\(answer.text)")
            #expect(try service.decode(Problem.self, answer.text).detail.contains("unreadable"))
        }
    }
}

/// Checks an answer against the schema `/openapi.json` documents for its path, method, status and content type:
/// JSON types, required members, and no member the schema does not list.
enum SchemaCheck {
    typealias Value = DocumentSchema.Value

    static let document: Value = (try? JSONDecoder().decode(Value.self, from: Data(OpenAPIDocument.build().serialized()))) ?? .object([:])

    static func response(_ answer: (status: HTTPResponse.Status, headers: HTTPFields, text: String), path: String, method: String) throws {
        let operation = try #require(document["paths"]?[path]?[method], "\(method) \(path) is documented")
        let documented = try #require(operation["responses"]?[String(answer.status.code)], "\(method) \(path) documents \(answer.status.code)")
        let contentType = String((answer.headers[.contentType] ?? "").split(separator: ";").first ?? "")
        let schema = try #require(documented["content"]?[contentType]?["schema"], "\(contentType) is documented")
        let value = try JSONDecoder().decode(Value.self, from: Data(answer.text.utf8))
        let problems = check(value, against: schema, at: "$")
        #expect(problems.isEmpty, "\(method) \(path) \(answer.status.code): \(problems.joined(separator: "; "))")
    }

    static func resolve(_ schema: Value) -> Value {
        guard let reference = schema["$ref"]?.string else { return schema }
        let name = String(reference.split(separator: "/").last ?? "")
        return document["components"]?["schemas"]?[name] ?? .object([:])
    }

    /// The problems of `value` against `schema`. Objects are closed here (a member the schema does not list is a
    /// problem: the documents list every member), except with `open`, JSON Schema's own rule, which is how a validator
    /// such as Schemathesis counts the matches of a `oneOf`: exactly one, else the answer is invalid for it.
    static func check(_ value: Value, against given: Value, at location: String, open: Bool = false) -> [String] {
        let schema = resolve(given)
        if let alternatives = schema["oneOf"]?.array {
            let results = alternatives.map { check(value, against: $0, at: location, open: open) }
            guard results.contains(where: \.isEmpty) else { return ["\(location) matches none of oneOf: \(results.flatMap { $0 })"] }
            let openMatches = alternatives.filter { check(value, against: $0, at: location, open: true).isEmpty }.count
            return openMatches == 1 ? [] : ["\(location) matches \(openMatches) schemas of a oneOf (JSON Schema objects are open): use anyOf"]
        }
        if let alternatives = schema["anyOf"]?.array {
            let results = alternatives.map { check(value, against: $0, at: location, open: open) }
            return results.contains(where: \.isEmpty) ? [] : ["\(location) matches none of anyOf: \(results.flatMap { $0 })"]
        }
        switch (schema["type"]?.string, value) {
        case ("object", .object(let object)):
            let properties = schema["properties"] ?? .object([:])
            let required = (schema["required"]?.array ?? []).compactMap(\.string)
            var problems = required.filter { object[$0] == nil }.map { "\(location).\($0) is missing" }
            for (key, member) in object {
                guard let memberSchema = properties[key] else {
                    if !open { problems.append("\(location).\(key) is not documented") }
                    continue
                }
                problems += check(member, against: memberSchema, at: "\(location).\(key)", open: open)
            }
            return problems
        case ("array", .array(let array)):
            guard let items = schema["items"] else { return [] }
            return array.enumerated().flatMap { check($0.element, against: items, at: "\(location)[\($0.offset)]", open: open) }
        case ("string", .string), ("number", .number), ("boolean", .bool), ("null", .null), (nil, _):
            return []
        case (let type?, _):
            return ["\(location) is not of type \(type): \(value)"]
        }
    }
}

/// Reading the document: each accessor is nil where the value is something else.
extension DocumentSchema.Value {
    subscript(member: String) -> Self? {
        if case .object(let members) = self { members[member] } else { nil }
    }

    var string: String? {
        if case .string(let string) = self { string } else { nil }
    }

    var array: [Self]? {
        if case .array(let array) = self { array } else { nil }
    }
}
