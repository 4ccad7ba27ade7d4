import ServiceLifecycle

/// The client as a service of the process's `ServiceGroup`: it lives until graceful shutdown reaches it (put it
/// first, so it is shut down after every service that uses it) or the group is cancelled (a service threw), and
/// then shuts its pool down. Either way its threads are stopped.
extension RedisClient: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
