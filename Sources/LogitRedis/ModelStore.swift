import Foundation
import LogitCore

/// Reads and deletes models: what the API needs of Redis besides enqueueing.
public struct ModelStore: Sendable {
    public let client: RedisClient
    public let keys: KeySchema

    public init(client: RedisClient, keys: KeySchema) {
        self.client = client
        self.keys = keys
    }

    /// The whole model hash, or nil when there is no such model.
    public func record(_ id: ModelID) async throws(RedisError) -> [String: String]? {
        let fields = Self.hash(try await client.send("HGETALL", .text(keys.model(id))))
        return fields.isEmpty ? nil : fields
    }

    /// The model's state, or nil when there is no such model.
    public func state(_ id: ModelID) async throws(RedisError) -> ModelState? {
        try await client.send("HGET", .text(keys.model(id)), .text(ModelField.state)).string.flatMap(ModelState.init(rawValue:))
    }

    /// What `check_model_status` shows: the state, and the error or the progress when there is one.
    public struct Status: Sendable {
        public let state: ModelState
        public let error: String?
        public let iteration: Int?
        public let maxIter: Int?
    }

    /// The model's status in one round trip, or nil when there is no such model.
    public func status(_ id: ModelID) async throws(RedisError) -> Status? {
        let reply = try await client.send(
            "HMGET", .text(keys.model(id)), .text(ModelField.state), .text(ModelField.error), .text(ModelField.progressIteration),
            .text(ModelField.maxIter))
        let values = (reply.array ?? []).map(\.string)
        guard values.count == 4, let state = values[0].flatMap(ModelState.init(rawValue:)) else { return nil }
        return Status(state: state, error: values[1], iteration: values[2].flatMap(Int.init), maxIter: values[3].flatMap(Int.init))
    }

    /// The fitted model of a `ready` model.
    public func fittedModel(_ id: ModelID) async throws(RedisError) -> LogisticModel? {
        guard case .string(let json) = try await client.send("HGET", .text(keys.model(id)), .text(ModelField.model)) else { return nil }
        return try? JSONDecoder().decode(LogisticModel.self, from: Data(json))
    }

    /// Models newest first: the total count and one page of hashes.
    public func list(offset: Int, limit: Int) async throws(RedisError) -> (total: Int, models: [(ModelID, [String: String])]) {
        let replies = try await client.pipeline([
            ["ZCARD", .text(keys.modelIndex)],
            ["ZREVRANGE", .text(keys.modelIndex), RedisArgument(offset), RedisArgument(offset + limit - 1)],
        ])
        let total = Int(replies[0].integer ?? 0)
        let ids = (replies[1].array ?? []).compactMap { $0.string.flatMap(ModelID.init(validating:)) }
        guard !ids.isEmpty else { return (total, []) }
        let hashes = try await client.pipeline(ids.map { ["HGETALL", .text(keys.model($0))] })
        return (total, zip(ids, hashes.map(Self.hash)).filter { !$0.1.isEmpty })
    }

    /// Removes a model and all its keys (and its job, if queued or training). False when there was no such model.
    public func delete(_ id: ModelID) async throws(RedisError) -> Bool {
        try await client.send(Scripts.deleteCommand(id, keys: keys)).integer == 1
    }

    static func hash(_ reply: RedisReply) -> [String: String] {
        let elements = reply.array ?? []
        var fields: [String: String] = [:]
        var index = 0
        while index + 1 < elements.count {
            if let name = elements[index].string, let value = elements[index + 1].string { fields[name] = value }
            index += 2
        }
        return fields
    }
}
