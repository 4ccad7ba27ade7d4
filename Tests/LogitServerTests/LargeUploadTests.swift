import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitTestSupport
import Testing

/// A training body larger than `JobQueue.uploadChunkBytes` is written to Redis while the API validates it
/// (`ModelStore.create(_:data:validatedBy:)`), on a real redis-server.
@Suite struct LargeUploadTests {
    /// About 9.8 MB of rows, with `last` as the final line.
    static func body(last: String) -> String {
        var lines = (0..<900_000).map { "\(Double($0 % 977) / 10),\($0 % 13 - 6),\($0 % 2 == 0 ? "yes" : "no")" }
        lines.append(last)
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func aLargeBodyArrivesWhole() async throws {
        try await TestService.run(worker: false) { service in
            let csv = Self.body(last: "1.5,2,yes")
            #expect(csv.utf8.count > JobQueue.uploadChunkBytes)
            let id = try await service.train(csv)
            let stored = try await service.redis.send("GET", .text(KeySchema().trainingData(ModelID(validating: id)!)))
            #expect(stored.string == csv)
            let keys = try await service.redis.send("KEYS", "*").array?.compactMap(\.string) ?? []
            #expect(!keys.contains { $0.contains("upload") }, "\(keys)")
        }
    }

    /// A body that fails validation at its last line leaves nothing in Redis, though most of it was written there
    /// while it was being validated.
    @Test func aRejectedLargeBodyLeavesNothingBehind() async throws {
        try await TestService.run(worker: false) { service in
            let csv = Self.body(last: "1.5,oops,yes")
            #expect(csv.utf8.count > JobQueue.uploadChunkBytes)
            let response = try await service.request(.post, APIPath.models, contentType: "text/csv", body: csv)
            #expect(response.status == .badRequest)
            #expect(response.text.contains("line 900001"), "\(response.text)")
            let keys = try await service.redis.send("KEYS", "*").array?.compactMap(\.string) ?? []
            #expect(keys.isEmpty, "\(keys)")
        }
    }
}
