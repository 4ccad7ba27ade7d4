import LogitCore

/// A registered model's name: `[a-z0-9][a-z0-9._-]{0,63}`, never shaped like a model id (so a reference is never
/// ambiguous). Validated before any key is built from it.
public struct ModelName: Sendable, Hashable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// The rule, for messages and documents.
    public static let rule = "[a-z0-9][a-z0-9._-]{0,63}, and not shaped like a model id"

    public init?(validating text: some StringProtocol) {
        guard Self.isWellFormed(text, first: Self.isLowercaseAlphanumeric), ModelID(validating: text) == nil else { return nil }
        rawValue = String(text)
    }

    /// 1 to 64 bytes: `first` allows the first byte, then `[a-z0-9._-]`.
    static func isWellFormed(_ text: some StringProtocol, first: (UInt8) -> Bool) -> Bool {
        let utf8 = Array(text.utf8)
        guard let head = utf8.first, utf8.count <= 64, first(head) else { return false }
        return utf8.dropFirst().allSatisfy {
            isLowercaseAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    static func isLowercaseAlphanumeric(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) }

    public var description: String { rawValue }
}

/// An alias of a model name (`production`): `[a-z][a-z0-9._-]{0,63}`; it starts with a letter, so `churn@2` is
/// always a version and `churn@production` always an alias.
public struct AliasName: Sendable, Hashable, CustomStringConvertible, Codable {
    public let rawValue: String

    public static let rule = "[a-z][a-z0-9._-]{0,63}"

    public init?(validating text: some StringProtocol) {
        guard ModelName.isWellFormed(text, first: { $0 >= 0x61 && $0 <= 0x7A }) else { return nil }
        rawValue = String(text)
    }

    public var description: String { rawValue }
}

/// What a route's `{id}` may name: a model id, or a registered name with what selects one of its versions.
public enum ModelReference: Sendable, Equatable, CustomStringConvertible {
    case id(ModelID)
    case name(ModelName, VersionSelector)

    /// Which version of a name.
    public enum VersionSelector: Sendable, Equatable {
        /// The newest version that is ready.
        case newestReady
        case version(Int)
        case alias(AliasName)
    }

    /// Reads `{id}`, `{name}`, `{name}@{version}` or `{name}@{alias}`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        if let id = ModelID(validating: text) {
            self = .id(id)
            return
        }
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = ModelName(validating: parts[0]) else { return nil }
        guard parts.count == 2 else {
            self = .name(name, .newestReady)
            return
        }
        let selector = parts[1]
        if selector.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let version = Int(selector), version >= 1 {
            self = .name(name, .version(version))
        } else if let alias = AliasName(validating: selector) {
            self = .name(name, .alias(alias))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .id(let id): id.rawValue
        case .name(let name, .newestReady): name.rawValue
        case .name(let name, .version(let version)): "\(name)@\(version)"
        case .name(let name, .alias(let alias)): "\(name)@\(alias)"
        }
    }
}

/// What a name reference found (`ModelRepository.resolve`).
public enum Resolution: Sendable, Equatable {
    case found(ModelID, version: Int)
    /// No version of this name exists (never trained, or every version deleted).
    case unknownName
    case unknownVersion
    case unknownAlias
    /// Versions exist, none of them ready yet.
    case noReadyVersion
}

/// What `ModelRepository.setAlias` did.
public enum AliasOutcome: Sendable, Equatable {
    /// The alias points at `version` (`id`) now; `previous` is the version it pointed at before, if any.
    case set(ModelID, previous: Int?)
    case unknownVersion
    /// Only a ready version can carry an alias.
    case notReady(ModelState)
}

/// What `ModelRepository.delete` did.
public enum DeleteOutcome: Sendable, Equatable {
    case deleted
    case notFound
    /// Refused: this alias points at the model's version.
    case aliased(AliasName)
}

/// Every version of a name, oldest first, and its aliases.
public struct ModelVersions: Sendable {
    public var name: ModelName
    public var versions: [(version: Int, id: ModelID, record: ModelRecord)]
    public var aliases: [AliasName: Int]

    public init(name: ModelName, versions: [(version: Int, id: ModelID, record: ModelRecord)], aliases: [AliasName: Int]) {
        self.name = name
        self.versions = versions
        self.aliases = aliases
    }
}
