import Foundation
import LogitCore
import NIOCore

/// The models in Redis: what the API needs besides the worker's queue (`ModelRepository`).
public struct ModelStore: ModelRepository {
    public let client: RedisClient
    public let keys: KeySchema
    /// With N > 0, `create` returns only once N replicas acknowledged the job (see `JobQueue.enqueue`).
    public let minReplicasAck: Int
    public let replicaAckTimeout: Duration

    public init(client: RedisClient, keys: KeySchema, minReplicasAck: Int = 0, replicaAckTimeout: Duration = .seconds(1)) {
        self.client = client
        self.keys = keys
        self.minReplicasAck = minReplicasAck
        self.replicaAckTimeout = replicaAckTimeout
    }

    public func create(_ id: ModelID, record: ModelRecord, data: ByteBuffer) async throws(RedisError) {
        try await JobQueue(client: client, keys: keys).enqueue(
            id, data: data, fields: record.fields, createdAt: record.createdAt, replicas: minReplicasAck, ackTimeout: replicaAckTimeout)
    }

    /// A large body goes to its upload key while `validate` reads it (on 1,000,000 × 20 × 3, 172 MB, the 201 came
    /// 0.3 s sooner than validating, then uploading); the job is queued once both are done. A body that fails
    /// validation has its upload deleted.
    public func create(_ id: ModelID, data: ByteBuffer, validatedBy validate: @Sendable () async throws -> ModelRecord) async throws -> ModelRecord {
        let queue = JobQueue(client: client, keys: keys)
        guard queue.isStaged(data) else {
            let record = try await validate()
            try await create(id, record: record, data: data)
            return record
        }
        async let staging: Void = queue.stage(id, data)
        let record: ModelRecord
        do {
            record = try await validate()
        } catch {
            _ = try? await staging
            await queue.discardStaged(id)
            throw error
        }
        try await staging
        try await queue.enqueue(
            id, data: data, fields: record.fields, createdAt: record.createdAt, replicas: minReplicasAck, ackTimeout: replicaAckTimeout,
            alreadyStaged: true)
        return record
    }

    public func record(_ id: ModelID) async throws -> ModelRecord? {
        guard let stored = try await read(id, ModelRecord.recordFields) else { return nil }
        return try ModelRecord(id: id, fields: stored)
    }

    public func state(_ id: ModelID) async throws -> ModelState? {
        guard let text = try await client.send("HGET", .text(keys.model(id)), .text(ModelField.state.rawValue)).string else { return nil }
        return try FieldReader(id: id, stored: [ModelField.state.rawValue: text]).required(.state, ModelState.init(rawValue:))
    }

    public func status(_ id: ModelID) async throws -> ModelStatus? {
        guard let stored = try await read(id, ModelStatus.fields) else { return nil }
        let reader = FieldReader(id: id, stored: stored)
        return ModelStatus(
            state: try reader.required(.state, ModelState.init(rawValue:)), error: stored[ModelField.error.rawValue],
            progress: try reader.progress(), maxIter: try reader.required(.maxIter, Int.init),
            warnings: stored[ModelField.warnings.rawValue] == nil ? [] : try reader.json(.warnings, [String].self))
    }

    /// The fitted model of a `ready` model: nil when the model or its weights are absent; `CorruptRecordError` when
    /// they are there but unreadable.
    public func fittedModel(_ id: ModelID) async throws -> LogisticModel? {
        guard case .string(let json) = try await client.send("HGET", .text(keys.model(id)), .text(ModelField.model.rawValue)) else { return nil }
        do {
            return try RecordJSON.decoder.decode(LogisticModel.self, from: Data(json))
        } catch {
            throw CorruptRecordError(id: id, field: ModelField.model.rawValue, reason: "unreadable JSON (\(error))")
        }
    }

    public func list(offset: Int, limit: Int) async throws -> ModelPage {
        let replies = try await client.pipeline([
            ["ZCARD", .text(keys.modelIndex)],
            ["ZREVRANGE", .text(keys.modelIndex), RedisArgument(offset), RedisArgument(offset + limit - 1)],
        ])
        let total = Int(replies[0].integer ?? 0)
        let ids = (replies[1].array ?? []).compactMap { $0.string.flatMap(ModelID.init(validating:)) }
        guard !ids.isEmpty else { return ModelPage(total: total, models: []) }
        let fields = ModelRecord.recordFields
        let hashes = try await client.pipeline(ids.map { fieldsCommand($0, fields) })
        var models: [(id: ModelID, record: ModelRecord)] = []
        for (id, reply) in zip(ids, hashes) {
            // Nil: deleted since the index was read.
            if let stored = Self.stored(reply, fields) { models.append((id, try ModelRecord(id: id, fields: stored))) }
        }
        return ModelPage(total: total, models: models)
    }

    private func fieldsCommand(_ id: ModelID, _ fields: [ModelField]) -> [RedisArgument] {
        ["HMGET", .text(keys.model(id))] + fields.map { .text($0.rawValue) }
    }

    /// The stored values of `fields`, by name; nil when the model does not exist.
    private func read(_ id: ModelID, _ fields: [ModelField]) async throws(RedisError) -> [String: String]? {
        Self.stored(try await client.send(fieldsCommand(id, fields)), fields)
    }

    private static func stored(_ reply: RedisReply, _ fields: [ModelField]) -> [String: String]? {
        var stored: [String: String] = [:]
        for (field, value) in zip(fields, reply.array ?? []) { if let text = value.string { stored[field.rawValue] = text } }
        return stored.isEmpty ? nil : stored
    }

    public func counters() async throws(RedisError) -> QueueCounters {
        let replies = try await client.pipeline([["LLEN", .text(keys.pendingJobs)], ["HGETALL", .text(keys.stats)]])
        var stats: [StatsField: Double] = [:]
        let pairs = replies[1].array ?? []
        for index in stride(from: 0, to: pairs.count - 1, by: 2) {
            if let name = pairs[index].string.flatMap(StatsField.init(rawValue:)), let value = pairs[index + 1].string.flatMap(Double.init) {
                stats[name] = value
            }
        }
        return QueueCounters(queued: Int(replies[0].integer ?? 0), stats: stats)
    }

    public func ping() async -> Bool { await client.ping() }

    public var location: String { "\(client.configuration)" }

    public func delete(_ id: ModelID) async throws(RedisError) -> Bool {
        try await client.send(Scripts.deleteCommand(id, keys: keys)).integer == 1
    }
}
