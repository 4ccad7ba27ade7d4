import ArgumentParser
import Logging
import LogitRedis

/// A startup check: a wrong password or address is a clear error at once; Redis merely down is only a warning
/// (every process retries and recovers by itself when it comes up).
enum RedisPreflight {
    static func check(_ client: RedisClient, logger: Logger) async throws {
        do {
            try await client.send("PING")
        } catch let error where error.isAuthenticationFailure {
            await client.shutdown()
            throw ValidationError("Redis at \(client.configuration): \(error.message)")
        } catch {
            logger.warning("Redis is not reachable yet; will keep retrying", metadata: ["redis": "\(client.configuration)", "error": "\(error)"])
        }
    }
}
