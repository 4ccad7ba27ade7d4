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

    @discardableResult
    public func create(_ id: ModelID, record: ModelRecord, data: ByteBuffer) async throws(RedisError) -> ModelRecord {
        var stored = record
        stored.version = try await JobQueue(client: client, keys: keys).enqueue(
            id, data: data, fields: record.fields, createdAt: record.createdAt, name: record.name, replicas: minReplicasAck,
            ackTimeout: replicaAckTimeout)
        return stored
    }

    /// A large body goes to its upload key while `validate` reads it (on 1,000,000 × 20 × 3, 172 MB, the 201 came
    /// 0.3 s sooner than validating, then uploading); the job is queued once both are done. A body that fails
    /// validation has its upload deleted.
    public func create(_ id: ModelID, data: ByteBuffer, validatedBy validate: @Sendable () async throws -> ModelRecord) async throws -> ModelRecord {
        let queue = JobQueue(client: client, keys: keys)
        guard queue.isStaged(data) else {
            return try await create(id, record: try await validate(), data: data)
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
        var stored = record
        stored.version = try await queue.enqueue(
            id, data: data, fields: record.fields, createdAt: record.createdAt, name: record.name, replicas: minReplicasAck,
            ackTimeout: replicaAckTimeout, alreadyStaged: true)
        return stored
    }

    /// A large body that `read` parses in parts is stored parsed (`TrainingMatrix`): its rows go to the upload key
    /// as they are read, then every row's class; the job is queued once both are there. A body `read` gives up on
    /// takes `create(_:data:validatedBy:)`, whose upload replaces any rows written; a body that fails has its
    /// upload deleted.
    public func create(
        _ id: ModelID, data: ByteBuffer,
        readingInParts read: @Sendable (@escaping MatrixSink) async throws -> (record: ModelRecord, labels: [Int32])?,
        validatedBy validate: @Sendable () async throws -> ModelRecord
    ) async throws -> ModelRecord {
        let queue = JobQueue(client: client, keys: keys)
        guard queue.isStaged(data) else { return try await create(id, data: data, validatedBy: validate) }
        let upload = MatrixUpload(client: client, key: keys.upload(id))
        let parsed: (record: ModelRecord, labels: [Int32])?
        do {
            parsed = try await read { delivery in upload.deliver(delivery) }
        } catch {
            upload.finish()
            await queue.discardStaged(id)
            throw error
        }
        upload.finish()
        guard let (record, labels) = parsed else { return try await create(id, data: data, validatedBy: validate) }
        do {
            if let failure = upload.failure { throw failure }
            try await queue.stageLabels(id, labels, rowBytes: upload.rowBytes)
        } catch {
            await queue.discardStaged(id)
            throw error
        }
        var stored = record
        stored.version = try await queue.enqueue(
            id, data: data, fields: record.fields + [(.trainingData, TrainingMatrix.fieldValue)], createdAt: record.createdAt,
            name: record.name, replicas: minReplicasAck, ackTimeout: replicaAckTimeout, alreadyStaged: true)
        return stored
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
            warnings: stored[ModelField.warnings.rawValue] == nil ? [] : try reader.json(.warnings, [String].self),
            name: try reader.optional(.name, ModelName.init(validating:)), version: try reader.optional(.version, Int.init))
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

    /// From the index by creation time, or with a `name` from the name's versions (newest version first).
    public func list(offset: Int, limit: Int, name: ModelName?) async throws -> ModelPage {
        let index = name.map(keys.versions) ?? keys.modelIndex
        let replies = try await client.pipeline([
            ["ZCARD", .text(index)],
            ["ZREVRANGE", .text(index), RedisArgument(offset), RedisArgument(offset + limit - 1)],
        ])
        let total = Int(replies[0].integer ?? 0)
        let ids = (replies[1].array ?? []).compactMap { $0.string.flatMap(ModelID.init(validating:)) }
        return ModelPage(total: total, models: try await records(ids))
    }

    /// The records of `ids` in one round trip, leaving out those deleted since their ids were read.
    private func records(_ ids: [ModelID]) async throws -> [(id: ModelID, record: ModelRecord)] {
        guard !ids.isEmpty else { return [] }
        let fields = ModelRecord.recordFields
        let hashes = try await client.pipeline(ids.map { fieldsCommand($0, fields) })
        var models: [(id: ModelID, record: ModelRecord)] = []
        for (id, reply) in zip(ids, hashes) {
            if let stored = Self.stored(reply, fields) { models.append((id, try ModelRecord(id: id, fields: stored))) }
        }
        return models
    }

    // MARK: Registry

    public func resolve(_ name: ModelName, _ selector: ModelReference.VersionSelector) async throws(RedisError) -> Resolution {
        let (mode, value): (RedisArgument, RedisArgument) =
            switch selector {
            case .newestReady: ("newest", "")
            case .version(let version): ("number", RedisArgument(version))
            case .alias(let alias): ("alias", .text(alias.rawValue))
            }
        let reply = try await client.send(
            "EVAL", .text(Scripts.resolve), 2, .text(keys.versions(name)), .text(keys.aliases(name)), .text(keys.prefix), mode, value)
        let parts = reply.array ?? []
        if let text = parts.first?.string, let id = ModelID(validating: text), parts.count == 2, let version = parts[1].integer {
            return .found(id, version: Int(version))
        }
        switch parts.first?.integer {
        case -2: return .unknownVersion
        case -3: return .unknownAlias
        case -4: return .noReadyVersion
        default: return .unknownName
        }
    }

    public func setAlias(_ alias: AliasName, of name: ModelName, version: Int) async throws -> AliasOutcome {
        let reply = try await client.send(
            "EVAL", .text(Scripts.setAlias), 2, .text(keys.versions(name)), .text(keys.aliases(name)), .text(keys.prefix),
            .text(alias.rawValue), RedisArgument(version))
        let parts = reply.array ?? []
        if let text = parts.first?.string, let id = ModelID(validating: text) {
            let previous = parts.count > 1 ? Int(parts[1].integer ?? 0) : 0
            return .set(id, previous: previous > 0 ? previous : nil)
        }
        if parts.first?.integer == -2, parts.count > 1, let text = parts[1].string, let state = ModelState(rawValue: text) {
            return .notReady(state)
        }
        return .unknownVersion
    }

    public func removeAlias(_ alias: AliasName, of name: ModelName) async throws(RedisError) -> Bool {
        try await client.send("HDEL", .text(keys.aliases(name)), .text(alias.rawValue)).integer == 1
    }

    /// Two round trips: the versions and aliases, then the records.
    public func versions(of name: ModelName) async throws -> ModelVersions? {
        let replies = try await client.pipeline([
            ["ZRANGE", .text(keys.versions(name)), 0, -1, "WITHSCORES"], ["HGETALL", .text(keys.aliases(name))],
        ])
        let pairs = replies[0].array ?? []
        var numbers: [ModelID: Int] = [:]
        var ids: [ModelID] = []
        for index in stride(from: 0, to: pairs.count - 1, by: 2) {
            guard let id = pairs[index].string.flatMap(ModelID.init(validating:)), let version = pairs[index + 1].string.flatMap(Int.init) else {
                continue
            }
            ids.append(id)
            numbers[id] = version
        }
        guard !ids.isEmpty else { return nil }
        var aliases: [AliasName: Int] = [:]
        let aliasPairs = replies[1].array ?? []
        for index in stride(from: 0, to: aliasPairs.count - 1, by: 2) {
            if let alias = aliasPairs[index].string.flatMap(AliasName.init(validating:)), let version = aliasPairs[index + 1].string.flatMap(Int.init)
            {
                aliases[alias] = version
            }
        }
        let versions = try await records(ids).map { (version: numbers[$0.id] ?? 0, id: $0.id, record: $0.record) }
        return ModelVersions(name: name, versions: versions, aliases: aliases)
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

    public func delete(_ id: ModelID) async throws(RedisError) -> DeleteOutcome {
        let parts = try await client.send(Scripts.deleteCommand(id, keys: keys)).array ?? []
        switch parts.first?.integer {
        case 1: return .deleted
        case 2: return parts.count > 1 ? parts[1].string.flatMap(AliasName.init(validating:)).map(DeleteOutcome.aliased) ?? .notFound : .notFound
        default: return .notFound
        }
    }
}
