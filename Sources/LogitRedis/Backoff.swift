/// Capped exponential backoff with full jitter, for retrying Redis after a failure.
public struct Backoff: Sendable {
    var attempt = 0
    public let base: Duration
    public let cap: Duration

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    /// The next delay: uniformly random between half and all of min(cap, base · 2^attempt).
    public mutating func next() -> Duration {
        let ceiling = min(cap.wholeMilliseconds, base.wholeMilliseconds << min(attempt, 20))
        attempt += 1
        return .milliseconds(Int64.random(in: ceiling / 2...max(ceiling / 2, ceiling)))
    }

    public mutating func reset() { attempt = 0 }
}
