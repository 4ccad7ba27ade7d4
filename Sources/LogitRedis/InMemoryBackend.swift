import Foundation
import LogitCore
import NIOCore

/// Models and their queue in this process's memory: the same contract as `ModelStore` + `JobQueue` on Redis
/// (states, fenced claims, leases, reaping), without persistence. For tests of the routes and of the worker's job
/// logic that need no Redis server, and for trying the API without one.
///
/// `failNextCalls(_:with:)` makes the next calls throw, as an unreachable Redis would.
public actor InMemoryBackend: ModelRepository, WorkQueue {
    private struct Entry {
        var record: ModelRecord
        var data: [UInt8]?
        var model: LogisticModel?
    }

    private var entries: [ModelID: Entry] = [:]
    private var pending: [ModelID] = []  // as `{p}jobs`: new jobs go in at the left, the right end is taken first
    private var processing: [String: [ModelID]] = [:]
    private var leases: [String: ContinuousClock.Instant] = [:]
    private var failures: [RedisError] = []
    /// As `{p}names`: each name's last version (never reused).
    private var lastVersions: [ModelName: Int] = [:]
    private var aliases: [ModelName: [AliasName: Int]] = [:]
    public private(set) var stats: [StatsField: Double] = [:]

    public init() {}

    /// The next `count` calls throw `error` (default: Redis unreachable).
    public func failNextCalls(_ count: Int, with error: RedisError = .connectionFailed("injected: Redis is unreachable")) {
        failures += Array(repeating: error, count: count)
    }

    private func checkAvailable() throws(RedisError) {
        if !failures.isEmpty { throw failures.removeFirst() }
    }

    // MARK: ModelRepository

    @discardableResult
    public func create(_ id: ModelID, record: ModelRecord, data: ByteBuffer) async throws(RedisError) -> ModelRecord {
        try checkAvailable()
        if let existing = entries[id] { return existing.record }
        var stored = record
        if let name = record.name {
            let version = lastVersions[name, default: 0] + 1
            lastVersions[name] = version
            stored.version = version
        }
        entries[id] = Entry(record: stored, data: Array(data.readableBytesView))
        pending.insert(id, at: 0)
        return stored
    }

    public func record(_ id: ModelID) async throws(RedisError) -> ModelRecord? {
        try checkAvailable()
        return entries[id]?.record
    }

    public func state(_ id: ModelID) async throws(RedisError) -> ModelState? {
        try checkAvailable()
        return entries[id]?.record.state
    }

    public func status(_ id: ModelID) async throws(RedisError) -> ModelStatus? {
        try checkAvailable()
        return entries[id].map { ModelStatus($0.record) }
    }

    public func fittedModel(_ id: ModelID) async throws(RedisError) -> LogisticModel? {
        try checkAvailable()
        return entries[id]?.model
    }

    public func list(offset: Int, limit: Int, name: ModelName?) async throws(RedisError) -> ModelPage {
        try checkAvailable()
        let newestFirst =
            name.map { name in versionsOf(name).reversed().map { ($0.id, $0.record) } }
            ?? entries.sorted { ($0.value.record.createdAt, $0.key.rawValue) > ($1.value.record.createdAt, $1.key.rawValue) }.map {
                ($0.key, $0.value.record)
            }
        let page = newestFirst.dropFirst(offset).prefix(limit).map { (id: $0.0, record: $0.1) }
        return ModelPage(total: newestFirst.count, models: Array(page))
    }

    public func delete(_ id: ModelID) async throws(RedisError) -> DeleteOutcome {
        try checkAvailable()
        guard let entry = entries[id] else { return .notFound }
        if let name = entry.record.name, let version = entry.record.version,
            let alias = aliases[name]?.filter({ $0.value == version }).keys.min(by: { $0.rawValue < $1.rawValue })
        {
            return .aliased(alias)
        }
        entries[id] = nil
        pending.removeAll { $0 == id }
        if let worker = entry.record.worker { processing[worker]?.removeAll { $0 == id } }
        return .deleted
    }

    // MARK: Registry

    /// A name's versions, oldest first.
    private func versionsOf(_ name: ModelName) -> [(version: Int, id: ModelID, record: ModelRecord)] {
        entries.compactMap { id, entry in
            guard entry.record.name == name, let version = entry.record.version else { return nil }
            return (version, id, entry.record)
        }.sorted { $0.version < $1.version }
    }

    public func resolve(_ name: ModelName, _ selector: ModelReference.VersionSelector) async throws(RedisError) -> Resolution {
        try checkAvailable()
        let versions = versionsOf(name)
        guard !versions.isEmpty else { return .unknownName }
        let version: Int
        switch selector {
        case .newestReady:
            guard let newest = versions.last(where: { $0.record.state == .ready }) else { return .noReadyVersion }
            return .found(newest.id, version: newest.version)
        case .version(let number):
            version = number
        case .alias(let alias):
            guard let number = aliases[name]?[alias] else { return .unknownAlias }
            version = number
        }
        guard let found = versions.first(where: { $0.version == version }) else { return .unknownVersion }
        return .found(found.id, version: version)
    }

    public func setAlias(_ alias: AliasName, of name: ModelName, version: Int) async throws(RedisError) -> AliasOutcome {
        try checkAvailable()
        guard let found = versionsOf(name).first(where: { $0.version == version }) else { return .unknownVersion }
        guard found.record.state == .ready else { return .notReady(found.record.state) }
        let previous = aliases[name]?[alias]
        aliases[name, default: [:]][alias] = version
        return .set(found.id, previous: previous)
    }

    public func removeAlias(_ alias: AliasName, of name: ModelName) async throws(RedisError) -> Bool {
        try checkAvailable()
        return aliases[name]?.removeValue(forKey: alias) != nil
    }

    public func versions(of name: ModelName) async throws(RedisError) -> ModelVersions? {
        try checkAvailable()
        let versions = versionsOf(name)
        guard !versions.isEmpty else { return nil }
        return ModelVersions(name: name, versions: versions, aliases: aliases[name] ?? [:])
    }

    public func counters() async throws(RedisError) -> QueueCounters {
        try checkAvailable()
        return QueueCounters(queued: pending.count, stats: stats)
    }

    public func ping() async -> Bool { failures.isEmpty }

    public nonisolated var location: String { "memory" }

    /// Replaces a stored record as it is (tests: a record changed behind the API's back); with `dropModel`, the
    /// fitted weights go too.
    public func overwrite(_ id: ModelID, record: ModelRecord, model: LogisticModel? = nil, dropModel: Bool = false) {
        entries[id] = Entry(record: record, data: entries[id]?.data, model: dropModel ? nil : model ?? entries[id]?.model)
    }

    // MARK: WorkQueue

    public func heartbeat(worker: String, lease: Duration) async throws(RedisError) {
        try checkAvailable()
        leases[worker] = .now + lease
        if processing[worker] == nil { processing[worker] = [] }
    }

    public func retire(worker: String) async throws(RedisError) {
        try checkAvailable()
        leases[worker] = nil
    }

    public func take(worker: String, timeout: Duration) async throws(RedisError) -> ModelID? {
        let deadline = ContinuousClock.now + timeout
        while true {
            try checkAvailable()
            if let id = pending.popLast() {
                processing[worker, default: []].insert(id, at: 0)
                return id
            }
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return nil }
            try? await Task.sleep(for: .milliseconds(5))  // a blocking pop, polled: this store serves tests
        }
    }

    public func claim(_ id: ModelID, worker: String) async throws(RedisError) -> Claim? {
        try checkAvailable()
        guard var entry = entries[id], entry.record.state == .queued else { return nil }
        if processing[worker]?.contains(id) != true { processing[worker, default: []].insert(id, at: 0) }
        entry.record.attempts += 1
        entry.record.state = .training
        entry.record.startedAt = Timestamp.nowDate()
        entry.record.worker = worker
        entry.record.progress = ModelRecord.Progress(phase: .parsing, iteration: 0)
        entries[id] = entry
        return Claim(id: id, worker: worker, attempt: Int64(entry.record.attempts))
    }

    public func reconcile(worker: String, stale: [ModelID], maxAttempts: Int) async throws(RedisError) -> (moved: Int, listed: [ModelID]) {
        try checkAvailable()
        var moved = 0
        for id in stale where processing[worker]?.contains(id) == true {
            processing[worker]?.removeAll { $0 == id }
            if let record = entries[id]?.record, record.state == .queued || (record.state == .training && record.worker == worker) {
                moved += giveBack(id, maxAttempts: maxAttempts)
            }
        }
        return (moved, processing[worker] ?? [])
    }

    public func jobInput(_ id: ModelID) async throws(RedisError) -> JobInput? {
        try checkAvailable()
        guard let entry = entries[id], let data = entry.data else { return nil }
        return JobInput(data: data, parameters: entry.record.parameters, format: entry.record.format)
    }

    public func progress(_ claim: Claim, iteration: Int, objective: Double) async throws(RedisError) -> Bool {
        try checkAvailable()
        guard holds(claim) else { return false }
        entries[claim.id]?.record.progress = ModelRecord.Progress(
            phase: .fitting, iteration: iteration, objective: objective, updatedAt: Timestamp.nowDate())
        return true
    }

    public func complete(
        _ claim: Claim, model: LogisticModel, summary: TrainingSummary, warnings: [String] = []
    ) async throws(RedisError) -> Bool {
        try settle(claim, as: .ready, trainingSeconds: summary.trainingSeconds) { entry in
            entry.model = model
            if !warnings.isEmpty { entry.record.warnings = warnings }
            entry.record.result = ModelRecord.FitResult(summary: summary, coefficients: Coefficients(model))
            entry.record.progress = ModelRecord.Progress(
                iteration: summary.nIter, objective: summary.objective, updatedAt: entry.record.progress?.updatedAt)
        }
    }

    public func fail(_ claim: Claim, reason: String) async throws(RedisError) -> Bool {
        try settle(claim, as: .failed, trainingSeconds: 0) { $0.record.error = reason }
    }

    public func handBack(_ claim: Claim) async throws(RedisError) -> Bool {
        try checkAvailable()
        guard holds(claim), var entry = entries[claim.id] else { return false }
        processing[claim.worker]?.removeAll { $0 == claim.id }
        entry.record.attempts -= 1
        entry.record.state = .queued
        entry.record.worker = nil
        entry.record.startedAt = nil
        entry.record.progress = nil
        entries[claim.id] = entry
        pending.append(claim.id)
        return true
    }

    public func reap(maxAttempts: Int) async throws(RedisError) -> Int {
        try checkAvailable()
        var moved = 0
        for (worker, ids) in processing where (leases[worker].map { $0 < .now } ?? true) {
            for id in ids { moved += giveBack(id, maxAttempts: maxAttempts) }
            processing[worker] = nil
            leases[worker] = nil
        }
        return moved
    }

    /// A record as stored, whatever `failNextCalls` says (tests: look without consuming an injected failure).
    public func storedRecord(_ id: ModelID) -> ModelRecord? { entries[id]?.record }

    /// Replaces a job's training data (tests: data that no longer parses).
    public func replaceData(of id: ModelID, with data: [UInt8]) { entries[id]?.data = data }

    /// Jobs in all processing lists (tests: a worker has let go of everything).
    public func workersHolding() -> Int { processing.values.reduce(0) { $0 + $1.count } }

    /// Expires a worker's lease at once (tests: the worker died).
    public func expireLease(of worker: String) { leases[worker] = .now - .seconds(1) }

    /// The ids waiting for a worker, next first.
    public var pendingJobs: [ModelID] { pending.reversed() }

    // MARK: Helpers

    private func holds(_ claim: Claim) -> Bool {
        guard let record = entries[claim.id]?.record else { return false }
        return record.state == .training && record.worker == claim.worker && Int64(record.attempts) == claim.attempt
    }

    private func settle(_ claim: Claim, as state: ModelState, trainingSeconds: Double, _ write: (inout Entry) -> Void) throws(RedisError) -> Bool {
        try checkAvailable()
        guard holds(claim), var entry = entries[claim.id], let outcome = StatsField.outcome(state) else { return false }
        processing[claim.worker]?.removeAll { $0 == claim.id }
        write(&entry)
        entry.record.state = state
        entry.record.finishedAt = Timestamp.nowDate()
        entry.record.worker = nil
        entry.data = nil
        entries[claim.id] = entry
        stats[outcome, default: 0] += 1
        stats[.trainingSeconds, default: 0] += trainingSeconds
        return true
    }

    /// As the `giveBack` script: a queued job is queued again; a training one is queued again or, past
    /// `maxAttempts`, failed.
    private func giveBack(_ id: ModelID, maxAttempts: Int) -> Int {
        guard var entry = entries[id] else { return 0 }
        switch entry.record.state {
        case .queued:
            pending.append(id)
        case .training:
            entry.record.worker = nil
            if entry.record.attempts >= maxAttempts {
                entry.record.state = .failed
                entry.record.finishedAt = Timestamp.nowDate()
                entry.record.error = "worker lost \(entry.record.attempts) times (its lease expired each time); giving up"
                entry.data = nil
                stats[.failed, default: 0] += 1
            } else {
                entry.record.state = .queued
                pending.append(id)
                stats[.reclaimed, default: 0] += 1
            }
            entries[id] = entry
        case .ready, .failed:
            return 0
        }
        return 1
    }
}
