import Foundation
import Logging
import LogitCore
import LogitRedis
import LogitTestSupport
import LogitWorker
import NIOCore
import ServiceLifecycle
import Testing

/// The worker's job logic on the in-memory queue, without Redis: settling, retrying through an outage with backoff,
/// progress writes, and stopping when the claim is gone.
@Suite struct WorkerLogicTests {
    static let iris = Fixtures.bytes("iris.csv")

    /// Runs a worker on `backend` while `body` runs, then shuts it down gracefully.
    static func withWorker(_ backend: InMemoryBackend, _ body: @Sendable () async throws -> Void) async throws {
        let configuration = WorkerConfiguration(
            lease: .seconds(2), heartbeat: .milliseconds(50), progressInterval: .milliseconds(20), shutdownGrace: .seconds(1))
        try await withTrainingWorker(queue: backend, configuration: configuration, body)
    }

    static func submit(
        _ backend: InMemoryBackend, _ csv: [UInt8] = iris, parameters: TrainingParameters = TrainingParameters()
    ) async throws -> ModelID {
        let shape = try csv.withUnsafeBufferPointer { try TrainingSet.validate($0) }
        let id = ModelID.generate()
        let record = ModelRecord.queued(
            parameters: parameters,
            shape: ModelRecord.DataShape(classes: shape.classes, featureCount: shape.featureCount, sampleCount: shape.rowCount),
            createdAt: Timestamp.nowDate())
        try await backend.create(id, record: record, data: .init(bytes: csv))
        return id
    }

    @Test func aJobIsTrainedStoredAndCounted() async throws {
        let backend = InMemoryBackend()
        let id = try await Self.submit(backend)
        try await Self.withWorker(backend) {
            try await waitUntil("the model to be ready") { try await backend.record(id)?.state == .ready }
        }
        let record = try #require(try await backend.record(id))
        #expect(record.attempts == 1 && record.worker == nil && record.finishedAt != nil)
        #expect(abs(record.result!.summary.objective - Fixtures.referenceOptimum("iris.csv").objective) / record.result!.summary.objective < 1e-6)
        #expect(try await backend.fittedModel(id)?.classes == ["setosa", "versicolor", "virginica"])
        #expect(await backend.stats[.ready] == 1)
        #expect(try await backend.jobInput(id) == nil, "the training data is gone once the model is stored")
    }

    @Test func theWorkerRetriesThroughAnOutageWithBackoff() async throws {
        let backend = InMemoryBackend()
        let id = try await Self.submit(backend)
        await backend.failNextCalls(8)
        try await Self.withWorker(backend) {
            try await waitUntil("the model to be ready after the outage") { await backend.storedRecord(id)?.state == .ready }
        }
        #expect(try await backend.record(id)?.attempts == 1, "an outage is not an attempt")
    }

    @Test func unreadableDataEndsFailedWithTheReason() async throws {
        let backend = InMemoryBackend()
        let id = try await Self.submit(backend, Array("1,a\n2,b\n".utf8))
        // The data changes behind the queue's back: a row with a non-number.
        await backend.replaceData(of: id, with: Array("1,a\nx,b\n".utf8))
        try await Self.withWorker(backend) {
            try await waitUntil("the model to fail") { try await backend.record(id)?.state == .failed }
        }
        #expect(try await backend.record(id)?.error?.contains("unreadable") == true)
        #expect(await backend.stats[.failed] == 1)
    }

    @Test func progressIsWrittenAndADeletedModelStopsItsFit() async throws {
        let backend = InMemoryBackend()
        var parameters = TrainingParameters()
        parameters.solver = .fista
        parameters.learningRate = 1e-4  // a small fixed step: many iterations, so the fit is still running when deleted
        parameters.maxIter = 1_000_000
        let id = try await Self.submit(backend, parameters: parameters)
        try await Self.withWorker(backend) {
            try await waitUntil("progress to be written") { (try await backend.record(id)?.progress?.iteration ?? 0) > 10 }
            #expect(try await backend.delete(id) == .deleted)
            // One job at a time: the next one is trained only once the deleted one's fit has stopped (it would run
            // for minutes).
            let next = try await Self.submit(backend)
            try await waitUntil("the next job to be trained", timeout: 20) { try await backend.record(next)?.state == .ready }
        }
        #expect(try await backend.record(id) == nil, "nothing is written back after the delete")
        #expect(await backend.workersHolding() == 0)
    }
}
