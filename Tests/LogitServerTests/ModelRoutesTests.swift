import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// The routes beyond the original: metadata, predict by POST, CSV output, listing, deletion, health. On the
/// in-memory store, except where Redis itself is the subject (the keys a delete leaves, readiness without Redis).
@Suite struct ModelRoutesTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)

    @Test func metadataPublishesTheFittedModel() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(Self.iris, query: "?C=1&max_iter=5000")
            try await service.waitForStatus(id, .ready)
            let metadata = try service.decode(ModelMetadata.self, try await service.request(.get, "/models/\(id)").text)
            #expect(metadata.state == .ready)
            #expect(metadata.classes == ["setosa", "versicolor", "virginica"])
            #expect(metadata.featureCount == 4)
            #expect(metadata.sampleCount == 150)
            #expect(metadata.params.maxIter == 5000)
            let summary = try #require(metadata.summary)
            let reference = Fixtures.referenceOptimum("iris.csv").objective
            #expect(abs(summary.objective - reference) / reference < 1e-6)
            #expect(summary.converged)
            let coefficients = try #require(metadata.coefficients)
            #expect(coefficients.coef.count == 3)
            #expect(coefficients.intercept.count == 3)
            #expect(metadata.startedAt != nil && metadata.finishedAt != nil, "created_at, started_at and finished_at are set")
            let backend = try #require(service.backend)
            let modelID = try #require(ModelID(validating: id))
            #expect(try await backend.jobInput(modelID) == nil, "training data is deleted once the model is stored")
        }
    }

    @Test func predictByPostAsJSONAndAsCSV() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, .ready)
            let rows = "5.1,3.5,1.4,0.2\r\n6.9,3.1,5.1,2.3\n"
            let json = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: rows)
            #expect(json.status == .ok)
            #expect(try service.decode(PredictionResponse.self, json.text).predictions == ["setosa", "virginica"])
            let csv = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", accept: "text/csv", body: rows)
            #expect(csv.status == .ok)
            let lines = csv.text.split(separator: "\n")
            #expect(lines.first == "label,setosa,versicolor,virginica")
            #expect(lines.count == 3)
            #expect(lines[1].hasPrefix("setosa,") && lines[2].hasPrefix("virginica,"))
        }
    }

    @Test func badPredictionBodiesAre400WithTheLine() async throws {
        try await TestService.run(memory: true) { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, .ready)
            let wrongCount = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: "1,2,3,4\n1,2,3\n")
            #expect(wrongCount.status == .badRequest)
            #expect(try service.decode(Problem.self, wrongCount.text).line == 2)
            let text = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: "1,2,x,4\n")
            #expect(text.status == .badRequest)
            #expect(try service.decode(Problem.self, text.text).field == 3)
            let empty = try await service.request(.get, "/models/\(id)", contentType: "text/csv", body: "")
            #expect(empty.status == .badRequest)
        }
    }

    @Test func listingIsNewestFirstAndPaginated() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            var ids: [String] = []
            for _ in 0..<3 {
                ids.append(try await service.train("1,a\n2,b\n"))
                try await Task.sleep(for: .milliseconds(2))  // distinct creation milliseconds, for a defined order
            }
            let page = try service.decode(ModelListing.self, try await service.request(.get, "/models?limit=2").text)
            #expect(page.total == 3)
            #expect(page.models.map(\.modelID) == [ids[2], ids[1]])
            #expect(page.next == "/models?offset=2&limit=2")
            let bad = try await service.request(.get, "/models?limit=0")
            #expect(bad.status == .badRequest)
        }
    }

    @Test func deleteRemovesEveryKey() async throws {
        try await TestService.run { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, .ready)
            #expect(try await service.request(.delete, "/models/\(id)").status == .noContent)
            #expect(try await service.request(.get, "/models/\(id)").status == .notFound)
            let keys = try await service.redis.send("KEYS", "lr:*").array ?? []
            #expect(keys.allSatisfy { $0.string?.contains(id) == false }, "\(keys)")
        }
    }

    @Test func healthRoutes() async throws {
        try await TestService.run(worker: false) { service in
            #expect(try await service.request(.get, "/alive").text == #"{"message":"Server is alive!"}"#)
            #expect(try await service.request(.get, "/healthz").status == .ok)
            #expect(try await service.request(.get, "/readyz").status == .ok)
            service.server.stop()
            let notReady = try await service.request(.get, "/readyz")
            #expect(notReady.status == .serviceUnavailable)
            #expect(try await service.request(.get, "/healthz").status == .ok)
            let training = try await service.request(.post, "/models", contentType: "text/csv", body: "1,a\n2,b\n")
            #expect(training.status == .serviceUnavailable)
            #expect(training.headers[.retryAfter] != nil)
            #expect(training.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func mutatingRoutesNeedTheTokenWhenOneIsSet() async throws {
        try await TestService.run(worker: false, memory: true, configure: { $0.apiToken = "t0ken" }) { service in
            let anonymous = try await service.request(.post, "/models", contentType: "text/csv", body: "1,a\n2,b\n")
            #expect(anonymous.status == .unauthorized)
            let wrong = try await service.request(.post, "/models", contentType: "text/csv", authorization: "Bearer nope", body: "1,a\n2,b\n")
            #expect(wrong.status == .unauthorized)
            #expect(try await service.storedItems() == 0)
            let right = try await service.request(.post, "/models", contentType: "text/csv", authorization: "Bearer t0ken", body: "1,a\n2,b\n")
            #expect(right.status == .created)
            #expect(try await service.storedItems() > 0, "the check above would see the model and its job")
            #expect(try await service.request(.get, "/models").status == .ok, "reading needs no token")
        }
    }
}
