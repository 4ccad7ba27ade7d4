import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

/// Real files through the API (in-memory store): a headered CSV trained and predicted by name, JSON instances,
/// passthrough columns, a 409 from /predict while training, and refusals that say what to do.
@Suite struct RealDataTests {
    /// Iris with a header, the label first and the columns renamed: as a data team's export looks.
    static let headered: String = {
        let names = "species,sepal length,sepal width,petal length,petal width\n"
        let rows = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self).split(separator: "\n").map { line -> String in
            var fields = line.split(separator: ",").map(String.init)
            let label = fields.removeLast()
            return ([label] + fields).joined(separator: ",")
        }
        return names + rows.joined(separator: "\n") + "\n"
    }()

    func trainHeadered(_ service: TestService, query: String = "?label=species") async throws -> String {
        let accepted = try await service.request(.post, APIPath.models + query, contentType: "text/csv", body: Self.headered)
        #expect(accepted.status == .created, "\(accepted.text)")
        let id = try service.decode(TrainingAccepted.self, accepted.text).modelID
        try await service.waitForStatus(id, .ready)
        return id
    }

    @Test func aHeaderedFileTrainsAndPredictsByNameInAnyOrder() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await trainHeadered(service)
            let metadata = try service.decode(ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: id)).text)
            #expect(metadata.featureNames == ["sepal length", "sepal width", "petal length", "petal width"])
            #expect(metadata.labelName == "species" && metadata.classes == ["setosa", "versicolor", "virginica"])
            #expect(metadata.format.label == .name("species"))
            let objective = try #require(metadata.summary?.objective)
            #expect(abs(objective - Fixtures.referenceOptimum("iris.csv").objective) / objective < 1e-6, "the same model as headerless")

            // Columns by name, in another order, with an id passed through to CSV output.
            let body = "row,petal width,petal length,sepal width,sepal length\nr1,2.3,5.1,3.1,6.9\nr2,0.2,1.4,3.5,5.1\n"
            let csv = try await service.request(
                .post, APIPath.filled(APIPath.predict, id: id) + "?passthrough=row", contentType: "text/csv", accept: "text/csv", body: body)
            #expect(csv.status == .ok, "\(csv.text)")
            let lines = csv.text.split(separator: "\n")
            #expect(lines.first == "row,label,setosa,versicolor,virginica")
            #expect(lines.dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") } == ["r1,virginica", "r2,setosa"])
        }
    }

    @Test func jsonInstancesAsArraysOrNamedObjects() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await trainHeadered(service)
            let arrays = #"{"instances": [[6.9, 3.1, 5.1, 2.3], [5.1, 3.5, 1.4, 0.2]]}"#
            let named = #"{"instances": [{"petal width": 2.3, "petal length": 5.1, "sepal width": 3.1, "sepal length": 6.9}]}"#
            for (body, expected) in [(arrays, ["virginica", "setosa"]), (named, ["virginica"])] {
                let answer = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "application/json", body: body)
                #expect(answer.status == .ok, "\(answer.text)")
                try SchemaCheck.response(answer, path: APIPath.predict, method: "post")
                #expect(try service.decode(PredictionResponse.self, answer.text).predictions == expected)
            }
            let short = try await service.request(
                .post, APIPath.filled(APIPath.predict, id: id), contentType: "application/json", body: #"{"instances": [[1, 2]]}"#)
            #expect(short.status == .badRequest && short.text.contains("instances[0]"), "\(short.text)")
        }
    }

    @Test func predictOnAModelNotReadyIsA409WithItsStateButTheOriginalGetKeeps200() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let accepted = try await service.request(
                .post, APIPath.models, contentType: "text/csv", body: String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self))
            let id = try service.decode(TrainingAccepted.self, accepted.text).modelID
            let predict = try await service.request(.post, APIPath.filled(APIPath.predict, id: id), contentType: "text/csv", body: "1,2,3,4\n")
            #expect(predict.status == .conflict)
            #expect(try service.decode(Problem.self, predict.text).state == .queued)
            try SchemaCheck.response(predict, path: APIPath.predict, method: "post")
            let original = try await service.request(.get, APIPath.filled(APIPath.model, id: id), contentType: "text/csv", body: "1,2,3,4\n")
            #expect(original.status == .ok && original.text.contains(OriginalMessages.training))
        }
    }

    @Test func refusalsSayWhatToDo() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let continuous = "id,radius\n" + (0..<300).map { "\($0 % 3),\(Double($0) * 0.73)" }.joined(separator: "\n")
            let refused = try await service.request(.post, APIPath.models, contentType: "text/csv", body: continuous)
            #expect(refused.status == .unprocessableContent && refused.text.contains("label="), "\(refused.text)")
            let starved = try await service.request(
                .post, APIPath.models + "?validation_fraction=0.9", contentType: "text/csv", body: "1,a\n2,a\n3,a\n4,b\n5,b\n6,b\n")
            #expect(try starved.status == .badRequest && service.decode(Problem.self, starved.text).parameter == "validation_fraction")
            let notCSV = try await service.request(.post, APIPath.models, contentType: "application/json", body: "{}")
            #expect(notCSV.status == .unsupportedMediaType && notCSV.text.contains("text/tab-separated-values"))
            let badFormat = try await service.request(.post, APIPath.models + "?delimiter=colon", contentType: "text/csv", body: "1,a\n2,b\n")
            #expect(try badFormat.status == .badRequest && service.decode(Problem.self, badFormat.text).parameter == "delimiter")
            #expect(try await service.storedItems() == 0, "nothing is stored for a refused body")
        }
    }

    @Test func tabSeparatedBodiesNumericLabelsAndWarningsInTheStatus() async throws {
        try await TestService.run(memory: true) { service in
            let tsv = "n\tx\tlabel\n" + (0..<40).map { "\($0)\t\(Double($0 % 7) * 0.5)\t\($0 % 2 == 0 ? "0" : "1.0")" }.joined(separator: "\n")
            let accepted = try await service.request(.post, APIPath.models + "?max_iter=1", contentType: "text/tab-separated-values", body: tsv)
            #expect(accepted.status == .created, "\(accepted.text)")
            let id = try service.decode(TrainingAccepted.self, accepted.text).modelID
            let status = try await service.waitForStatus(id, .ready)
            let warnings = status.warnings ?? []
            #expect(warnings.contains { $0.contains("row index") }, "the n column: \(warnings)")
            #expect(warnings.contains { $0.contains("max_iter=1") }, "the unconverged fit: \(warnings)")
            let metadata = try service.decode(ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: id)).text)
            #expect(metadata.classes == ["0", "1.0"] && metadata.summary?.converged == false)
        }
    }
}
