import LogitRedis
import Synchronization

/// Requests held until a model changes (`?wait=SECONDS`), woken by the model change feed, never by polling.
///
/// A request takes a `Ticket` before it reads the model, and waits on it after: a change published between the
/// read and the wait is not lost, it makes the wait return at once. `.resynchronized` (changes may have been missed)
/// wakes every waiter, which then reads its model again.
final class ChangeWaiters: Sendable {
    struct Ticket: Sendable, Hashable {
        let id: ModelID
        let number: Int
    }

    private enum Slot {
        case taken
        case changed
        case waiting(CheckedContinuation<Void, Never>)
    }

    private let slots = Mutex<[ModelID: [Int: Slot]]>([:])
    private let counter = Atomic<Int>(0)

    init(feed: (any ModelChangeFeed)?) {
        feed?.listen { [weak self] notice in
            switch notice {
            case .changed(let event): self?.wake(event.id)
            case .resynchronized: self?.wakeAll()
            }
        }
    }

    /// A place in line for changes of `id` from now on.
    func ticket(for id: ModelID) -> Ticket {
        let ticket = Ticket(id: id, number: counter.wrappingAdd(1, ordering: .relaxed).newValue)
        slots.withLock { $0[id, default: [:]][ticket.number] = .taken }
        return ticket
    }

    /// Waits until `ticket`'s model changes (true) or `timeout` passes (false). The ticket is used up either way.
    func wait(_ ticket: Ticket, timeout: Duration) async -> Bool {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.park(ticket) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            // Whichever ended first, the ticket goes, which also resumes a parked wait.
            let changed = self.release(ticket)
            group.cancelAll()
            return changed
        }
    }

    /// Gives up a ticket; true when its model had changed.
    @discardableResult
    func release(_ ticket: Ticket) -> Bool {
        let slot = slots.withLock { slots -> Slot? in
            let slot = slots[ticket.id]?.removeValue(forKey: ticket.number)
            if slots[ticket.id]?.isEmpty == true { slots[ticket.id] = nil }
            return slot
        }
        switch slot {
        case .waiting(let continuation):
            continuation.resume()
            return false
        case .changed: return true
        case .taken, nil: return false
        }
    }

    /// Requests holding a ticket right now.
    var ticketCount: Int { slots.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Requests parked in `wait` right now.
    var parkedCount: Int {
        slots.withLock { slots in
            slots.values.reduce(0) { total, tickets in
                total + tickets.values.filter { if case .waiting = $0 { true } else { false } }.count
            }
        }
    }

    /// Returns once the ticket's model has changed or the ticket is released.
    private func park(_ ticket: Ticket) async {
        await withCheckedContinuation { continuation in
            let resumeNow = slots.withLock { slots -> Bool in
                guard case .taken = slots[ticket.id]?[ticket.number] else { return true }
                slots[ticket.id]![ticket.number] = .waiting(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    private func wake(_ id: ModelID) {
        let continuations = slots.withLock { slots -> [CheckedContinuation<Void, Never>] in
            guard var waiting = slots[id] else { return [] }
            var parked: [CheckedContinuation<Void, Never>] = []
            for (number, slot) in waiting {
                if case .waiting(let continuation) = slot { parked.append(continuation) }
                waiting[number] = .changed
            }
            slots[id] = waiting
            return parked
        }
        for continuation in continuations { continuation.resume() }
    }

    private func wakeAll() {
        let ids = slots.withLock { Array($0.keys) }
        for id in ids { wake(id) }
    }
}
