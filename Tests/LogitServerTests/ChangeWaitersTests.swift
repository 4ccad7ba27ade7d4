import LogitCore
import LogitRedis
import Synchronization
import Testing

@testable import LogitServer

/// `?wait=` without I/O: a feed the test drives.
@Suite struct ChangeWaitersTests {
    final class Feed: ModelChangeFeed {
        let listeners = Mutex<[@Sendable (ModelChangeNotice) -> Void]>([])
        func listen(_ listener: @escaping @Sendable (ModelChangeNotice) -> Void) { listeners.withLock { $0.append(listener) } }
        func send(_ notice: ModelChangeNotice) { for listener in listeners.withLock({ $0 }) { listener(notice) } }
    }

    let feed = Feed()
    let id = ModelID.generate()

    @Test func aChangeBeforeTheWaitIsNotLost() async {
        let waiters = ChangeWaiters(feed: feed)
        let ticket = waiters.ticket(for: id)
        feed.send(.changed(ModelEvent(id: id, change: .state(.training))))
        #expect(await waiters.wait(ticket, timeout: .seconds(30)))
        #expect(waiters.ticketCount == 0)
    }

    @Test func noChangeMeansTheTimeout() async {
        let waiters = ChangeWaiters(feed: feed)
        let ticket = waiters.ticket(for: id)
        feed.send(.changed(ModelEvent(id: ModelID.generate(), change: .state(.ready))))  // another model
        #expect(await waiters.wait(ticket, timeout: .milliseconds(20)) == false)
        #expect(waiters.ticketCount == 0)
    }

    @Test func aWaitingRequestWakesAtTheChange() async throws {
        let waiters = ChangeWaiters(feed: feed)
        let ticket = waiters.ticket(for: id)
        async let woken = waiters.wait(ticket, timeout: .seconds(30))
        // Wait (with a deadline) until the request is parked, then change the model. The deadline is a safety net:
        // in a full parallel run on 2 cores, other tests' blocking waits held the cooperative threads for over 10 s.
        let deadline = ContinuousClock.now + .seconds(60)
        while waiters.parkedCount == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(waiters.parkedCount == 1)
        feed.send(.changed(ModelEvent(id: id, change: .deleted)))
        #expect(await woken)
    }

    @Test func aResynchronizationWakesEveryone() async {
        let waiters = ChangeWaiters(feed: feed)
        let tickets = [waiters.ticket(for: id), waiters.ticket(for: ModelID.generate())]
        feed.send(.resynchronized)
        for ticket in tickets { #expect(await waiters.wait(ticket, timeout: .seconds(30))) }
    }
}
