import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

/// A training body larger than `JobQueue.uploadChunkBytes` goes to Redis while the API reads it, on a real
/// redis-server: parsed, in parts (`TrainingMatrix`, `ModelStore.create(_:data:readingInParts:validatedBy:)`), or
/// as its CSV when it has quoted fields (`ModelStore.create(_:data:validatedBy:)`).
@Suite struct LargeUploadTests {
    /// About 9.8 MB of rows, with `last` as the final line.
    static func body(last: String, label: (Int) -> String = { $0 % 2 == 0 ? "yes" : "no" }) -> String {
        var lines = (0..<900_000).map { "\(Double($0 % 977) / 10),\($0 % 13 - 6),\(label($0))" }
        lines.append(last)
        return lines.joined(separator: "\n") + "\n"
    }

    static func keys(_ service: TestService) async throws -> [String] {
        try await service.redis.send("KEYS", "*").array?.compactMap(\.string) ?? []
    }

    /// The worker gets the matrix the API read, bit for bit the one its own parse would give, and no upload is left.
    @Test func aLargeBodyIsStoredParsed() async throws {
        try await TestService.run(worker: false) { service in
            let csv = Self.body(last: "1.5,2,yes")
            #expect(csv.utf8.count > JobQueue.uploadChunkBytes)
            let id = try #require(ModelID(validating: try await service.train(csv)))
            let layout = try await service.redis.send("HGET", .text(KeySchema().model(id)), .text(ModelField.trainingData.rawValue))
            #expect(layout.string == TrainingMatrix.fieldValue)
            let input = try #require(try await JobQueue(client: service.redis, keys: KeySchema()).jobInput(id))
            let stored = try #require(input.parsed)
            let parsed = try TrainingSet.parse(Array(csv.utf8))
            #expect(input.data.isEmpty)
            #expect(stored.features.elementsEqual(parsed.features) { $0.bitPattern == $1.bitPattern })
            #expect(stored.labels == parsed.labels && stored.classes == parsed.classes && stored.featureCount == 2)
            #expect(!(try await Self.keys(service)).contains { $0.contains("upload") })
        }
    }

    /// Stored parsed, trained by the worker: the same fit as training the parsed body in this process. (A wide body,
    /// 60,000 rows of 30 features, so that the fit is short even in a loaded parallel run.)
    @Test func aLargeBodyStoredParsedTrainsLikeItsCSV() async throws {
        try await TestService.run { service in
            let csv = (0..<60_000).map { row in
                (0..<30).map { column in "\(Double((row * 31 + column * 17) % 1000) / 10 + (column == 0 ? Double(row % 2) * 20 : 0))" }
                    .joined(separator: ",") + (row % 2 == 0 ? ",yes" : ",no")
            }.joined(separator: "\n")
            #expect(csv.utf8.count > JobQueue.uploadChunkBytes)
            let id = try await service.train(csv)
            // A generous safety net: in a full parallel run on 2 cores this test took 25 s of its 30.
            try await service.waitForStatus(id, .ready, timeout: 120)
            let record = try #require(try await ModelStore(client: service.redis, keys: KeySchema()).record(ModelID(validating: id)!))
            let (_, local) = try Trainer.fit(try TrainingSet.parse(Array(csv.utf8)), parameters: record.parameters)
            #expect(record.result?.summary.objective.bitPattern == local.objective.bitPattern)
        }
    }

    /// A body with a quoted field is not read in parts: its CSV is stored, for the worker to parse.
    @Test func aQuotedLargeBodyIsStoredAsCSV() async throws {
        try await TestService.run(worker: false) { service in
            let csv = Self.body(last: "1.5,2,\"yes\"")
            let id = try #require(ModelID(validating: try await service.train(csv)))
            let stored = try await service.redis.send("GET", .text(KeySchema().trainingData(id)))
            #expect(stored.string == csv)
            let layout = try await service.redis.send("HGET", .text(KeySchema().model(id)), .text(ModelField.trainingData.rawValue))
            #expect(layout == .null)
        }
    }

    /// Redis gone while a large body is read: 503 (the client may retry), not a 500 or a hang.
    @Test func aLargeBodyWhileRedisIsDownIsA503() async throws {
        try await TestService.run(worker: false) { service in
            service.server.kill()
            let response = try await service.request(.post, APIPath.models, contentType: "text/csv", body: Self.body(last: "1.5,2,yes"))
            #expect(response.status == .serviceUnavailable, "\(response.text)")
        }
    }

    /// A body that fails at its last line leaves nothing in Redis, though most of it was written there while it was
    /// being read.
    @Test func aRejectedLargeBodyLeavesNothingBehind() async throws {
        try await TestService.run(worker: false) { service in
            let csv = Self.body(last: "1.5,oops,yes")
            #expect(csv.utf8.count > JobQueue.uploadChunkBytes)
            let response = try await service.request(.post, APIPath.models, contentType: "text/csv", body: csv)
            #expect(response.status == .badRequest)
            #expect(response.text.contains("line 900001"), "\(response.text)")
            #expect(try await Self.keys(service).isEmpty)
        }
    }

    /// A body refused after it was read whole (a holdout without a row of one class), when every row and every
    /// class index had been written, leaves nothing either.
    @Test func aLargeBodyRefusedAfterItsReadLeavesNothingBehind() async throws {
        try await TestService.run(worker: false) { service in
            let csv = Self.body(last: "1.5,2,maybe")
            let response = try await service.request(.post, APIPath.models + "?validation_fraction=0.5", contentType: "text/csv", body: csv)
            #expect(response.status == .badRequest)
            #expect(response.text.contains("validation_fraction"), "\(response.text)")
            #expect(try await Self.keys(service).isEmpty)
        }
    }
}
