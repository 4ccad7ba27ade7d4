import Foundation
import HTTPTypes
import LogitAPI
import LogitCore
import LogitRedis
import LogitServer
import LogitTestSupport
import Testing

/// The registry on a real redis-server: versions assigned atomically by the `enqueue` script, aliases and deletions
/// by theirs, and an alias moved through one API replica followed by another at once.
@Suite struct RegistryRedisTests {
    static let binary = RegistryRoutesTests.binary

    @Test func concurrentPostsGetDifferentVersions() async throws {
        try await TestService.run(worker: false) { service in
            let count = 24
            let versions = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        let answer = try await service.request(.post, APIPath.models + "?name=churn", contentType: "text/csv", body: Self.binary)
                        return try service.decode(TrainingAccepted.self, answer.text).version
                    }
                }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
            #expect(versions.compactMap { $0 }.sorted() == Array(1...count), "each POST got its own version")
            let keys = KeySchema()
            #expect(try await service.redis.send("HGET", .text(keys.names), "churn").string == "\(count)")
            #expect(try await service.redis.send("ZCARD", .text(keys.versions(ModelName(validating: "churn")!))).integer == Int64(count))
        }
    }

    @Test func aliasesResolveAndGuardDeletionInRedis() async throws {
        try await TestService.run { service in
            let first = try await RegistryRoutesTests.trainVersion(service, "churn")
            let second = try await RegistryRoutesTests.trainVersion(service, "churn")
            #expect(try await RegistryRoutesTests.setAlias(service, "churn", "production", 1).status == .ok)
            let keys = KeySchema()
            let name = ModelName(validating: "churn")!
            #expect(try await service.redis.send("HGET", .text(keys.aliases(name)), "production").string == "1", "readable with redis-cli")
            #expect(try await service.redis.send("HGET", .text("lr:model:\(first.modelID)"), "version").string == "1")
            for (reference, model) in [("churn", second), ("churn@1", first), ("churn@production", first)] {
                let metadata = try service.decode(
                    ModelMetadata.self, try await service.request(.get, APIPath.filled(APIPath.model, id: reference)).text)
                #expect(metadata.modelID == model.modelID, "\(reference)")
            }
            let refused = try await service.request(.delete, APIPath.filled(APIPath.model, id: first.modelID))
            #expect(refused.status == .conflict)
            #expect(try service.decode(Problem.self, refused.text).detail.contains("\"production\""))
            #expect(try await service.redis.send("EXISTS", .text("lr:model:\(first.modelID)")).integer == 1, "nothing deleted")
            #expect(try await service.request(.get, APIPath.filled(APIPath.model, id: "churn@3")).status == .notFound)
            #expect(try await service.request(.get, APIPath.filled(APIPath.model, id: "churn@staging")).status == .notFound)
            #expect(try await service.request(.get, APIPath.filled(APIPath.model, id: "nobody")).status == .notFound)
            #expect(try await RegistryRoutesTests.setAlias(service, "churn", "production", 2).status == .ok)
            #expect(try await service.request(.delete, APIPath.filled(APIPath.model, id: "churn@1")).status == .noContent)
            #expect(try await service.redis.send("ZCARD", .text(keys.versions(name))).integer == 1)
            let listed = try service.decode(
                ModelVersionList.self, try await service.request(.get, APIPath.filled(APIPath.modelVersions, id: "churn")).text)
            #expect(listed.versions.map(\.version) == [2] && listed.aliases == ["production": 2])
        }
    }

    @Test func anAliasMovedOnOneReplicaIsFollowedByAnother() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        try await TestService.run(server: server) { first in
            _ = try await RegistryRoutesTests.trainVersion(first, "churn")
            _ = try await RegistryRoutesTests.trainVersion(first, "churn")
            try await TestService.run(worker: false, server: server) { second in
                let path = APIPath.filled(APIPath.predict, id: "churn@production")
                let version = HTTPField.Name(ModelHeader.version)!
                for target in [1, 2, 1] {
                    #expect(try await RegistryRoutesTests.setAlias(first, "churn", "production", target).status == .ok)
                    // The other replica has served (and cached) both models already; its very next request follows the alias.
                    let answer = try await second.request(.post, path, contentType: "text/csv", body: "5.1,3.5,1.4,0.2\n")
                    #expect(answer.status == .ok)
                    #expect(answer.headers[version] == "\(target)")
                }
            }
        }
    }
}
