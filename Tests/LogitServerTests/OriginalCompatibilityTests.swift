import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// What the original Flask service's clients rely on: paths, status codes, JSON keys and texts. On the in-memory
/// store. The texts are spelled out here rather than taken from `OriginalMessages`, which is what they check.
@Suite struct OriginalCompatibilityTests {
    static let iris = String(decoding: Fixtures.bytes("iris.csv"), as: UTF8.self)
    static let notFound = "The model id you supplied either doesn't exist or the model_id provided is wrong."

    @Test func trainPollPredictAsTheOriginalREADMEDocuments() async throws {
        try await TestService.run(memory: true) { service in
            let response = try await service.request(.post, "/models", contentType: "text/csv", body: Self.iris)
            #expect(response.status == .created)
            let body = try service.decode(TrainingAccepted.self, response.text)
            let id = body.modelID
            #expect(body.taskID == id)
            #expect(body.message.contains("/check_model_status/\(id)"))
            #expect(response.headers[.location] == "/models/\(id)")

            #expect(try await service.waitForStatus(id, .ready).status == "Ready to Use")
            #expect(try await service.request(.post, "/check_model_status/\(id)").status == .ok)

            let prediction = try await service.request(.get, "/models/\(id)", contentType: "text/csv", body: "6.9,3.1,5.1,2.3")
            #expect(prediction.status == .accepted)
            let predicted = try service.decode(PredictionResponse.self, prediction.text)
            #expect(predicted.predictions == ["virginica"])
            let probabilities = predicted.predictionProbability
            #expect(probabilities.count == 1 && probabilities[0].count == 3)
            #expect(abs(probabilities[0].reduce(0, +) - 1) < 1e-9)
        }
    }

    @Test func unknownAndMalformedIdsAnswer404WithTheOriginalText() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            for uri in [
                "/check_model_status/model_20181025-132027", "/check_model_status/00000000-0000-4000-8000-000000000000",
                "/models/00000000-0000-4000-8000-000000000000", "/models/..%2F..%2Fetc", "/models/lr:jobs",
            ] {
                let response = try await service.request(.get, uri)
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.text.contains(Self.notFound), "\(uri): \(response.text)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            let prediction = try await service.request(.get, "/models/00000000-0000-4000-8000-000000000000", contentType: "text/csv", body: "1,2")
            #expect(prediction.status == .notFound)
            #expect(try await service.request(.delete, "/models/00000000-0000-4000-8000-000000000000").status == .notFound)
        }
    }

    @Test func wrongContentTypesAnswer415WithTheOriginalTexts() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let training = try await service.request(.post, "/models", contentType: "application/json", body: Self.iris)
            #expect(training.status == .unsupportedMediaType)
            #expect(training.text.contains("Please post data in csv format, and make sure the label column is the last column in the csv."))
            let noType = try await service.request(.post, "/models", body: Self.iris)
            #expect(noType.status == .unsupportedMediaType)
            let id = "00000000-0000-4000-8000-000000000000"
            let prediction = try await service.request(.get, "/models/\(id)", contentType: "text/plain", body: "1,2,3,4")
            #expect(prediction.status == .unsupportedMediaType)
            #expect(prediction.text.contains("Please post data in csv format."))
            #expect(try await service.storedItems() == 0)
        }
    }

    @Test func aQueuedModelAnswersModelIsTrainingToAPrediction() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let id = try await service.train(Self.iris)
            let status = try await service.request(.get, "/check_model_status/\(id)")
            #expect(try service.decode(StatusResponse.self, status.text).status == "Model is Training")
            let prediction = try await service.request(.get, "/models/\(id)", contentType: "text/csv", body: "6.9,3.1,5.1,2.3")
            #expect(prediction.status == .ok)
            #expect(try service.decode(StatusResponse.self, prediction.text).status == "Model is Training")
        }
    }

    @Test func aFailedTrainingIsReportedAsFailedWithItsReason() async throws {
        try await TestService.run(memory: true) { service in
            // A fixed step this large overflows at once: the fit must end as failed, not "Ready to Use".
            let id = try await service.train(Self.iris, query: "?learning_rate=1e300&penalty=none")
            let status = try await service.waitForStatus(id, .failed)
            #expect(status.status == "Training Failed")
            #expect(status.error?.contains("diverged") == true)
            let prediction = try await service.request(.get, "/models/\(id)", contentType: "text/csv", body: "6.9,3.1,5.1,2.3")
            #expect(prediction.status == .conflict)
            #expect(prediction.text.contains("Training Failed"))
        }
    }

    @Test func modelIdsAreUniqueUnderConcurrency() async throws {
        try await TestService.run(worker: false, memory: true) { service in
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await service.train("1,a\n2,b\n") } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 20)
            let backend = try #require(service.backend)
            let queued = await backend.pendingJobs.map(\.rawValue)
            #expect(queued.count == 20 && Set(queued) == Set(ids), "each is queued once")
        }
    }
}
