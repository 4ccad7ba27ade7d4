import Hummingbird
import LogitAPI
import LogitCore
import LogitRedis

/// The fitted models the API serves, from `ModelCache` when it can.
/// Shared by every controller that predicts or exports, so that `DELETE` empties the one cache they all read.
struct ReadyModels: Sendable {
    let repository: any ModelRepository
    let cache: ModelCache

    enum Readiness {
        case ready(LogisticModel)
        case notYet(ModelState)
    }

    /// The fitted model when the model is ready, else its state while it is queued or training. 404 when there is no
    /// such model, 409 when it failed; a ready model without readable weights is a `CorruptRecordError` (500).
    ///
    /// A cached model kept current by the change feed is answered with no Redis round trip (and so also while Redis
    /// is unreachable); otherwise one state read per request, and the weights once per process.
    func readiness(_ id: ModelID) async throws -> Readiness {
        if cache.isKeptCurrent, let cached = cache.get(id) { return .ready(cached) }
        let epoch = cache.epoch
        guard let state = try await repository.state(id) else { throw ProblemError.modelNotFound }
        switch state {
        case .queued, .training:
            return .notYet(state)
        case .failed:
            let reason = try await repository.status(id)?.error  // only on this path: the reason for the 409
            throw ProblemError(
                .conflict, "\(OriginalMessages.failed): this model cannot predict (\(reason ?? "unknown reason")).",
                modelStatus: OriginalMessages.failed, state: .failed)
        case .ready:
            if let cached = cache.get(id) { return .ready(cached) }
            guard let loaded = try await repository.fittedModel(id) else {
                // Deleted since the state read: gone. Still there: its weights are missing, which is a bug.
                guard try await repository.state(id) != nil else { throw ProblemError.modelNotFound }
                throw CorruptRecordError(id: id, field: ModelField.model.rawValue, reason: "missing from a ready model")
            }
            cache.put(id, loaded, readAt: epoch)
            return .ready(loaded)
        }
    }

    /// The fitted model of a ready model; a 409 naming the state (and what it will be able to do: `action`, e.g.
    /// "predict") while it is queued or training.
    func ready(_ id: ModelID, to action: String) async throws -> LogisticModel {
        switch try await readiness(id) {
        case .ready(let model):
            return model
        case .notYet(let state):
            throw ProblemError.notReady(id, state: state, to: action)
        }
    }

    func remove(_ id: ModelID) { cache.remove(id) }
}

extension ProblemError {
    /// 409 for a model that is queued or training.
    static func notReady(_ id: ModelID, state: ModelState, to action: String) -> ProblemError {
        ProblemError(
            .conflict,
            "The model is \(state.rawValue), not ready yet: it can \(action) once it is ready (see GET \(APIPath.filled(APIPath.checkStatus, id: id.rawValue))).",
            modelStatus: OriginalMessages.status(state), state: state)
    }
}
