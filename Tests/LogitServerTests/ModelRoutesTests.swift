import Foundation
import HTTPTypes
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// The routes beyond the original: metadata, predict by POST, CSV output, listing, deletion, health.
@Suite struct ModelRoutesTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)

    @Test func metadataPublishesTheFittedModel() async throws {
        try await TestService.run { service in
            let id = try await service.train(Self.iris, query: "?C=1&max_iter=5000")
            try await service.waitForStatus(id, "Ready to Use")
            let metadata = try service.json(try await service.request(.get, "/models/\(id)").text)
            #expect(metadata["state"] as? String == "ready")
            #expect(metadata["classes"] as? [String] == ["setosa", "versicolor", "virginica"])
            #expect(metadata["n_features"] as? Int == 4)
            #expect(metadata["n_samples"] as? Int == 150)
            #expect((metadata["params"] as? [String: Any])?["max_iter"] as? Int == 5000)
            let summary = try #require(metadata["summary"] as? [String: Any])
            let objective = try #require(summary["objective"] as? Double)
            let reference = Fixtures.referenceOptimum("iris.csv").objective
            #expect(abs(objective - reference) / reference < 1e-6)
            #expect(summary["converged"] as? Bool == true)
            let coefficients = try #require(metadata["coefficients"] as? [String: Any])
            #expect((coefficients["coef"] as? [[Double]])?.count == 3)
            #expect((coefficients["intercept"] as? [Double])?.count == 3)
            for key in ["created_at", "started_at", "finished_at"] { #expect(metadata[key] is String, "\(key)") }
            #expect(try await service.redis.send("EXISTS", .text("lr:data:\(id)")).integer == 0, "training data is deleted once the model is stored")
        }
    }

    @Test func predictByPostAsJSONAndAsCSV() async throws {
        try await TestService.run { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, "Ready to Use")
            let rows = "5.1,3.5,1.4,0.2\r\n6.9,3.1,5.1,2.3\n"
            let json = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: rows)
            #expect(json.status == .ok)
            #expect(try service.json(json.text)["predictions"] as? [String] == ["setosa", "virginica"])
            let csv = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", accept: "text/csv", body: rows)
            #expect(csv.status == .ok)
            let lines = csv.text.split(separator: "\n")
            #expect(lines.first == "label,setosa,versicolor,virginica")
            #expect(lines.count == 3)
            #expect(lines[1].hasPrefix("setosa,") && lines[2].hasPrefix("virginica,"))
        }
    }

    @Test func badPredictionBodiesAre400WithTheLine() async throws {
        try await TestService.run { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, "Ready to Use")
            let wrongCount = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: "1,2,3,4\n1,2,3\n")
            #expect(wrongCount.status == .badRequest)
            #expect(try service.json(wrongCount.text)["line"] as? Int == 2)
            let text = try await service.request(.post, "/models/\(id)/predict", contentType: "text/csv", body: "1,2,x,4\n")
            #expect(text.status == .badRequest)
            #expect(try service.json(text.text)["field"] as? Int == 3)
            let empty = try await service.request(.get, "/models/\(id)", contentType: "text/csv", body: "")
            #expect(empty.status == .badRequest)
        }
    }

    @Test func listingIsNewestFirstAndPaginated() async throws {
        try await TestService.run(worker: false) { service in
            var ids: [String] = []
            for _ in 0..<3 {
                ids.append(try await service.train("1,a\n2,b\n"))
                try await Task.sleep(for: .milliseconds(2))  // distinct creation milliseconds, for a defined order
            }
            let page = try service.json(try await service.request(.get, "/models?limit=2").text)
            #expect(page["total"] as? Int == 3)
            #expect((page["models"] as? [[String: Any]])?.map { $0["model_id"] as? String } == [ids[2], ids[1]])
            #expect(page["next"] as? String == "/models?offset=2&limit=2")
            let bad = try await service.request(.get, "/models?limit=0")
            #expect(bad.status == .badRequest)
        }
    }

    @Test func deleteRemovesEveryKey() async throws {
        try await TestService.run { service in
            let id = try await service.train(Self.iris)
            try await service.waitForStatus(id, "Ready to Use")
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
        try await TestService.run(worker: false, configure: { $0.apiToken = "t0ken" }) { service in
            let anonymous = try await service.request(.post, "/models", contentType: "text/csv", body: "1,a\n2,b\n")
            #expect(anonymous.status == .unauthorized)
            let wrong = try await service.request(.post, "/models", contentType: "text/csv", authorization: "Bearer nope", body: "1,a\n2,b\n")
            #expect(wrong.status == .unauthorized)
            #expect(try await service.keyCount() == 0)
            let right = try await service.request(.post, "/models", contentType: "text/csv", authorization: "Bearer t0ken", body: "1,a\n2,b\n")
            #expect(right.status == .created)
            #expect(try await service.request(.get, "/models").status == .ok, "reading needs no token")
        }
    }
}
