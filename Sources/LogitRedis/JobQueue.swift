import Foundation
import LogitCore
import NIOCore

/// A job taken by a worker: which model, which worker, and which attempt (the fencing token).
public struct Claim: Sendable, Equatable {
    public let id: ModelID
    public let worker: String
    public let attempt: Int64
}

/// The reliable training queue on Redis.
///
/// A job is a model id. `enqueue` stores the data, the model hash and the id in one script. A worker moves an id
/// from `{p}jobs` into its own `{p}processing:{worker}` list with `BLMOVE` (`take`), then `claim`'s script marks the
/// model `training` and increments `attempts`. A live worker `reconcile`s its processing list on every take and
/// every heartbeat: an id in it that the worker has not been working on since the previous reconciliation goes back
/// to the queue. Every later write of that
/// worker (`progress`, `complete`, `fail`, `handBack`) runs as a Lua script that first checks the model is still
/// `training` under this worker and this attempt, so a worker that lost its lease and finishes late changes nothing.
/// A worker keeps a lease key alive by heartbeat; `reap` returns the jobs of workers whose lease expired.
public struct JobQueue: WorkQueue {
    public let client: RedisClient
    public let keys: KeySchema

    public init(client: RedisClient, keys: KeySchema) {
        self.client = client
        self.keys = keys
    }

    /// Training data larger than this goes to Redis in chunks of this size before the job is committed, so that the
    /// client's output buffer holds one chunk, not a copy of the whole body (a 150 MB upload cost the API ~5× its
    /// size in copies when it went as one command).
    public static let uploadChunkBytes = 8 << 20

    /// The size of one `GETRANGE` of a job's CSV (see `jobInput`).
    static let downloadPieceBytes = 1 << 20

    /// How long a half-uploaded training body may live in Redis if its request never commits (the API died).
    static let uploadExpiry: Duration = .seconds(3600)

    /// Stores the training data and the model hash, indexes the model and queues its job: all of it or nothing, in
    /// one script. Large data is first written in chunks to `{p}upload:{id}`, which the script renames.
    ///
    /// With `replicas` > 0, it returns only once `WAIT` reports that many replicas have the job. When fewer
    /// acknowledge it within `ackTimeout`, the job is deleted again (it must not run behind a refused request) and
    /// this throws `temporarilyUnavailable`.
    ///
    /// `alreadyStaged`: `stage(_:_:)` has already written the large data to the upload key.
    ///
    /// `name`: the name the fields register the model under; the script gives it the name's next version, which this
    /// returns (nil without a name).
    @discardableResult
    public func enqueue(
        _ id: ModelID, data: ByteBuffer, fields: [(ModelField, String)], createdAt: Date, name: ModelName? = nil, replicas: Int = 0,
        ackTimeout: Duration = .seconds(1), alreadyStaged: Bool = false
    ) async throws(RedisError) -> Int? {
        let ackTimeoutMilliseconds = ackTimeout.wholeMilliseconds
        let uploaded = isStaged(data)
        if uploaded && !alreadyStaged { try await stage(id, data) }
        let registry: [RedisArgument] = name.map { [.text(keys.names), .text(keys.versions($0))] } ?? []
        var command: [RedisArgument] =
            [
                "EVAL", .text(Scripts.enqueue), RedisArgument(5 + registry.count), .text(keys.model(id)), .text(keys.trainingData(id)),
                .text(keys.modelIndex), .text(keys.pendingJobs), .text(keys.upload(id)),
            ] + registry + [
                .text(id.rawValue), RedisArgument(Timestamp.milliseconds(createdAt)), uploaded ? "upload" : "inline", uploaded ? "" : .buffer(data),
            ]
        for (field, value) in fields { command += [.text(field.rawValue), .text(value)] }
        let commit = command
        let deleteCommand = Scripts.deleteCommand(id, keys: keys)
        let version = try await retryingWhenAmbiguous { () throws(RedisError) -> RedisReply in
            guard replicas > 0 else {
                return try await client.send(commit)
            }
            // WAIT counts the replicas that have every write of this connection so far: same connection as the script.
            return try await client.withConnection { (connection) throws(RedisError) -> RedisReply in
                let replies = try connection.pipeline([commit, ["WAIT", RedisArgument(replicas), RedisArgument(ackTimeoutMilliseconds)]])
                if case .error(let message) = replies[0] { throw .serverError(message) }
                let acknowledged = replies[1].integer ?? 0
                guard acknowledged >= replicas else {
                    _ = try? connection.command(deleteCommand)
                    throw .temporarilyUnavailable(
                        "only \(acknowledged) of the \(replicas) replicas required (--min-replicas-ack) acknowledged the job within \(ackTimeoutMilliseconds) ms; it was not accepted"
                    )
                }
                return replies[0]
            }
        }
        guard name != nil, let number = version.integer, number > 0 else { return nil }
        return Int(number)
    }

    /// How long `enqueue` keeps trying after its commit may have run without the API hearing so.
    public static let ambiguityWindow: Duration = .seconds(10)

    /// Runs `commit`; when a connection broke after the script was sent (Redis may have run it: a SHUTDOWN, for
    /// one, drops the replies it has not written yet), runs it again until it answers or `ambiguityWindow` passes.
    /// Running it again is safe: the script queues a job once. Without this, a client told 503 could find its job
    /// trained anyway (seen in the restart test: about one POST per restart).
    private func retryingWhenAmbiguous<T>(_ commit: () async throws(RedisError) -> T) async throws(RedisError) -> T {
        var ambiguousSince: ContinuousClock.Instant? = nil
        var backoff = Backoff(base: .milliseconds(20), cap: .milliseconds(500))
        while true {
            do {
                return try await commit()
            } catch {
                if ambiguousSince == nil && error.mayHaveRun { ambiguousSince = .now }
                guard let since = ambiguousSince, error.isUnavailable, ContinuousClock.now - since < Self.ambiguityWindow else { throw error }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Appends `data` to the upload key chunk by chunk, one round trip each, on one connection.
    /// Whether `enqueue` sends `data` through the upload key (larger than `uploadChunkBytes`) rather than inline.
    public func isStaged(_ data: ByteBuffer) -> Bool { data.readableBytes > Self.uploadChunkBytes }

    /// Deletes what `stage` wrote for a job that will not be queued (it would expire after `uploadExpiry` anyway).
    public func discardStaged(_ id: ModelID) async {
        _ = try? await client.send("DEL", .text(keys.upload(id)))
    }

    /// Writes large training data to `{p}upload:{id}` in chunks, with an expiry; `enqueue` renames it.
    public func stage(_ id: ModelID, _ data: ByteBuffer) async throws(RedisError) {
        let key = keys.upload(id)
        try await client.withConnection { (connection) throws(RedisError) in
            var offset = data.readerIndex
            while offset < data.writerIndex {
                let length = min(Self.uploadChunkBytes, data.writerIndex - offset)
                let chunk = data.getSlice(at: offset, length: length)!
                let command: [RedisArgument] =
                    offset == data.readerIndex
                    ? ["SET", .text(key), .buffer(chunk), "PX", RedisArgument(Self.uploadExpiry.wholeMilliseconds)]
                    : ["SETRANGE", .text(key), RedisArgument(offset - data.readerIndex), .buffer(chunk)]
                if case .error(let message) = try connection.command(command) { throw .serverError(message) }
                if offset == data.readerIndex {
                    // Grow the string to its final size at once: appending 8 MB at a time made Redis reallocate
                    // (and copy) the whole string each time, 1.1 s of the 1M x 20 upload's store.
                    let last = data.getSlice(at: data.writerIndex - 1, length: 1)!
                    let grow: [RedisArgument] = ["SETRANGE", .text(key), RedisArgument(data.readableBytes - 1), .buffer(last)]
                    if case .error(let message) = try connection.command(grow) { throw .serverError(message) }
                }
                offset += length
            }
        }
    }

    /// Creates or renews the worker's lease, and lists the worker for the reaper.
    public func heartbeat(worker: String, lease: Duration) async throws(RedisError) {
        _ = try await client.pipeline([
            ["SET", .text(keys.lease(worker: worker)), .text(Timestamp.now()), "PX", RedisArgument(lease.wholeMilliseconds)],
            ["SADD", .text(keys.workers), .text(worker)],
        ])
    }

    /// Removes the worker's lease at a clean exit. The worker stays listed, so that the next reap returns anything
    /// still in its processing list (e.g. a job whose result could not be stored) and then unlists it.
    public func retire(worker: String) async throws(RedisError) {
        try await client.send("DEL", .text(keys.lease(worker: worker)))
    }

    /// Waits up to `timeout` for a job and moves its id into the worker's processing list; nil when none came.
    /// The job is not claimed yet: call `claim` next. (Two steps, because a blocking command cannot run in a script.)
    public func take(worker: String, timeout: Duration) async throws(RedisError) -> ModelID? {
        let processing = keys.processing(worker: worker)
        let seconds = String(Double(timeout.wholeMilliseconds) / 1000)
        while true {
            let moved = try await client.send("BLMOVE", .text(keys.pendingJobs), .text(processing), "RIGHT", "LEFT", .text(seconds))
            guard let text = moved.string else { return nil }
            if let id = ModelID(validating: text) { return id }
            // Not ours (someone pushed garbage): drop it rather than fail forever.
            try await client.send("LREM", .text(processing), 0, .text(text))
        }
    }

    /// Claims a taken job: `training`, one more attempt, this worker. Nil when the job was dropped (deleted, or
    /// already claimed or finished: a second copy of its id).
    public func claim(_ id: ModelID, worker: String) async throws(RedisError) -> Claim? {
        let attempt = try await client.send(
            "EVAL", .text(Scripts.claim), 2, .text(keys.model(id)), .text(keys.processing(worker: worker)),
            .text(id.rawValue), .text(worker), .text(Timestamp.now()))
        guard let attempt = attempt.integer, attempt > 0 else { return nil }
        return Claim(id: id, worker: worker, attempt: attempt)
    }

    /// Waits up to `timeout` for a job and claims it; nil when none came (or it was dropped).
    public func claim(worker: String, timeout: Duration) async throws(RedisError) -> Claim? {
        guard let id = try await take(worker: worker, timeout: timeout) else { return nil }
        return try await claim(id, worker: worker)
    }

    /// Gives back the `stale` ids that are still in the worker's processing list (see `Scripts.reconcile`). Returns
    /// how many went back, and the ids now in the list.
    public func reconcile(worker: String, stale: [ModelID], maxAttempts: Int) async throws(RedisError) -> (moved: Int, listed: [ModelID]) {
        let reply = try await client.send(
            [
                "EVAL", .text(Scripts.reconcile), 1, .text(keys.processing(worker: worker)), .text(keys.prefix), .text(worker),
                RedisArgument(maxAttempts), .text(Timestamp.now()),
            ] + stale.map { .text($0.rawValue) })
        let parts = reply.array ?? []
        let listed = (parts.count > 1 ? parts[1].array ?? [] : []).compactMap { $0.string.flatMap(ModelID.init(validating:)) }
        return (Int(parts.first?.integer ?? 0), listed)
    }

    /// What a claimed job needs: its training data (nil if it is gone) and its parameters.
    ///
    /// The data is read in `GETRANGE` pieces of `downloadPieceBytes` into one buffer of its final size: one `GET` of
    /// a 172 MB body held it three times at once in the worker (hiredis's read buffer, its reply, and our copy), and
    /// hiredis's buffer, grown 1 MB at a time, copied it over and over (2.4 s for 172 MB; 1 MB pieces: 0.3 s). Data
    /// stored parsed (`TrainingMatrix`) is read straight into the training set's arrays.
    public func jobInput(_ id: ModelID) async throws(RedisError) -> JobInput? {
        let key = keys.trainingData(id)
        let fields: [ModelField] = [.params, .format, .trainingData, .sampleCount, .featureCount, .classes, .featureNames, .labelName, .warnings]
        // The first piece comes with the length and the fields: a small body takes one round trip.
        let replies = try await client.pipeline([
            ["STRLEN", .text(key)],
            ["HMGET", .text(keys.model(id))] + fields.map { .text($0.rawValue) },
            ["GETRANGE", .text(key), 0, RedisArgument(Self.downloadPieceBytes - 1)],
        ])
        let length = Int(replies[0].integer ?? 0)
        guard length > 0, case .string(let first) = replies[2], first.count == min(length, Self.downloadPieceBytes) else { return nil }
        let values = (replies[1].array ?? []).map(\.string)
        let stored = [ModelField: String](uniqueKeysWithValues: zip(fields, values).compactMap { field, value in value.map { (field, $0) } })
        let parameters = stored[.params].flatMap { try? RecordJSON.decoder.decode(TrainingParameters.self, from: Data($0.utf8)) }
        // No format: a job queued before formats existed, in the original's layout.
        let format =
            values.count > 1 ? stored[.format].map { try? RecordJSON.decoder.decode(CSVFormat.self, from: Data($0.utf8)) } ?? CSVFormat() : nil
        if stored[.trainingData] == TrainingMatrix.fieldValue {
            guard let set = try await trainingSet(key, stored: stored, length: length, first: first) else { return nil }
            return JobInput(data: [], parsed: set, parameters: parameters, format: format)
        }
        var data = [UInt8](repeating: 0, count: length)
        data.withUnsafeMutableBufferPointer { buffer in _ = buffer.initialize(from: first) }
        guard try await download(key, from: first.count, into: &data, at: first.count) else { return nil }
        return JobInput(data: data, parameters: parameters, format: format)
    }

    /// The training set stored parsed under `key` (`TrainingMatrix`), with the shape the model hash gives, `first`
    /// being its first bytes (already read); nil when the data is shorter than that shape or a class index is out of
    /// range (treated as data that is gone).
    private func trainingSet(
        _ key: String, stored: [ModelField: String], length: Int, first: [UInt8]
    ) async throws(RedisError) -> TrainingSet? {
        guard let rows = stored[.sampleCount].flatMap({ Int($0) }), let featureCount = stored[.featureCount].flatMap({ Int($0) }),
            let classes = stored[.classes].flatMap({ try? RecordJSON.decoder.decode([String].self, from: Data($0.utf8)) }),
            rows > 0, featureCount > 0
        else { return nil }
        let featureBytes = TrainingMatrix.featureBytes(rows: rows, featureCount: featureCount)
        guard length >= featureBytes + TrainingMatrix.labelBytes(rows: rows) else { return nil }
        var features = [Double](repeating: 0, count: rows * featureCount)
        var labels = [Int32](repeating: 0, count: rows)
        // The first piece: features, and labels too when the features are shorter.
        let inFeatures = min(first.count, featureBytes), inLabels = min(first.count - inFeatures, TrainingMatrix.labelBytes(rows: rows))
        first.withUnsafeBytes { piece in
            features.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: piece[..<inFeatures])) }
            labels.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: piece[inFeatures..<(inFeatures + inLabels)])) }
        }
        guard try await download(key, from: inFeatures, into: &features, at: inFeatures),
            try await download(key, from: featureBytes + inLabels, into: &labels, at: inLabels),
            labels.allSatisfy({ $0 >= 0 && Int($0) < classes.count })
        else { return nil }
        var set = TrainingSet(features: features, labels: labels, classes: classes, featureCount: featureCount)
        set.featureNames = stored[.featureNames].flatMap { try? RecordJSON.decoder.decode([String].self, from: Data($0.utf8)) }
        set.labelName = stored[.labelName]
        set.warnings = stored[.warnings].flatMap { try? RecordJSON.decoder.decode([String].self, from: Data($0.utf8)) } ?? []
        return set
    }

    /// Fills `array`'s bytes from byte `byteOffset` to its end with `key`'s bytes from `start`, in pieces of
    /// `downloadPieceBytes`, eight per round trip (the replies of one pipeline are held at once: 8 MB at most);
    /// false when the key is shorter (deleted while being read).
    private func download<Element>(_ key: String, from start: Int, into array: inout [Element], at byteOffset: Int) async throws(RedisError) -> Bool {
        let end = start + array.count * MemoryLayout<Element>.stride - byteOffset
        var offset = start
        while offset < end {
            let ranges = stride(from: offset, to: end, by: Self.downloadPieceBytes).prefix(8).map { $0..<min(end, $0 + Self.downloadPieceBytes) }
            let pieces = try await client.pipeline(
                ranges.map { ["GETRANGE", .text(key), RedisArgument($0.lowerBound), RedisArgument($0.upperBound - 1)] })
            for (range, reply) in zip(ranges, pieces) {
                guard case .string(let piece) = reply, piece.count == range.count else { return false }
                piece.withUnsafeBytes { source in
                    array.withUnsafeMutableBytes { bytes in
                        UnsafeMutableRawBufferPointer(rebasing: bytes[(byteOffset + range.lowerBound - start)...]).copyMemory(from: source)
                    }
                }
            }
            offset = ranges.last!.upperBound
        }
        return true
    }

    /// Records progress; false when the claim is no longer valid (the job was reclaimed or deleted): stop working on it.
    public func progress(_ claim: Claim, iteration: Int, objective: Double) async throws(RedisError) -> Bool {
        try await fenced(
            Scripts.progress, claim, extraKeys: [],
            arguments: [
                .text(ModelField.phase.rawValue), .text(TrainingPhase.fitting.rawValue),
                .text(ModelField.progressIteration.rawValue), RedisArgument(iteration),
                .text(ModelField.progressObjective.rawValue), RedisArgument(objective),
                .text(ModelField.progressUpdatedAt.rawValue), .text(Timestamp.now()),
            ])
    }

    /// Stores the fitted model, its summary and coefficients and state `ready`, deletes the training data, removes
    /// the job and counts the outcome in `{p}stats`, atomically. False (and nothing written) when the claim is no
    /// longer valid.
    public func complete(
        _ claim: Claim, model: LogisticModel, summary: TrainingSummary, warnings: [String] = []
    ) async throws(RedisError) -> Bool {
        let result = ModelRecord.FitResult(summary: summary, coefficients: Coefficients(model))
        return try await finish(
            claim, state: .ready, trainingSeconds: summary.trainingSeconds,
            fields: (warnings.isEmpty ? [] : [(.warnings, RecordJSON.encode(warnings))]) + [
                (.model, RecordJSON.encode(model)), (.summary, RecordJSON.encode(result.summary)),
                (.coefficients, RecordJSON.encode(result.coefficients)), (.progressIteration, String(summary.nIter)),
                (.progressObjective, String(summary.objective)),
            ])
    }

    /// Ends the job as `failed` with a reason, deleting the training data. False when the claim is no longer valid.
    public func fail(_ claim: Claim, reason: String) async throws(RedisError) -> Bool {
        try await finish(claim, state: .failed, trainingSeconds: 0, fields: [(.error, reason)])
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

    private func finish(_ claim: Claim, state: ModelState, trainingSeconds: Double, fields: [(ModelField, String)]) async throws(RedisError) -> Bool {
        let outcome = StatsField.outcome(state)!  // finish is only called with ready or failed
        return try await fenced(
            Scripts.finish, claim, extraKeys: [keys.processing(worker: claim.worker), keys.trainingData(claim.id), keys.stats],
            arguments: [RedisArgument(trainingSeconds), .text(outcome.rawValue)]
                + ([(.state, state.rawValue), (.finishedAt, Timestamp.now())] + fields).flatMap { [RedisArgument.text($0.0.rawValue), .text($0.1)] })
    }

    /// Runs a script whose KEYS[1] is the model hash and whose ARGV starts with id, worker, attempt.
    private func fenced(_ script: String, _ claim: Claim, extraKeys: [String], arguments: [RedisArgument]) async throws(RedisError) -> Bool {
        let command: [RedisArgument] =
            ["EVAL", .text(script), RedisArgument(1 + extraKeys.count), .text(keys.model(claim.id))] + extraKeys.map { .text($0) }
            + [.text(claim.id.rawValue), .text(claim.worker), RedisArgument(claim.attempt)] + arguments
        return try await client.send(command).integer == 1
    }
}
