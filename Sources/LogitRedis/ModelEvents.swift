import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What a `ModelChangeFeed` tells its listeners.
public enum ModelChangeNotice: Sendable, Equatable {
    /// A model changed (a script published it).
    case changed(ModelEvent)
    /// Changes may have been missed (the feed started, or came back after losing Redis): anything derived from
    /// earlier ones must be checked again.
    case resynchronized
}

/// Model changes as they happen, for the API: its cache of ready models and its waiting requests (`?wait=`).
public protocol ModelChangeFeed: Sendable {
    /// Calls `listener` with every notice from now on, on the feed's own thread: it must not block.
    func listen(_ listener: @escaping @Sendable (ModelChangeNotice) -> Void)
}

/// `{p}events`, followed on a Redis connection of its own (a `Service`): every message the scripts publish becomes a
/// `ModelChangeNotice.changed`; after each (re)subscription, `.resynchronized` comes first.
///
/// The subscription blocks on its socket, so it runs on a thread of its own, never on the cooperative pool; it
/// waits in slices of `pollInterval`, to notice a shutdown. When Redis goes away it resubscribes with backoff, as
/// the rest of the service does.
public final class ModelEvents: ModelChangeFeed, Service {
    let client: RedisClient
    let keys: KeySchema
    let logger: Logger
    let pollInterval: Duration
    private let listeners = Mutex<[@Sendable (ModelChangeNotice) -> Void]>([])
    private let subscribed = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)

    public init(client: RedisClient, keys: KeySchema, logger: Logger, pollInterval: Duration = .milliseconds(200)) {
        self.client = client
        self.keys = keys
        self.logger = logger
        self.pollInterval = pollInterval
    }

    /// True while the subscription is up.
    public var isSubscribed: Bool { subscribed.load(ordering: .acquiring) }

    public func listen(_ listener: @escaping @Sendable (ModelChangeNotice) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    public func run() async throws {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [self] in
                        follow()
                        finished.resume()
                    }
                    thread.name = "logit-model-events"
                    thread.start()
                }
            } onGracefulShutdown: {
                self.stopping.store(true, ordering: .releasing)
            }
        } onCancel: {
            self.stopping.store(true, ordering: .releasing)
        }
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// The subscription loop, on its own thread, until the service stops.
    private func follow() {
        var backoff = Backoff(cap: .seconds(1))  // a deletion missed meanwhile is seen at the resubscription: keep it short
        while !isStopping {
            do {
                let connection = try client.dedicatedConnection()
                try connection.subscribe(keys.events)
                subscribed.store(true, ordering: .releasing)
                backoff.reset()
                notify(.resynchronized)
                while !isStopping {
                    guard let message = try connection.nextMessage(within: pollInterval) else { continue }
                    if let event = ModelEvent(message: message) { notify(.changed(event)) }
                }
            } catch {
                if subscribed.exchange(false, ordering: .acquiringAndReleasing) {
                    logger.warning("Lost the model events subscription; resubscribing", metadata: ["error": "\(error)"])
                }
                pause(backoff.next())
            }
        }
        subscribed.store(false, ordering: .releasing)
    }

    private func notify(_ notice: ModelChangeNotice) {
        for listener in listeners.withLock({ $0 }) { listener(notice) }
    }

    /// Sleeps for `delay`, in slices, returning early when the service stops.
    private func pause(_ delay: Duration) {
        let deadline = ContinuousClock.now + delay
        while !isStopping && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: min(0.05, (deadline - ContinuousClock.now) / .seconds(1)))
        }
    }
}
