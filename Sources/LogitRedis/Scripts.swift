/// The Lua scripts behind `JobQueue`: each runs atomically in Redis. Each begins with `ScriptPrelude`, and names
/// fields, states, counters and key shapes only through its tables.
///
/// Note for Redis Cluster: `reap` builds keys from the prefix, and the others touch several keys of one model;
/// on a cluster, all keys of a deployment must share a hash tag (e.g. prefix `{lr}:`).
enum Scripts {
    /// KEYS: model, processing. ARGV: id, worker, now. Returns the attempt number, or -1 (job dropped: the model is
    /// gone or not queued, e.g. a second copy of an id that another worker has already claimed).
    ///
    /// The id is put back in the processing list if a reconciliation took it out meanwhile (see `reconcile`), so
    /// that a claimed job is always in its worker's list, where the reaper finds it should the worker die.
    ///
    /// A dropped id stays in the list: it may be the entry of a live attempt of this same worker (a duplicate id, or
    /// a claim that ran twice), which the reaper needs should the worker die. Reconciliation removes it once no loop
    /// of the worker works on it.
    static let claim =
        ScriptPrelude.text + """
            if redis.call('HGET', KEYS[1], F.state) ~= S.queued then return -1 end
            if not redis.call('LPOS', KEYS[2], ARGV[1]) then redis.call('LPUSH', KEYS[2], ARGV[1]) end
            local attempt = redis.call('HINCRBY', KEYS[1], F.attempts, 1)
            redis.call('HSET', KEYS[1], F.state, S.training, F.startedAt, ARGV[3], F.worker, ARGV[2], F.progressIteration, '0', F.phase, P.parsing)
            redis.call('HDEL', KEYS[1], F.progressObjective, F.progressUpdatedAt)
            announce(prefixOf(KEYS[1], ARGV[1]), ARGV[1], S.training)
            return attempt
            """

    /// The fence every later write checks: still training, under this worker, at this attempt.
    static let fence =
        ScriptPrelude.text + """
            local function holds()
              local f = redis.call('HMGET', KEYS[1], F.state, F.worker, F.attempts)
              return f[1] == S.training and f[2] == ARGV[2] and f[3] == ARGV[3]
            end

            """

    /// KEYS: model. ARGV: id, worker, attempt, field/value pairs.
    static let progress =
        fence + """
            if not holds() then return 0 end
            redis.call('HSET', KEYS[1], unpack(ARGV, 4))
            return 1
            """

    /// KEYS: model, processing, data, stats. ARGV: id, worker, attempt, training seconds, the `{p}stats` counter of
    /// the outcome, then field/value pairs (among them the final `state`).
    /// A refused (stale) settle leaves the processing list alone, for the same reason as `claim`.
    static let finish =
        fence + """
            if not holds() then return 0 end
            redis.call('LREM', KEYS[2], 0, ARGV[1])
            redis.call('HSET', KEYS[1], unpack(ARGV, 6))
            redis.call('HDEL', KEYS[1], F.worker, F.phase)
            redis.call('DEL', KEYS[3])
            redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
            redis.call('HINCRBYFLOAT', KEYS[4], STAT.trainingSeconds, ARGV[4])
            announce(prefixOf(KEYS[1], ARGV[1]), ARGV[1], redis.call('HGET', KEYS[1], F.state))
            return 1
            """

    /// KEYS: model, processing, jobs. ARGV: id, worker, attempt.
    static let handBack =
        fence + """
            if not holds() then return 0 end
            redis.call('LREM', KEYS[2], 0, ARGV[1])
            redis.call('HINCRBY', KEYS[1], F.attempts, -1)
            redis.call('HSET', KEYS[1], F.state, S.queued)
            redis.call('HDEL', KEYS[1], F.worker, F.startedAt, F.phase, F.progressIteration, F.progressObjective, F.progressUpdatedAt)
            redis.call('RPUSH', KEYS[3], ARGV[1])
            announce(prefixOf(KEYS[1], ARGV[1]), ARGV[1], S.queued)
            return 1
            """

    /// `giveBack(prefix, id, maxAttempts, now)`: puts a job that no process is working on back in the queue. A queued
    /// id is queued again; a training one is queued again (counted as `reclaimed`), or ends `failed` once it has used
    /// `maxAttempts`. Anything else (ready, failed, deleted) needs nothing. Returns 1 when it moved the job.
    static let giveBack =
        ScriptPrelude.text + """
            local function giveBack(prefix, id, maxAttempts, now)
              local model = prefix .. K.model .. id
              local f = redis.call('HMGET', model, F.state, F.attempts)
              if f[1] == S.queued then
                redis.call('RPUSH', prefix .. K.pendingJobs, id)
                return 1
              elseif f[1] == S.training then
                local attempts = tonumber(f[2] or '0')
                if attempts >= tonumber(maxAttempts) then
                  redis.call('HSET', model, F.state, S.failed, F.finishedAt, now,
                    F.error, 'worker lost ' .. attempts .. ' times (its lease expired each time); giving up')
                  redis.call('HDEL', model, F.worker)
                  redis.call('DEL', prefix .. K.trainingData .. id)
                  redis.call('HINCRBY', prefix .. K.stats, STAT.failed, 1)
                  announce(prefix, id, S.failed)
                else
                  redis.call('HSET', model, F.state, S.queued)
                  redis.call('HDEL', model, F.worker)
                  redis.call('RPUSH', prefix .. K.pendingJobs, id)
                  redis.call('HINCRBY', prefix .. K.stats, STAT.reclaimed, 1)
                  announce(prefix, id, S.queued)
                end
                return 1
              end
              return 0
            end

            """

    /// KEYS: workers set. ARGV: prefix, max attempts, now. Every job of every worker whose lease has expired goes
    /// back (`giveBack`), and the worker is unlisted.
    static let reap =
        giveBack + """
            local prefix = ARGV[1]
            local moved = 0
            for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
              if redis.call('EXISTS', prefix .. K.lease .. worker) == 0 then
                local processing = prefix .. K.processing .. worker
                for _, id in ipairs(redis.call('LRANGE', processing, 0, -1)) do
                  moved = moved + giveBack(prefix, id, ARGV[2], ARGV[3])
                end
                redis.call('DEL', processing)
                redis.call('SREM', KEYS[1], worker)
              end
            end
            return moved
            """

    /// KEYS: processing. ARGV: prefix, worker, max attempts, now, then the ids to give back.
    ///
    /// A live worker's own repair of its processing list. The worker names the ids it found in the list at its last
    /// reconciliation and is still not working on (see `JobsInHand`); each that is still in the list leaves it and
    /// goes back (`giveBack`) when it is queued, or training under this worker. (Ids are stranded there when a reply
    /// was lost after `BLMOVE`, or when a step between `BLMOVE` and the end of a job failed.) An id training under
    /// another worker, or finished, only leaves the list. Returns how many jobs went back, then the ids left in the
    /// list, for the next reconciliation.
    static let reconcile =
        giveBack + """
            local moved = 0
            for i = 5, #ARGV do
              local id = ARGV[i]
              if redis.call('LREM', KEYS[1], 0, id) > 0 then
                local f = redis.call('HMGET', ARGV[1] .. K.model .. id, F.state, F.worker)
                if f[1] == S.queued or (f[1] == S.training and f[2] == ARGV[2]) then
                  moved = moved + giveBack(ARGV[1], id, ARGV[3], ARGV[4])
                end
              end
            end
            return {moved, redis.call('LRANGE', KEYS[1], 0, -1)}
            """

    /// KEYS: model, data, index, jobs, upload, and for a named model also names, versions (of its name). ARGV: id,
    /// created-at ms, data source, data (or empty), then the model hash's field/value pairs. With source `upload`, the
    /// data was sent beforehand in chunks to the upload key, which becomes the data key here; with `inline`, it is
    /// ARGV[4]. One script, so a job is stored whole or not at all, and a named model's version is the next one of its
    /// name however many requests race (`HINCRBY` on `{p}names`, never reused, even after a deletion). Returns the
    /// version (0 without a name); the same when the model exists already (the client retried a call whose reply was
    /// lost: the job is queued once); or an error when the upload key is gone (it expires if its request never commits).
    static let enqueue =
        ScriptPrelude.text + """
            if redis.call('EXISTS', KEYS[1]) == 1 then
              redis.call('DEL', KEYS[5])
              return tonumber(redis.call('HGET', KEYS[1], F.version) or '0')
            end
            if ARGV[3] == 'upload' then
              if redis.call('EXISTS', KEYS[5]) == 0 then return redis.error_reply('ERR the uploaded training data expired') end
              redis.call('RENAME', KEYS[5], KEYS[2])
              redis.call('PERSIST', KEYS[2])
            else
              redis.call('SET', KEYS[2], ARGV[4])
            end
            redis.call('HSET', KEYS[1], unpack(ARGV, 5))
            local version = 0
            local name = redis.call('HGET', KEYS[1], F.name)
            if name and KEYS[7] then
              version = redis.call('HINCRBY', KEYS[6], name, 1)
              redis.call('HSET', KEYS[1], F.version, version)
              redis.call('ZADD', KEYS[7], version, ARGV[1])
            end
            redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
            redis.call('LPUSH', KEYS[4], ARGV[1])
            announce(prefixOf(KEYS[1], ARGV[1]), ARGV[1], S.queued)
            return version
            """

    /// KEYS: model, data, jobs, index. ARGV: id, prefix. Returns {1} when the model existed and is gone, {0} when
    /// there was none, {2, alias} when an alias of its name points at its version (nothing deleted). A model in
    /// training also leaves its worker's processing list; its worker's next progress write is refused, and it stops.
    /// A named model leaves its name's versions (the version number is not reused).
    static let delete =
        ScriptPrelude.text + """
            local f = redis.call('HMGET', KEYS[1], F.worker, F.name, F.version)
            if f[2] and f[3] then
              local aliases = redis.call('HGETALL', ARGV[2] .. K.aliases .. f[2])
              for i = 1, #aliases, 2 do
                if aliases[i + 1] == f[3] then return {2, aliases[i]} end
              end
              redis.call('ZREM', ARGV[2] .. K.versions .. f[2], ARGV[1])
            end
            local existed = redis.call('EXISTS', KEYS[1])
            if f[1] then redis.call('LREM', ARGV[2] .. K.processing .. f[1], 0, ARGV[1]) end
            redis.call('LREM', KEYS[3], 0, ARGV[1])
            redis.call('DEL', KEYS[1], KEYS[2])
            redis.call('ZREM', KEYS[4], ARGV[1])
            if existed == 1 then announce(ARGV[2], ARGV[1], EV.deleted) end
            return {existed}
            """

    /// KEYS: versions, aliases (of one name). ARGV: prefix, selector (`newest`, `number` or `alias`), the version
    /// number or alias. Returns {id, version}, or {code}: -1 no such name, -2 no such version, -3 no such alias, -4 no
    /// ready version. `newest` is the highest version whose model is ready.
    static let resolve =
        ScriptPrelude.text + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
            local version = ARGV[3]
            if ARGV[2] == 'newest' then
              local ids = redis.call('ZREVRANGE', KEYS[1], 0, -1, 'WITHSCORES')
              for i = 1, #ids, 2 do
                if redis.call('HGET', ARGV[1] .. K.model .. ids[i], F.state) == S.ready then return {ids[i], tonumber(ids[i + 1])} end
              end
              return {-4}
            elseif ARGV[2] == 'alias' then
              version = redis.call('HGET', KEYS[2], ARGV[3])
              if not version then return {-3} end
            end
            local ids = redis.call('ZRANGEBYSCORE', KEYS[1], version, version)
            if #ids == 0 then return {-2} end
            return {ids[1], tonumber(version)}
            """

    /// KEYS: versions, aliases (of one name). ARGV: prefix, alias, version. Points the alias at the version when that
    /// version's model is ready. Returns {id, previous version or 0}, or {-1} (no such version), {-2, state}.
    static let setAlias =
        ScriptPrelude.text + """
            local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[3], ARGV[3])
            if #ids == 0 then return {-1} end
            local state = redis.call('HGET', ARGV[1] .. K.model .. ids[1], F.state)
            if state ~= S.ready then return {-2, state} end
            local previous = redis.call('HGET', KEYS[2], ARGV[2])
            redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
            return {ids[1], tonumber(previous or '0')}
            """

    /// The call of `delete` for a model: removes it and all its keys (and its job, wherever it is); replies 1 when
    /// it existed. Used by `ModelStore.delete`, and by `JobQueue.enqueue` to take back a job too few replicas have.
    static func deleteCommand(_ id: ModelID, keys: KeySchema) -> [RedisArgument] {
        [
            "EVAL", .text(delete), 4, .text(keys.model(id)), .text(keys.trainingData(id)), .text(keys.pendingJobs),
            .text(keys.modelIndex), .text(id.rawValue), .text(keys.prefix),
        ]
    }
}
