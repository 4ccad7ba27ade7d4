/// A job taken by a worker: which model, which worker, and which attempt (the fencing token).
public struct Claim: Sendable, Equatable {
    public let id: ModelID
    public let worker: String
    public let attempt: Int64
}

/// The reliable training queue on Redis.
///
/// A job is a model id. `enqueue` stores the data, the model hash and the id in one MULTI/EXEC. A worker moves an
/// id from `{p}jobs` into its own `{p}processing:{worker}` list with `BLMOVE` (so a job is always in exactly one
/// list), then `claim`'s script marks the model `training` and increments `attempts`. Every later write of that
/// worker (`progress`, `complete`, `fail`, `handBack`) runs as a Lua script that first checks the model is still
/// `training` under this worker and this attempt, so a worker that lost its lease and finishes late changes nothing.
/// A worker keeps a lease key alive by heartbeat; `reap` returns the jobs of workers whose lease expired.
public struct JobQueue: Sendable {
    public let client: RedisClient
    public let keys: KeySchema

    public init(client: RedisClient, keys: KeySchema) {
        self.client = client
        self.keys = keys
    }

    /// Stores the training data and the model hash, indexes the model and queues its job, atomically.
    public func enqueue(_ id: ModelID, data: [UInt8], fields: [(String, String)], createdAtMilliseconds: Int64) async throws(RedisError) {
        var hset: [RedisArgument] = ["HSET", .text(keys.model(id))]
        for (name, value) in fields { hset += [.text(name), .text(value)] }
        let replies = try await client.pipeline([
            ["MULTI"],
            ["SET", .text(keys.trainingData(id)), .bytes(data)],
            hset,
            ["ZADD", .text(keys.modelIndex), RedisArgument(createdAtMilliseconds), .text(id.rawValue)],
            ["LPUSH", .text(keys.pendingJobs), .text(id.rawValue)],
            ["EXEC"],
        ])
        guard let results = replies.last?.array else {
            throw .serverError("Redis did not store the job: \(replies.compactMap { if case .error(let e) = $0 { e } else { nil } }.joined(separator: "; "))")
        }
        if let failure = results.first(where: { if case .error = $0 { true } else { false } }), case .error(let message) = failure {
            throw .serverError("Redis did not store the job: \(message)")
        }
    }

    /// Creates or renews the worker's lease, and lists the worker for the reaper.
    public func heartbeat(worker: String, leaseMilliseconds: Int) async throws(RedisError) {
        _ = try await client.pipeline([
            ["SET", .text(keys.lease(worker: worker)), .text(Timestamp.now()), "PX", RedisArgument(leaseMilliseconds)],
            ["SADD", .text(keys.workers), .text(worker)],
        ])
    }

    /// Removes the worker's lease at a clean exit. The worker stays listed, so that the next reap returns anything
    /// still in its processing list (e.g. a job whose result could not be stored) and then unlists it.
    public func retire(worker: String) async throws(RedisError) {
        try await client.send("DEL", .text(keys.lease(worker: worker)))
    }

    /// Waits up to `timeoutSeconds` for a job and claims it; nil when none came.
    public func claim(worker: String, timeoutSeconds: Double) async throws(RedisError) -> Claim? {
        let processing = keys.processing(worker: worker)
        while true {
            let moved = try await client.send("BLMOVE", .text(keys.pendingJobs), .text(processing), "RIGHT", "LEFT", .text(String(timeoutSeconds)))
            guard let text = moved.string else { return nil }
            guard let id = ModelID(validating: text) else {
                // Not ours (someone pushed garbage): drop it rather than fail forever.
                try await client.send("LREM", .text(processing), 0, .text(text))
                continue
            }
            let attempt = try await client.send(
                "EVAL", .text(Scripts.claim), 2, .text(keys.model(id)), .text(processing),
                .text(id.rawValue), .text(worker), .text(Timestamp.now()))
            if let attempt = attempt.integer, attempt > 0 { return Claim(id: id, worker: worker, attempt: attempt) }
            // Deleted or already finished while queued: the script dropped it; take the next one.
        }
    }

    /// What a claimed job needs, in one round trip: its training CSV (nil if it is gone) and its parameters (JSON).
    public func jobInput(_ id: ModelID) async throws(RedisError) -> (data: [UInt8], params: [UInt8]?)? {
        let replies = try await client.pipeline([
            ["GET", .text(keys.trainingData(id))], ["HGET", .text(keys.model(id)), .text(ModelField.params)],
        ])
        guard case .string(let data) = replies[0] else { return nil }
        if case .string(let params) = replies[1] { return (data, params) }
        return (data, nil)
    }

    /// Records progress; false when the claim is no longer valid (the job was reclaimed or deleted): stop working on it.
    public func progress(_ claim: Claim, iteration: Int, objective: Double) async throws(RedisError) -> Bool {
        try await fenced(Scripts.progress, claim, extraKeys: [], arguments: [
            .text(ModelField.progressIteration), RedisArgument(iteration),
            .text(ModelField.progressObjective), RedisArgument(objective),
            .text(ModelField.progressUpdatedAt), .text(Timestamp.now()),
        ])
    }

    /// Stores the result fields and state `ready`, deletes the training data, removes the job and counts the outcome
    /// in `{p}stats`, atomically. False (and nothing written) when the claim is no longer valid.
    public func complete(_ claim: Claim, fields: [(String, String)], trainingSeconds: Double = 0) async throws(RedisError) -> Bool {
        try await finish(
            claim, state: .ready, trainingSeconds: trainingSeconds, fields: [(ModelField.finishedAt, Timestamp.now())] + fields)
    }

    /// Ends the job as `failed` with a reason, deleting the training data. False when the claim is no longer valid.
    public func fail(_ claim: Claim, reason: String) async throws(RedisError) -> Bool {
        try await finish(claim, state: .failed, trainingSeconds: 0, fields: [(ModelField.finishedAt, Timestamp.now()), (ModelField.error, reason)])
    }

    /// Returns the job to the front of the queue without counting the attempt (a clean shutdown).
    public func handBack(_ claim: Claim) async throws(RedisError) -> Bool {
        try await fenced(Scripts.handBack, claim, extraKeys: [keys.processing(worker: claim.worker), keys.pendingJobs], arguments: [])
    }

    /// Returns the jobs of every worker whose lease has expired to the queue, or fails them past `maxAttempts`.
    /// Safe to run from any number of processes at once (one script, atomic). Returns how many jobs it moved.
    public func reap(maxAttempts: Int) async throws(RedisError) -> Int {
        let reply = try await client.send(
            "EVAL", .text(Scripts.reap), 1, .text(keys.workers), .text(keys.prefix), RedisArgument(maxAttempts), .text(Timestamp.now()))
        return Int(reply.integer ?? 0)
    }

    private func finish(_ claim: Claim, state: ModelState, trainingSeconds: Double, fields: [(String, String)]) async throws(RedisError) -> Bool {
        try await fenced(
            Scripts.finish, claim, extraKeys: [keys.processing(worker: claim.worker), keys.trainingData(claim.id), keys.stats],
            arguments: [RedisArgument(trainingSeconds)]
                + ([(ModelField.state, state.rawValue)] + fields).flatMap { [RedisArgument.text($0.0), .text($0.1)] })
    }

    /// Runs a script whose KEYS[1] is the model hash and whose ARGV starts with id, worker, attempt.
    private func fenced(_ script: String, _ claim: Claim, extraKeys: [String], arguments: [RedisArgument]) async throws(RedisError) -> Bool {
        let command: [RedisArgument] =
            ["EVAL", .text(script), RedisArgument(1 + extraKeys.count), .text(keys.model(claim.id))] + extraKeys.map { .text($0) }
            + [.text(claim.id.rawValue), .text(claim.worker), RedisArgument(claim.attempt)] + arguments
        return try await client.send(command).integer == 1
    }
}
