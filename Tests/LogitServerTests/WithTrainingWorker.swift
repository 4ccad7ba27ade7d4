import Logging
import LogitRedis
import LogitWorker
import ServiceLifecycle

/// Runs an in-process `TrainingWorker` on `queue` while `body` runs, then shuts it down gracefully (also when `body`
/// throws).
func withTrainingWorker(
    queue: any WorkQueue, configuration: WorkerConfiguration, _ body: @Sendable () async throws -> Void
) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .error
    let group = ServiceGroup(
        services: [TrainingWorker(queue: queue, configuration: configuration, logger: logger)], gracefulShutdownSignals: [], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
