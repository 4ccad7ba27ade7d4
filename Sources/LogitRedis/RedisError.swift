/// Why a Redis call failed. A struct around a private code, so that new cases don't break callers.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        case connectionFailed
        case connectionLost
        case temporarilyUnavailable
        case authenticationFailed
        case serverError
        case unexpectedReply
        case invalidConfiguration
    }

    let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func connectionFailed(_ message: String) -> Self { .init(.connectionFailed, message) }
    public static func connectionLost(_ message: String) -> Self { .init(.connectionLost, message) }
    public static func temporarilyUnavailable(_ message: String) -> Self { .init(.temporarilyUnavailable, message) }
    public static func authenticationFailed(_ message: String) -> Self { .init(.authenticationFailed, message) }
    public static func serverError(_ message: String) -> Self { .init(.serverError, message) }
    public static func unexpectedReply(_ message: String) -> Self { .init(.unexpectedReply, message) }
    public static func invalidConfiguration(_ message: String) -> Self { .init(.invalidConfiguration, message) }

    /// True when Redis could not be reached or the connection broke: worth retrying later.
    public var isUnavailable: Bool { code == .connectionFailed || code == .connectionLost || code == .temporarilyUnavailable }
    public var isAuthenticationFailure: Bool { code == .authenticationFailed }
    /// True when the command may have run although no reply came: the connection broke after it was sent.
    public var mayHaveRun: Bool { code == .connectionLost }

    public var description: String { message }
}
