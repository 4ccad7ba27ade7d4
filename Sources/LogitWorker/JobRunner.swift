import CLogitSystem
import Foundation
import Logging
import LogitCore
import LogitRedis
import NIOPosix
import Synchronization

/// Trains one claimed job and settles it: stored as ready, failed with a reason, or handed back.
struct JobRunner {
    let queue: any WorkQueue
    let claim: Claim
    let configuration: WorkerConfiguration
    var logger: Logger

    init(queue: any WorkQueue, claim: Claim, configuration: WorkerConfiguration, logger: Logger) {
        self.queue = queue
        self.claim = claim
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "model_id"] = "\(claim.id)"
        logger[metadataKey: "job_attempt"] = "\(claim.attempt)"
        self.logger = logger
    }

    /// What the fit ended with.
    enum Outcome: Sendable {
        case fitted(LogisticModel, TrainingSummary, warnings: [String])
        case failed(String)
        case cancelled
    }

    func run(_ signals: WorkerSignals, threads: NIOThreadPool) async {
        // The job's data and matrix are freed when this returns: give the memory back to the system (glibc keeps a
        // large freed block's pages in its arenas otherwise).
        defer { logit_release_free_heap() }
        logger.info("Training started")
        let outcome: Outcome
        do {
            outcome = try await train(signals, threads: threads)
        } catch {
            // Redis failed before the fit started: once no loop works on it, reconciliation returns it to the queue.
            logger.warning("Could not read the job from Redis; it goes back to the queue", metadata: ["error": "\(error)"])
            return
        }
        switch outcome {
        case .fitted(let model, let summary, let warnings):
            logger.info(
                "Training finished",
                metadata: [
                    "n_iter": "\(summary.nIter)", "objective": "\(summary.objective)", "seconds": "\(summary.trainingSeconds)",
                ])
            await settle("store the model") { try await queue.complete(claim, model: model, summary: summary, warnings: warnings) }
        case .failed(let reason):
            logger.warning("Training failed", metadata: ["reason": "\(reason)"])
            await settle("store the failure") { try await queue.fail(claim, reason: reason) }
        case .cancelled:
            if signals.abandonJobs.load(ordering: .sequentiallyConsistent) {
                logger.info("Shutdown grace period over: handing the job back")
                await settle("hand the job back") { try await queue.handBack(claim) }
            } else {
                logger.warning("The job was taken from this worker (lease lost or model deleted); dropping its result")
            }
        }
    }

    private func train(_ signals: WorkerSignals, threads: NIOThreadPool) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        guard let input = try await retryingWhileUnavailable({ try await queue.jobInput(claim.id) }) else {
            return .failed("the job's training data is missing from Redis")
        }
        logger.info("Training data read", metadata: ["bytes": "\(input.data.count)", "read_seconds": "\((clock.now - start) / .seconds(1))"])
        guard let parameters = input.parameters, let format = input.format else { return .failed("the job's parameters are unreadable") }
        // The data is handed over to the parse (or the fit) and the CSV freed right after it, not kept through the fit: the worker's
        // peak is then the CSV and the matrix (while parsing), or the matrix and the logits (while fitting), not
        // all three at once.
        let pending = Pending(TrainingData(consume input))
        let shared = FitState()
        let limits = configuration.csvLimits
        return await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    return try await threads.runIfActive { () -> Outcome in
                        let set: TrainingSet
                        let parseStart = clock.now
                        do {
                            switch pending.take() {
                            case .parsed(let parsed):
                                set = parsed  // the API stored it parsed
                            case .csv(let bytes):
                                set = try TrainingSet.parse(bytes, format: format, limits: limits)
                                logger.info("Training data parsed", metadata: ["parse_seconds": "\((clock.now - parseStart) / .seconds(1))"])
                            case nil:
                                return .failed("the training data was already handed over")
                            }
                        } catch {
                            return .failed("the training data is unreadable: \(error)")
                        }
                        let (featureNames, dataWarnings) = (set.featureNames, set.warnings)
                        do {
                            var (model, summary) = try Trainer.fit(consume set, parameters: parameters) { progress in
                                shared.latest.withLock { $0 = progress }
                                return !shared.lost.load(ordering: .relaxed) && !signals.abandonJobs.load(ordering: .relaxed)
                            }
                            model.featureNames = featureNames
                            switch FitReview.review(summary, parameters: parameters) {
                            case .failed(let reason): return .failed(reason)
                            case .ready(let warnings): return .fitted(model, summary, warnings: dataWarnings + warnings)
                            }
                        } catch TrainingError.cancelled {
                            return .cancelled
                        } catch {
                            return .failed("\(error)")
                        }
                    }
                } catch {
                    return .cancelled  // the thread pool is shutting down
                }
            }
            group.addTask {
                // Progress writes, throttled; a refused write means the claim is gone.
                var written = -1
                while !Task.isCancelled {
                    try? await Task.sleep(for: configuration.progressInterval)
                    guard let progress = shared.latest.withLock({ $0 }), progress.iteration != written else { continue }
                    written = progress.iteration
                    if let accepted = try? await queue.progress(claim, iteration: progress.iteration, objective: progress.objective), !accepted {
                        shared.lost.store(true, ordering: .relaxed)
                    }
                }
                return nil
            }
            let outcome = await group.next()!!
            group.cancelAll()
            return outcome
        }
    }

    /// Writes a job's end state, retrying through Redis outages while the lease may still hold.
    private func settle(_ what: String, _ write: () async throws -> Bool) async {
        do {
            if try await !retryingWhileUnavailable(write) { logger.warning("Redis refused to \(what): this worker no longer holds the job") }
        } catch {
            logger.error("Could not \(what); the job goes back to the queue", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body`, again with backoff while Redis is unavailable (restarting, loading, failing over), for as long
    /// as the lease could still hold; then throws the last error.
    private func retryingWhileUnavailable<T>(_ body: () async throws -> T) async throws -> T {
        var backoff = Backoff()
        let deadline = ContinuousClock.now + configuration.lease * 4
        while true {
            do {
                return try await body()
            } catch {
                guard (error as? RedisError)?.isUnavailable == true, ContinuousClock.now < deadline else { throw error }
                try? await Task.sleep(for: backoff.next())
            }
        }
    }
}

/// What the training thread and the progress writer share during one fit.
final class FitState: Sendable {
    /// The fit's latest progress, read by the progress writer.
    let latest = Mutex<TrainingProgress?>(nil)
    /// Set when Redis refused a progress write: the claim is gone, stop fitting.
    let lost = Atomic<Bool>(false)
}

/// A value taken once (a job's training data, by the thread that parses and fits it), so that nothing else keeps it
/// alive.
final class Pending<Value: Sendable>: Sendable {
    private let value: Mutex<Value?>

    init(_ value: consuming Value) { self.value = Mutex(value) }

    /// The value; later calls get nil.
    func take() -> Value? { value.withLock { value in Swift.exchange(&value, with: nil) } }
}

/// A job's training data as the worker gets it.
enum TrainingData: Sendable {
    /// The CSV body, to parse.
    case csv([UInt8])
    /// Parsed by the API (`TrainingMatrix`).
    case parsed(TrainingSet)

    init(_ input: consuming JobInput) {
        if let parsed = input.parsed { self = .parsed(parsed) } else { self = .csv(input.data) }
    }
}
