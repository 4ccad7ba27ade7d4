import LogitRedis
import Synchronization

/// The jobs a worker process's loops are working on, and what its last look at its processing list found: the
/// worker's side of reconciliation (`JobQueue.reconcile`).
///
/// An id goes back to the queue only when two looks in a row found it in the list with no loop working on it. One
/// look is not enough: a loop's `BLMOVE` may have moved an id whose reply is still on its way, and the loop marks
/// it only once the reply arrives. Two looks are at least a round trip apart, so a taken job is always marked by
/// the second, while a truly stranded id goes back within two reconciliations (each heartbeat and each take runs
/// one). Ids are counted, not just listed: two loops may hold copies of the same id (one then drops it at claim).
public final class JobsInHand: Sendable {
    private struct State {
        var working: [ModelID: Int] = [:]
        var unworkedAtLastLook: Set<ModelID> = []
    }

    private let state = Mutex(State())

    public init() {}

    /// A loop took `id` (from the moment `take` returned it).
    public func begin(_ id: ModelID) {
        state.withLock { $0.working[id, default: 0] += 1 }
    }

    /// A loop is done with `id`: settled, dropped, or left for reconciliation.
    public func end(_ id: ModelID) {
        state.withLock { state in
            guard let count = state.working[id] else { return }
            state.working[id] = count > 1 ? count - 1 : nil
        }
    }

    /// The ids to give back now: unworked at the last look, and still unworked.
    public func stale() -> [ModelID] {
        state.withLock { state in Array(state.unworkedAtLastLook.filter { state.working[$0] == nil }) }
    }

    /// Records what a reconciliation left in the list.
    public func looked(at listed: [ModelID]) {
        state.withLock { state in state.unworkedAtLastLook = Set(listed.filter { state.working[$0] == nil }) }
    }
}
