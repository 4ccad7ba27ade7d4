import LogitCore
import LogitRedis
import Synchronization

/// Fitted models already read from Redis. A model never changes once `ready` (ids are never reused), so an entry
/// stays valid as long as Redis still says `ready`; the caller checks that on every request.
final class ModelCache: Sendable {
    private let entries = Mutex<[ModelID: LogisticModel]>([:])
    private let capacity: Int

    init(capacity: Int = 256) { self.capacity = capacity }

    func get(_ id: ModelID) -> LogisticModel? { entries.withLock { $0[id] } }

    func put(_ id: ModelID, _ model: LogisticModel) {
        entries.withLock { entries in
            if entries.count >= capacity, let victim = entries.keys.first { entries[victim] = nil }
            entries[id] = model
        }
    }

    func remove(_ id: ModelID) { _ = entries.withLock { $0.removeValue(forKey: id) } }
}
