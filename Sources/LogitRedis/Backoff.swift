/// Capped exponential backoff with full jitter, for retrying Redis after a failure.
public struct Backoff: Sendable {
    var attempt = 0
    public let baseMilliseconds: Int
    public let capMilliseconds: Int

    public init(baseMilliseconds: Int = 100, capMilliseconds: Int = 5000) {
        self.baseMilliseconds = baseMilliseconds
        self.capMilliseconds = capMilliseconds
    }

    /// The next delay: uniformly random up to min(cap, base · 2^attempt).
    public mutating func next() -> Duration {
        let ceiling = min(capMilliseconds, baseMilliseconds << min(attempt, 20))
        attempt += 1
        return .milliseconds(Int.random(in: ceiling / 2...max(ceiling / 2, ceiling)))
    }

    public mutating func reset() { attempt = 0 }
}
