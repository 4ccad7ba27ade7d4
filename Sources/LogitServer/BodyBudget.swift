import CLogitSystem
import Hummingbird
import NIOCore
import Synchronization

/// A bound on the request body bytes that the API holds at once, across all requests.
///
/// Each body is counted from its first byte until its request is answered. A body that would take the total past
/// the budget is refused with 503 and `Retry-After` (the client retries; the process is never killed for lack of
/// memory): at once when its `Content-Length` says so, else as soon as its bytes would cross the line.
final class BodyBudget: Sendable {
    let limit: Int
    private let inFlight = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Body bytes held right now.
    var bytesInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// Counts `bytes` against the budget, or throws 503 (counting nothing) when they do not fit.
    func reserve(_ bytes: Int) throws(ProblemError) {
        let (exchanged, _) = inFlight.compareExchangeLoop { $0 + bytes <= limit ? $0 + bytes : nil }
        guard exchanged else {
            throw ProblemError(
                .serviceUnavailable,
                "The API is receiving more request bodies at once than its memory budget allows (LOGIT_MAX_INFLIGHT_BODY_BYTES = \(limit) bytes); try again shortly.",
                headers: [.retryAfter: "1", .connection: "close"])
        }
    }

    func release(_ bytes: Int) {
        inFlight.subtract(bytes, ordering: .relaxed)
    }

    /// Collects the request's body (up to `limit` bytes; 413 naming `limitName` past it) within the budget, runs
    /// `body` with it, and returns its bytes to the budget when `body` is done.
    ///
    /// The buffer is allocated once at the size `Content-Length` announces, so that a large upload costs its size,
    /// not the up-to-2× of a buffer grown by doubling.
    ///
    /// After a body of `trimThreshold` bytes or more, the freed memory goes back to the system (`malloc_trim`):
    /// glibc keeps a freed large buffer's pages in its arenas otherwise, and an idle API stayed at several times its
    /// start size after large uploads.
    func withBody<T>(
        of request: Request, limit: Int, limitName: String, _ body: (ByteBuffer) async throws -> T
    ) async throws -> T {
        var received = 0
        defer { if received >= Self.trimThreshold { logit_release_free_heap() } }
        return try await collect(request, limit: limit, limitName: limitName, received: &received, body)
    }

    /// Bodies at least this large give their memory back to the system once answered.
    static let trimThreshold = 8 << 20

    private func collect<T>(
        _ request: Request, limit: Int, limitName: String, received: inout Int, _ body: (ByteBuffer) async throws -> T
    ) async throws -> T {
        let announced = request.headers[.contentLength].flatMap { Int($0) }
        if let announced, announced > limit { throw Self.tooLarge(limit, limitName) }
        var reserved = 0
        defer { release(reserved) }
        if let announced {
            try reserve(announced)
            reserved = announced
        }
        var buffer = ByteBufferAllocator().buffer(capacity: announced ?? 0)
        for try await fragment in request.body {
            guard buffer.readableBytes + fragment.readableBytes <= limit else { throw Self.tooLarge(limit, limitName) }
            let needed = buffer.readableBytes + fragment.readableBytes - reserved
            if needed > 0 {
                try reserve(needed)
                reserved += needed
            }
            var fragment = fragment
            buffer.writeBuffer(&fragment)
            received = buffer.readableBytes
        }
        return try await body(buffer)
    }

    static func tooLarge(_ limit: Int, _ limitName: String) -> ProblemError {
        ProblemError(.contentTooLarge, "The body is larger than \(limit) bytes, the limit set by \(limitName).", headers: [.connection: "close"])
    }
}

extension Atomic where Value == Int {
    /// Replaces the value with `next(value)` atomically, unless `next` returns nil; returns whether it did.
    fileprivate func compareExchangeLoop(_ next: (Int) -> Int?) -> (exchanged: Bool, original: Int) {
        var current = load(ordering: .relaxed)
        while let proposed = next(current) {
            let (exchanged, original) = compareExchange(expected: current, desired: proposed, ordering: .relaxed)
            if exchanged { return (true, original) }
            current = original
        }
        return (false, current)
    }
}
