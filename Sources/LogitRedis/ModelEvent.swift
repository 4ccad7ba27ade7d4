import LogitCore

/// What the scripts publish on `{p}events` when a model changes: `"{id} {state}"` for a new state, `"{id} deleted"`
/// when it is gone. API processes subscribe (`ModelEvents`): a deletion drops the model from every replica's cache,
/// and any change wakes the requests waiting on that model (`?wait=`).
public struct ModelEvent: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case state(ModelState)
        case deleted
    }

    /// Words the scripts publish besides the states (in the prelude as `EV`).
    enum Marker: String, CaseIterable {
        case deleted
    }

    public let id: ModelID
    public let change: Change

    public init(id: ModelID, change: Change) {
        self.id = id
        self.change = change
    }

    /// Reads a published message; nil for anything else.
    public init?(message: [UInt8]) {
        let parts = message.split(separator: UInt8(ascii: " "), maxSplits: 1)
        guard parts.count == 2, let id = ModelID(validating: String(decoding: parts[0], as: UTF8.self)) else { return nil }
        let word = String(decoding: parts[1], as: UTF8.self)
        if let state = ModelState(rawValue: word) {
            self.init(id: id, change: .state(state))
        } else if word == Marker.deleted.rawValue {
            self.init(id: id, change: .deleted)
        } else {
            return nil
        }
    }
}
