import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// Holdout metrics in the summary, and `POST /models/{ref}/evaluate` (on the in-memory store). The metric arithmetic
/// itself is checked against scikit-learn in `ClassificationMetricsTests`.
@Suite struct EvaluationTests {
    static let iris = RegistryRoutesTests.iris

    @Test func aHoldoutGetsItsMetricsInTheSummary() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(Self.iris, query: "?validation_fraction=0.2&seed=3")
            try await service.waitForStatus(id, .ready)
            let answer = try await service.request(.get, APIPath.filled(APIPath.model, id: id))
            try SchemaCheck.response(answer, path: APIPath.model, method: "get")
            let summary = try #require(try service.decode(ModelMetadata.self, answer.text).summary)
            let metrics = try #require(summary.validationMetrics)
            #expect(metrics.sampleCount == 30)
            #expect(metrics.accuracy == summary.validationAccuracy)
            #expect(metrics.classes == ["setosa", "versicolor", "virginica"])
            #expect(metrics.confusionMatrix.flatMap { $0 }.reduce(0, +) == 30)
            #expect(metrics.rocAUC == nil, "ROC AUC is for binary models")
            #expect(metrics.logLoss > 0)
            let unheld = try await service.train(Self.iris)
            try await service.waitForStatus(unheld, .ready)
            let plain = try service.decode(ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: unheld)).text)
            #expect(plain.summary?.validationMetrics == nil, "no holdout, no holdout metrics")
        }
    }

    @Test func evaluateAnswersTheMetricsOfTheRowsSent() async throws {
        try await TestService.run(memory: true) { service in
            let accepted = try await RegistryRoutesTests.trainVersion(service, "flowers", Self.iris)
            let answer = try await service.request(.post, APIPath.filled(APIPath.evaluate, id: "flowers@1"), contentType: "text/csv", body: Self.iris)
            #expect(answer.status == .ok, "\(answer.text)")
            try SchemaCheck.response(answer, path: APIPath.evaluate, method: "post")
            let evaluation = try service.decode(ModelEvaluation.self, answer.text)
            #expect(evaluation.modelID == accepted.modelID && evaluation.version == 1)
            let metadata = try service.decode(
                ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: accepted.modelID)).text)
            #expect(evaluation.metrics.accuracy == metadata.summary?.trainAccuracy, "on its own training data: the training accuracy")
            #expect(evaluation.metrics.sampleCount == 150 && evaluation.metrics.support == [50, 50, 50])
            #expect(abs(evaluation.metrics.macroF1 - evaluation.metrics.f1.reduce(0, +) / 3) < 1e-15)

            // The same options as training: a header, the label first, semicolons.
            let rows = Self.iris.split(separator: "\n").map { line -> String in
                let fields = line.split(separator: ",")
                return ([fields.last!] + fields.dropLast()).joined(separator: ";")
            }
            let laidOut = "species;a;b;c;d\n" + rows.joined(separator: "\n") + "\n"
            let same = try await service.request(
                .post, APIPath.filled(APIPath.evaluate, id: "flowers") + "?header=true&label=first&delimiter=semicolon", contentType: "text/csv",
                body: laidOut)
            #expect(try service.decode(ModelEvaluation.self, same.text).metrics == evaluation.metrics, "\(same.text)")
            #expect(try await service.storedItems() == 1, "nothing stored")
        }
    }

    @Test func badEvaluationsSayWhatIsWrong() async throws {
        try await TestService.run(memory: true) { service in
            _ = try await RegistryRoutesTests.trainVersion(service, "flowers", Self.iris)
            let path = APIPath.filled(APIPath.evaluate, id: "flowers")
            let unknown = try await service.request(.post, path, contentType: "text/csv", body: "1,2,3,4,setosa\n1,2,3,4,rose\n")
            #expect(unknown.status == .unprocessableContent)
            #expect(try service.decode(Problem.self, unknown.text).detail.contains("\"rose\""))
            let width = try await service.request(.post, path, contentType: "text/csv", body: "1,2,3,setosa\n1,2,3,versicolor\n")
            #expect(width.status == .badRequest)
            let malformed = try await service.request(.post, path, contentType: "text/csv", body: "1,2,3,4,setosa\n1,x,3,4,versicolor\n")
            #expect(malformed.status == .badRequest)
            #expect(try service.decode(Problem.self, malformed.text).line == 2)
            #expect(try await service.request(.post, path, contentType: "application/json", body: "{}").status == .unsupportedMediaType)
            #expect(
                try await service.request(.post, APIPath.filled(APIPath.evaluate, id: "nobody"), contentType: "text/csv", body: Self.iris).status
                    == .notFound)
        }
    }
}
