import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// Names, versions and aliases through the routes, on the in-memory store (the Redis scripts' own behaviour, and
/// versions under concurrent POSTs, are `RegistryRedisTests`).
@Suite struct RegistryRoutesTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
    /// Two classes of iris (setosa and versicolor).
    static let binary = iris.split(separator: "\n").filter { !$0.hasSuffix("virginica") }.joined(separator: "\n") + "\n"

    /// Trains a version of `name`, waits until it is ready, returns its 201 answer.
    static func trainVersion(_ service: TestService, _ name: String, _ csv: String = binary, query: String = "") async throws -> TrainingAccepted {
        let answer = try await service.request(.post, APIPath.models + "?name=\(name)" + query, contentType: "text/csv", body: csv)
        #expect(answer.status == .created, "\(answer.text)")
        try SchemaCheck.response(answer, path: APIPath.models, method: "post")
        let accepted = try service.decode(TrainingAccepted.self, answer.text)
        try await service.waitForStatus(accepted.modelID, .ready)
        return accepted
    }

    static func setAlias(
        _ service: TestService, _ name: String, _ alias: String, _ version: Int, authorization: String? = nil
    ) async throws -> (
        status: HTTPResponse.Status, headers: HTTPFields, text: String
    ) {
        try await service.request(
            .put, APIPath.alias(name: name, alias: alias), contentType: "application/json", authorization: authorization,
            body: "{\"version\": \(version)}")
    }

    @Test func versionsCountUpPerNameAndTheAnswerNamesThem() async throws {
        try await TestService.run(memory: true) { service in
            let first = try await Self.trainVersion(service, "churn")
            let second = try await Self.trainVersion(service, "churn")
            let other = try await Self.trainVersion(service, "fraud")
            #expect(first.name == "churn" && first.version == 1)
            #expect(second.name == "churn" && second.version == 2)
            #expect(other.name == "fraud" && other.version == 1)
            let unnamed = try service.decode(
                TrainingAccepted.self, try await service.request(.post, APIPath.models, contentType: "text/csv", body: Self.binary).text)
            #expect(unnamed.name == nil && unnamed.version == nil, "a model without a name answers as before")
        }
    }

    @Test(arguments: ["Churn", "-churn", "churn@1", "a b", String(repeating: "a", count: 65), "0b5c3f0e-8a51-4d3c-9a7e-2f1b6c9d4e21", ""])
    func aBadNameIs400NamingIt(name: String) async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
            let answer = try await service.request(.post, APIPath.models + "?name=\(encoded)", contentType: "text/csv", body: Self.binary)
            #expect(answer.status == .badRequest, "\(name): \(answer.text)")
            #expect(try service.decode(Problem.self, answer.text).parameter == "name")
            #expect(try await service.storedItems() == 0)
        }
    }

    @Test func everyReferenceResolvesToItsVersionOnEveryRoute() async throws {
        try await TestService.run(memory: true) { service in
            let first = try await Self.trainVersion(service, "churn")
            let second = try await Self.trainVersion(service, "churn")
            #expect(try await Self.setAlias(service, "churn", "production", 1).status == .ok)
            let expected = [("churn", second), ("churn@1", first), ("churn@2", second), ("churn@production", first), (first.modelID, first)]
            for (reference, model) in expected {
                let metadata = try await service.request(.get, APIPath.filled(APIPath.model, id: reference))
                #expect(metadata.status == .ok, "\(reference)")
                let decoded = try service.decode(ModelMetadata.self, metadata.text)
                #expect(decoded.modelID == model.modelID && decoded.version == model.version && decoded.name == "churn", "\(reference)")
                let status = try service.decode(
                    StatusResponse.self, try await service.request(.get, APIPath.filled(APIPath.checkStatus, id: reference)).text)
                #expect(status.modelID == model.modelID && status.version == model.version, "\(reference)")
                let prediction = try await service.request(
                    .post, APIPath.filled(APIPath.predict, id: reference), contentType: "text/csv", body: "5.1,3.5,1.4,0.2\n")
                #expect(prediction.status == .ok, "\(reference)")
                #expect(prediction.headers[HTTPField.Name(ModelHeader.id)!] == model.modelID, "\(reference)")
                let export = try await service.request(.get, APIPath.filled(APIPath.export, id: reference) + "?format=json")
                #expect(try service.decode(ModelExport.self, export.text).modelID == model.modelID, "\(reference)")
                let infer = try await service.request(
                    .post, APIPath.filled(APIPath.infer, id: reference), contentType: "application/json",
                    body: #"{"inputs": [{"name": "features", "datatype": "FP64", "shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}]}"#)
                #expect(infer.status == .ok, "\(reference): \(infer.text)")
                #expect(infer.headers[HTTPField.Name(ModelHeader.id)!] == model.modelID, "\(reference)")
                let inferred = try service.decode(InferenceResponse.self, infer.text)
                #expect(inferred.modelName == reference)
                if reference != first.modelID { #expect(inferred.modelVersion == model.version.map(String.init), "\(reference)") }
            }
            // tritonclient escapes the @ of a model name.
            let escaped = try await service.request(.get, APIPath.filled(APIPath.inferenceModelReady, id: "churn%40production"))
            #expect(escaped.status == .ok, "\(escaped.text)")
            #expect(escaped.headers[HTTPField.Name(ModelHeader.id)!] == first.modelID)
        }
    }

    @Test func movingAnAliasMovesEveryAnswer() async throws {
        try await TestService.run(memory: true) { service in
            let first = try await Self.trainVersion(service, "churn")
            let second = try await Self.trainVersion(service, "churn")
            let set = try await Self.setAlias(service, "churn", "production", 1)
            try SchemaCheck.response(set, path: APIPath.alias, method: "put")
            #expect(
                try service.decode(AliasAssignment.self, set.text)
                    == AliasAssignment(name: "churn", alias: "production", version: 1, modelID: first.modelID, previousVersion: nil))
            let path = APIPath.filled(APIPath.predict, id: "churn@production")
            #expect(
                try await service.request(.post, path, contentType: "text/csv", body: "5,3,1,0\n").headers[HTTPField.Name(ModelHeader.version)!]
                    == "1")
            let moved = try service.decode(AliasAssignment.self, try await Self.setAlias(service, "churn", "production", 2).text)
            #expect(moved.previousVersion == 1 && moved.modelID == second.modelID)
            #expect(
                try await service.request(.post, path, contentType: "text/csv", body: "5,3,1,0\n").headers[HTTPField.Name(ModelHeader.version)!]
                    == "2")

            let versions = try await service.request(.get, APIPath.filled(APIPath.modelVersions, id: "churn"))
            try SchemaCheck.response(versions, path: APIPath.modelVersions, method: "get")
            let listed = try service.decode(ModelVersionList.self, versions.text)
            #expect(listed.versions.map(\.version) == [1, 2])
            #expect(listed.versions.map(\.aliases) == [[], ["production"]])
            #expect(listed.aliases == ["production": 2])
            #expect(listed.versions.allSatisfy { $0.state == .ready && $0.summary != nil })

            let removed = try await service.request(.delete, APIPath.alias(name: "churn", alias: "production"))
            #expect(removed.status == .noContent)
            let gone = try await service.request(.post, path, contentType: "text/csv", body: "5,3,1,0\n")
            #expect(gone.status == .notFound)
            #expect(try service.decode(Problem.self, gone.text).detail.contains("no alias \"production\""))
            #expect(try await service.request(.delete, APIPath.alias(name: "churn", alias: "production")).status == .notFound)
        }
    }

    @Test func anAliasPointsOnlyAtAReadyVersionThatExists() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let queued = try service.decode(
                TrainingAccepted.self,
                try await service.request(.post, APIPath.models + "?name=churn", contentType: "text/csv", body: Self.binary).text)
            let notReady = try await Self.setAlias(service, "churn", "production", 1)
            #expect(notReady.status == .conflict)
            #expect(try service.decode(Problem.self, notReady.text).state == .queued)
            #expect(try await Self.setAlias(service, "churn", "production", 2).status == .notFound)
            #expect(try await Self.setAlias(service, "nobody", "production", 1).status == .notFound)
            let badAlias = try await Self.setAlias(service, "churn", "2", 1)
            #expect(badAlias.status == .badRequest)
            #expect(try service.decode(Problem.self, badAlias.text).parameter == "alias")
            let badBody = try await service.request(
                .put, APIPath.alias(name: "churn", alias: "production"), contentType: "application/json", body: "{\"version\": \"one\"}")
            #expect(badBody.status == .badRequest)
            #expect(try service.decode(Problem.self, badBody.text).parameter == "version")
            // A bare name with no ready version: 409, while the version itself answers.
            let bare = try await service.request(.get, APIPath.filled(APIPath.model, id: "churn"))
            #expect(bare.status == .conflict, "\(bare.text)")
            let byVersion = try service.decode(ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: "churn@1")).text)
            #expect(byVersion.modelID == queued.modelID && byVersion.state == .queued)
        }
    }

    @Test func deletingAnAliasedVersionIs409NamingTheAlias() async throws {
        try await TestService.run(memory: true) { service in
            let first = try await Self.trainVersion(service, "churn")
            _ = try await Self.trainVersion(service, "churn")
            #expect(try await Self.setAlias(service, "churn", "production", 1).status == .ok)
            for reference in [first.modelID, "churn@1", "churn@production"] {
                let refused = try await service.request(.delete, APIPath.filled(APIPath.model, id: reference))
                #expect(refused.status == .conflict, "\(reference)")
                #expect(try service.decode(Problem.self, refused.text).detail.contains("\"production\""))
            }
            #expect(try await Self.setAlias(service, "churn", "production", 2).status == .ok)
            #expect(try await service.request(.delete, APIPath.filled(APIPath.model, id: "churn@1")).status == .noContent)
            let listed = try service.decode(
                ModelVersionList.self, try await service.request(.get, APIPath.filled(APIPath.modelVersions, id: "churn")).text)
            #expect(listed.versions.map(\.version) == [2])
            let third = try await Self.trainVersion(service, "churn")
            #expect(third.version == 3, "a deleted version's number is not reused")
        }
    }

    @Test func listingFiltersByName() async throws {
        try await TestService.run(memory: true) { service in
            _ = try await Self.trainVersion(service, "churn")
            _ = try await Self.trainVersion(service, "fraud")
            _ = try await Self.trainVersion(service, "churn")
            let answer = try await service.request(.get, APIPath.models + "?name=churn&limit=1")
            try SchemaCheck.response(answer, path: APIPath.models, method: "get")
            let page = try service.decode(ModelListing.self, answer.text)
            #expect(page.total == 2)
            #expect(page.models.map(\.version) == [2], "newest version first")
            #expect(page.next == "/models?offset=1&limit=1&name=churn")
            #expect(try service.decode(ModelListing.self, try await service.request(.get, APIPath.models).text).total == 3)
            #expect(try await service.request(.get, APIPath.models + "?name=Not%20a%20name").status == .badRequest)
            #expect(try await service.request(.get, APIPath.filled(APIPath.modelVersions, id: "nobody")).status == .notFound)
        }
    }

    @Test func aliasRoutesNeedTheTokenWhenOneIsSet() async throws {
        try await TestService.run(memory: true, configure: { $0.apiToken = "secret" }) { service in
            let answer = try await service.request(
                .post, APIPath.models + "?name=churn", contentType: "text/csv", authorization: "Bearer secret", body: Self.binary)
            try await service.waitForStatus(try service.decode(TrainingAccepted.self, answer.text).modelID, .ready)
            #expect(try await Self.setAlias(service, "churn", "production", 1).status == .unauthorized)
            #expect(try await Self.setAlias(service, "churn", "production", 1, authorization: "Bearer secret").status == .ok)
            #expect(try await service.request(.delete, APIPath.alias(name: "churn", alias: "production")).status == .unauthorized)
            #expect(
                try await service.request(.delete, APIPath.alias(name: "churn", alias: "production"), authorization: "Bearer secret").status
                    == .noContent)
        }
    }

    @Test func referencesParse() {
        let id = ModelID.generate()
        #expect(ModelReference(id.rawValue) == .id(id))
        #expect(ModelReference("churn") == .name(ModelName(validating: "churn")!, .newestReady))
        #expect(ModelReference("churn@12") == .name(ModelName(validating: "churn")!, .version(12)))
        #expect(ModelReference("churn@production") == .name(ModelName(validating: "churn")!, .alias(AliasName(validating: "production")!)))
        for bad in ["Churn", "churn@", "churn@0", "churn@Prod", "@1", "churn@1@2", "", "a/b"] { #expect(ModelReference(bad) == nil, "\(bad)") }
    }
}
