import Foundation
import Logging
import LogitCore
import LogitRedis
import LogitTestSupport
import ServiceLifecycle
import Synchronization
import Testing

/// The scripts publish every state change and deletion on `{p}events`, and `ModelEvents` delivers them, after a
/// `.resynchronized` at each (re)subscription; on a real redis-server, restarted for the second test.
@Suite struct ModelEventsTests {
    final class Heard: Sendable {
        let notices = Mutex<[ModelChangeNotice]>([])
        var all: [ModelChangeNotice] { notices.withLock { $0 } }

        /// Waits (with a deadline, polling the list) until `condition` holds for what was heard. The deadline is
        /// only a safety net, and generous: in a full parallel run on 2 cores, other tests' blocking waits (starting
        /// and stopping redis-servers) held the cooperative threads long enough that a subscription had not started
        /// within 10 s.
        func wait(_ what: String, _ condition: @escaping ([ModelChangeNotice]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition(all) {
                guard ContinuousClock.now < deadline else { throw RedisTestServerError(message: "never heard \(what): \(all)") }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    func withEvents(_ server: RedisTestServer, _ body: @Sendable (JobQueue, RedisClient, Heard) async throws -> Void) async throws {
        let client = RedisClient(configuration: server.configuration)
        let keys = KeySchema(prefix: "t:")
        let events = ModelEvents(client: client, keys: keys, logger: Logger(label: "test"), pollInterval: .milliseconds(50))
        let heard = Heard()
        events.listen { notice in heard.notices.withLock { $0.append(notice) } }
        let group = ServiceGroup(services: [events], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            try await heard.wait("the subscription") { $0.contains(.resynchronized) }
            try await body(JobQueue(client: client, keys: keys), client, heard)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await client.shutdown()
    }

    @Test func everyStateChangeAndTheDeletionArePublishedInOrder() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        try await withEvents(server) { queue, client, heard in
            let id = ModelID.generate()
            try await queue.enqueue(id)
            try await queue.heartbeat(worker: "w1", lease: .seconds(5))
            let claim = try #require(try await queue.claim(worker: "w1", timeout: .seconds(1)))
            #expect(try await queue.complete(claim, model: TestFit.model, summary: TestFit.summary()))
            #expect(try await ModelStore(client: client, keys: KeySchema(prefix: "t:")).delete(id) == .deleted)
            try await heard.wait("the deletion") { $0.contains(.changed(ModelEvent(id: id, change: .deleted))) }
            let changes = heard.all.compactMap { notice -> ModelEvent.Change? in
                if case .changed(let event) = notice, event.id == id { return event.change }
                return nil
            }
            #expect(changes == [.state(.queued), .state(.training), .state(.ready), .deleted])
        }
    }

    @Test func aLostSubscriptionComesBackResynchronized() async throws {
        let server = try RedisTestServer()
        let restarted = Mutex<RedisTestServer?>(nil)
        defer { restarted.withLock { $0?.stop() } }
        try await withEvents(server) { queue, _, heard in
            let before = heard.all.filter { $0 == .resynchronized }.count
            server.kill()
            let again = try RedisTestServer(port: server.port)
            restarted.withLock { $0 = again }
            try await heard.wait("a second subscription") { $0.filter { $0 == .resynchronized }.count > before }
            let id = ModelID.generate()
            try await queue.enqueue(id)
            try await heard.wait("the job after the restart") { $0.contains(.changed(ModelEvent(id: id, change: .state(.queued)))) }
        }
    }
}
