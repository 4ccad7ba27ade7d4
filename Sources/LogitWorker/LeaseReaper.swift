import Logging
import LogitRedis
import ServiceLifecycle

/// Returns the jobs of workers whose lease expired, every `interval`, until graceful shutdown.
///
/// Every worker reaps as part of its heartbeat; `logit serve` runs this too, so that a job whose worker died is put
/// back in the queue (`state=queued`) even while no worker is alive.
public struct LeaseReaper: Service {
    let queue: any WorkQueue
    let interval: Duration
    let maxAttempts: Int
    let logger: Logger

    public init(queue: any WorkQueue, interval: Duration = .seconds(2), maxAttempts: Int = 3, logger: Logger) {
        self.queue = queue
        self.interval = interval
        self.maxAttempts = maxAttempts
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let moved = try await queue.reap(maxAttempts: maxAttempts)
                    if moved > 0 { logger.warning("Reclaimed jobs of workers whose lease expired", metadata: ["jobs": "\(moved)"]) }
                } catch {
                    logger.debug("Reaper could not reach Redis", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
