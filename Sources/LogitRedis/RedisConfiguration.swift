import Foundation

/// Where Redis is and how to log in: parsed from `REDIS_URL` (`redis://[[user]:password@]host[:port][/db]` or
/// `unix:///path/to/socket[?db=N]`), with `REDIS_PASSWORD` taking precedence over a URL's password.
///
/// With `sentinels` and `masterName` set, `endpoint` is not used: `RedisClient` asks the Sentinels for the primary,
/// and asks again whenever a connection fails or answers `READONLY`. The credentials and database still apply to
/// the primary.
public struct RedisConfiguration: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
        case tcp(host: String, port: Int)
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): path
            }
        }
    }

    public var endpoint: Endpoint
    public var username: String?
    public var password: String?
    public var database: Int
    public var connectTimeout: Duration
    public var commandTimeout: Duration
    /// Redis Sentinels to ask for the primary (`--redis-sentinels`); empty: connect to `endpoint`.
    public var sentinels: [Endpoint] = []
    /// The name the Sentinels monitor the primary under (`--redis-master-name`).
    public var masterName: String? = nil
    /// The Sentinels' own password (`REDIS_SENTINEL_PASSWORD`), when they require one.
    public var sentinelPassword: String? = nil

    /// True when the primary is found through Sentinel.
    public var usesSentinel: Bool { !sentinels.isEmpty }

    public init(
        endpoint: Endpoint = .tcp(host: "127.0.0.1", port: 6379), username: String? = nil, password: String? = nil,
        database: Int = 0, connectTimeout: Duration = .seconds(1), commandTimeout: Duration = .seconds(10)
    ) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    public init(url: String, password overridingPassword: String? = nil) throws(RedisError) {
        self.init()
        if url.hasPrefix("unix://") {
            var path = String(url.dropFirst("unix://".count))
            if let query = path.firstIndex(of: "?") {
                let options = path[path.index(after: query)...]
                path = String(path[..<query])
                for option in options.split(separator: "&") where option.hasPrefix("db=") {
                    guard let db = Int(option.dropFirst(3)), db >= 0 else { throw .invalidConfiguration("REDIS_URL: bad db in \(option)") }
                    database = db
                }
            }
            guard !path.isEmpty else { throw .invalidConfiguration("REDIS_URL: a unix:// URL needs a socket path") }
            endpoint = .unix(path: path)
        } else {
            guard url.hasPrefix("redis://") else {
                throw .invalidConfiguration("REDIS_URL must start with redis:// or unix:// (got \"\(Self.redacted(url))\")")
            }
            var rest = Substring(url.dropFirst("redis://".count))
            if let at = rest.lastIndex(of: "@") {
                let credentials = rest[..<at]
                rest = rest[rest.index(after: at)...]
                if let colon = credentials.firstIndex(of: ":") {
                    let user = credentials[..<colon]
                    username = user.isEmpty ? nil : Self.percentDecoded(user)
                    password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
                } else if !credentials.isEmpty {
                    password = Self.percentDecoded(credentials)
                }
            }
            var hostPort = rest
            if let slash = rest.firstIndex(of: "/") {
                hostPort = rest[..<slash]
                let db = rest[rest.index(after: slash)...]
                if !db.isEmpty {
                    guard let number = Int(db), number >= 0 else { throw .invalidConfiguration("REDIS_URL: the database \"\(db)\" is not a number") }
                    database = number
                }
            }
            endpoint = try Self.tcpEndpoint(hostPort, defaultPort: 6379, source: "REDIS_URL")
        }
        if let overridingPassword, !overridingPassword.isEmpty { password = overridingPassword }
    }

    /// Sets the Sentinels (`host:port[,host:port…]`) and the primary's name; nil or empty text turns Sentinel off.
    public mutating func useSentinels(_ list: String?, masterName name: String?) throws(RedisError) {
        guard let list, !list.isEmpty else { return }
        var parsed: [Endpoint] = []
        for item in list.split(separator: ",") {
            parsed.append(try Self.tcpEndpoint(Substring(item.trimmingCharacters(in: .whitespaces)), defaultPort: nil, source: "REDIS_SENTINELS"))
        }
        guard let name, !name.isEmpty else {
            throw .invalidConfiguration("REDIS_SENTINELS is set: REDIS_MASTER_NAME (--redis-master-name) must name the primary too")
        }
        sentinels = parsed
        masterName = name
    }

    /// The address without credentials, for logs and errors.
    public var description: String {
        if usesSentinel {
            return "sentinel://\(sentinels.map(\.description).joined(separator: ","))/\(masterName ?? "")?db=\(database)"
        }
        return switch endpoint {
        case .tcp(let host, let port): "redis://\(host):\(port)/\(database)"
        case .unix(let path): "unix://\(path)?db=\(database)"
        }
    }

    /// `host[:port]` (an IPv6 host in brackets) as a TCP endpoint; an empty host is 127.0.0.1. Without a
    /// `defaultPort`, the port is required. `source` names the setting in errors.
    static func tcpEndpoint(_ text: Substring, defaultPort: Int?, source: String) throws(RedisError) -> Endpoint {
        var host = String(text)
        var port = defaultPort
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            host = String(text[..<colon])
            port = Int(text[text.index(after: colon)...])
        }
        guard let port, (1...65535).contains(port) else {
            throw .invalidConfiguration("\(source): the port in \"\(text)\" is missing or not a number from 1 to 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return .tcp(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        return url[..<scheme.upperBound] + "***" + url[at...]
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
