/// The Lua scripts behind `JobQueue`: each runs atomically in Redis.
///
/// Note for Redis Cluster: `reap` builds keys from the prefix, and the others touch several keys of one model;
/// on a cluster, all keys of a deployment must share a hash tag (e.g. prefix `{lr}:`).
enum Scripts {
    /// KEYS: model, processing. ARGV: id, worker, now. Returns the attempt number, or -1 (job dropped: the model is
    /// gone or not queued).
    static let claim = """
        if redis.call('HGET', KEYS[1], 'state') ~= 'queued' then
          redis.call('LREM', KEYS[2], 0, ARGV[1])
          return -1
        end
        local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
        redis.call('HSET', KEYS[1], 'state', 'training', 'started_at', ARGV[3], 'worker', ARGV[2], 'progress_iteration', '0')
        redis.call('HDEL', KEYS[1], 'progress_objective', 'progress_updated_at')
        return attempt
        """

    /// The fence every later write checks: still training, under this worker, at this attempt.
    static let fence = """
        local function holds()
          local f = redis.call('HMGET', KEYS[1], 'state', 'worker', 'attempts')
          return f[1] == 'training' and f[2] == ARGV[2] and f[3] == ARGV[3]
        end

        """

    /// KEYS: model. ARGV: id, worker, attempt, field/value pairs.
    static let progress = fence + """
        if not holds() then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 4))
        return 1
        """

    /// KEYS: model, processing, data, stats. ARGV: id, worker, attempt, training seconds, field/value pairs (the
    /// first is `state`: ready or failed, which is also the outcome counted in stats).
    static let finish = fence + """
        redis.call('LREM', KEYS[2], 0, ARGV[1])
        if not holds() then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV, 5))
        redis.call('HDEL', KEYS[1], 'worker')
        redis.call('DEL', KEYS[3])
        redis.call('HINCRBY', KEYS[4], ARGV[6], 1)
        redis.call('HINCRBYFLOAT', KEYS[4], 'training_seconds', ARGV[4])
        return 1
        """

    /// KEYS: model, processing, jobs. ARGV: id, worker, attempt.
    static let handBack = fence + """
        redis.call('LREM', KEYS[2], 0, ARGV[1])
        if not holds() then return 0 end
        redis.call('HINCRBY', KEYS[1], 'attempts', -1)
        redis.call('HSET', KEYS[1], 'state', 'queued')
        redis.call('HDEL', KEYS[1], 'worker', 'started_at', 'progress_iteration', 'progress_objective', 'progress_updated_at')
        redis.call('RPUSH', KEYS[3], ARGV[1])
        return 1
        """

    /// KEYS: workers set. ARGV: prefix, max attempts, now.
    static let reap = """
        local prefix = ARGV[1]
        local moved = 0
        for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if redis.call('EXISTS', prefix .. 'worker:' .. worker) == 0 then
            local processing = prefix .. 'processing:' .. worker
            for _, id in ipairs(redis.call('LRANGE', processing, 0, -1)) do
              local model = prefix .. 'model:' .. id
              local state = redis.call('HGET', model, 'state')
              if state == 'training' then
                local attempts = tonumber(redis.call('HGET', model, 'attempts') or '0')
                if attempts >= tonumber(ARGV[2]) then
                  redis.call('HSET', model, 'state', 'failed', 'finished_at', ARGV[3],
                    'error', 'worker lost ' .. attempts .. ' times (its lease expired each time); giving up')
                  redis.call('HDEL', model, 'worker')
                  redis.call('DEL', prefix .. 'data:' .. id)
                  redis.call('HINCRBY', prefix .. 'stats', 'failed', 1)
                else
                  redis.call('HSET', model, 'state', 'queued')
                  redis.call('HDEL', model, 'worker')
                  redis.call('RPUSH', prefix .. 'jobs', id)
                  redis.call('HINCRBY', prefix .. 'stats', 'reclaimed', 1)
                end
                moved = moved + 1
              elseif state == 'queued' then
                redis.call('RPUSH', prefix .. 'jobs', id)
                moved = moved + 1
              end
            end
            redis.call('DEL', processing)
            redis.call('SREM', KEYS[1], worker)
          end
        end
        return moved
        """

    /// KEYS: model, data, jobs, index. ARGV: id. Returns 1 when the model existed.
    static let delete = """
        local existed = redis.call('EXISTS', KEYS[1])
        redis.call('LREM', KEYS[3], 0, ARGV[1])
        redis.call('DEL', KEYS[1], KEYS[2])
        redis.call('ZREM', KEYS[4], ARGV[1])
        return existed
        """
}
