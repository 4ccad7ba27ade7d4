import LogitCore
import LogitRedis
import Synchronization

/// Fitted models already read from Redis, served with no Redis round trip.
///
/// A model never changes once `ready` (ids are never reused): only its deletion makes an entry stale. Every API
/// replica hears of a deletion on the model change feed (`ModelEvents`) and drops the entry; when the feed may have
/// missed changes (`.resynchronized`: it started, or Redis came back), the whole cache is dropped, so a deletion
/// made while Redis was unreachable is seen once it is back. Without a feed (tests on `InMemoryBackend`), entries are
/// used only after the caller checked the model's state.
///
/// A load races a deletion: the model read, then deleted and its event heard, then put here, would stay forever. So
/// a load takes the `epoch` before it reads, and `put` keeps the model only if no deletion was heard since.
final class ModelCache: Sendable {
    private struct Entries {
        var models: [ModelID: LogisticModel] = [:]
        var epoch = 0
    }

    private let entries = Mutex(Entries())
    private let capacity: Int
    /// True when a feed keeps the entries current, so a hit needs no check with Redis.
    let isKeptCurrent: Bool

    init(capacity: Int = 256, feed: (any ModelChangeFeed)? = nil) {
        self.capacity = capacity
        isKeptCurrent = feed != nil
        feed?.listen { [weak self] notice in
            switch notice {
            case .changed(let event) where event.change == .deleted: self?.remove(event.id)
            case .changed: break
            case .resynchronized: self?.removeAll()
            }
        }
    }

    func get(_ id: ModelID) -> LogisticModel? { entries.withLock { $0.models[id] } }

    /// Taken before reading a model from Redis, handed to `put` after.
    var epoch: Int { entries.withLock { $0.epoch } }

    /// Keeps `model` unless a deletion was heard since `epoch` was taken.
    func put(_ id: ModelID, _ model: LogisticModel, readAt epoch: Int) {
        entries.withLock { entries in
            guard entries.epoch == epoch else { return }
            if entries.models.count >= capacity, let victim = entries.models.keys.first { entries.models[victim] = nil }
            entries.models[id] = model
        }
    }

    func remove(_ id: ModelID) {
        entries.withLock { entries in
            entries.models[id] = nil
            entries.epoch += 1
        }
    }

    func removeAll() {
        entries.withLock { entries in
            entries.models.removeAll()
            entries.epoch += 1
        }
    }
}
