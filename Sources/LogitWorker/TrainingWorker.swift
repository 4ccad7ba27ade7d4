import Foundation
import Logging
import LogitCore
import LogitRedis
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A worker process's service: takes training jobs from Redis, fits them and stores the models.
///
/// `run()` keeps a lease alive (heartbeat), reaps jobs of dead workers, and runs `concurrency` job loops. Before
/// every take and after every heartbeat it reconciles its own processing list with the jobs it is working on
/// (`JobsInHand`), so a job id stranded there (a reply lost after `BLMOVE`, a claim refused by Redis) goes back to
/// the queue within two reconciliations, not when this worker dies. On graceful shutdown it stops taking jobs; a
/// running fit may go on for `shutdownGrace`, then it is cancelled and handed back to the queue (not counted as an
/// attempt). It returns once every job is settled.
public struct TrainingWorker: Service {
    let queue: any WorkQueue
    let configuration: WorkerConfiguration
    let logger: Logger

    public init(queue: any WorkQueue, configuration: WorkerConfiguration, logger: Logger) {
        self.queue = queue
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
    }

    public func run() async throws {
        let signals = WorkerSignals()
        let trainingThreads = NIOThreadPool(numberOfThreads: configuration.concurrency)
        trainingThreads.start()
        defer { trainingThreads.shutdownGracefully { _ in } }
        logger.info("Worker started", metadata: ["concurrency": "\(configuration.concurrency)"])

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await keepLease(signals) }
            group.addTask {
                // Graceful shutdown: take no new jobs at once, and cancel running fits once the grace period is over.
                // (Cancelled instead when every job loop has ended.)
                guard (try? await gracefulShutdown()) != nil else { return }
                logger.info("Shutdown requested: taking no new jobs")
                signals.stopTaking.store(true, ordering: .sequentiallyConsistent)
                guard (try? await Task.sleep(for: configuration.shutdownGrace)) != nil else { return }
                signals.abandonJobs.store(true, ordering: .sequentiallyConsistent)
            }
            await withTaskGroup(of: Void.self) { jobs in
                for _ in 0..<configuration.concurrency {
                    jobs.addTask { await jobLoop(signals, threads: trainingThreads) }
                }
            }
            signals.jobsSettled.store(true, ordering: .sequentiallyConsistent)
            group.cancelAll()
        }
        do {
            try await queue.retire(worker: configuration.workerID)
        } catch {
            logger.warning("Could not remove the worker's lease at exit; it will expire", metadata: ["error": "\(error)"])
        }
        logger.info("Worker stopped")
    }

    /// Renews the lease every heartbeat and reaps dead workers' jobs every reap period, until cancelled.
    private func keepLease(_ signals: WorkerSignals) async {
        var backoff = Backoff()
        var lastReap: ContinuousClock.Instant? = nil
        while !Task.isCancelled && !signals.jobsSettled.load(ordering: .sequentiallyConsistent) {
            do {
                try await queue.heartbeat(worker: configuration.workerID, lease: configuration.lease)
                try await reconcile(signals)
                if lastReap.map({ ContinuousClock.now - $0 >= configuration.reapInterval }) ?? true {
                    lastReap = .now
                    let moved = try await queue.reap(maxAttempts: configuration.maxAttempts)
                    if moved > 0 { logger.warning("Reclaimed jobs of workers whose lease expired", metadata: ["jobs": "\(moved)"]) }
                }
                backoff.reset()
                try? await Task.sleep(for: configuration.heartbeat)
            } catch {
                logger.warning("Redis unavailable for the heartbeat; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    private func jobLoop(_ signals: WorkerSignals, threads: NIOThreadPool) async {
        var backoff = Backoff()
        while !signals.stopTaking.load(ordering: .sequentiallyConsistent) && !Task.isCancelled {
            let id: ModelID?
            do {
                try await reconcile(signals)
                id = try await queue.take(worker: configuration.workerID, timeout: .seconds(1))
                backoff.reset()
            } catch {
                logger.warning("Redis unavailable; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff.next())
                continue
            }
            guard let id else { continue }
            signals.inHand.begin(id)
            defer { signals.inHand.end(id) }
            let claim: Claim?
            do {
                claim = try await queue.claim(id, worker: configuration.workerID)
            } catch {
                // Taken but not claimed: once no loop works on it, reconciliation returns it.
                logger.warning("Could not claim a job; it goes back to the queue", metadata: ["model_id": "\(id)", "error": "\(error)"])
                continue
            }
            guard let claim else { continue }
            await JobRunner(queue: queue, claim: claim, configuration: configuration, logger: logger).run(signals, threads: threads)
        }
    }

    /// Gives back the jobs in this worker's processing list that none of its loops has been working on since the
    /// last reconciliation.
    private func reconcile(_ signals: WorkerSignals) async throws {
        let (moved, listed) = try await queue.reconcile(
            worker: configuration.workerID, stale: signals.inHand.stale(), maxAttempts: configuration.maxAttempts)
        signals.inHand.looked(at: listed)
        if moved > 0 { logger.warning("Returned jobs this worker held but was not working on", metadata: ["jobs": "\(moved)"]) }
    }
}

/// Flags shared by a worker's tasks and the training threads.
final class WorkerSignals: Sendable {
    /// Set on graceful shutdown: claim no more jobs.
    let stopTaking = Atomic<Bool>(false)
    /// Set when the shutdown grace period is over: cancel running fits and hand their jobs back.
    let abandonJobs = Atomic<Bool>(false)
    /// Set when every job loop has ended.
    let jobsSettled = Atomic<Bool>(false)
    /// The jobs this process's loops hold, from the moment `take` returns one until it is settled: what
    /// reconciliation must leave alone.
    let inHand = JobsInHand()
}
