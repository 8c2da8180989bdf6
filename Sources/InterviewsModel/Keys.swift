/// `interviews.v1.KeyKind`.
public enum KeyKind: Int32, Sendable, Hashable, CaseIterable {
    case unspecified = 0
    /// Acts for exactly one company.
    case company = 1
    /// Acts for several granted companies and must name one on every call.
    case partner = 2
}

/// `interviews.v1.ApiKey`: a key as stored, never its secret.
public struct APIKey: Sendable, Hashable {
    public var id: String
    public var label: String
    public var kind: KeyKind
    public var companyIDs: [String]
    public var createdAt: Timestamp?
    public var lastUsedAt: Timestamp?
    public var revokedAt: Timestamp?

    /// Creates a key description.
    @inlinable
    public init(
        id: String = "", label: String = "", kind: KeyKind = .unspecified, companyIDs: [String] = [],
        createdAt: Timestamp? = nil, lastUsedAt: Timestamp? = nil, revokedAt: Timestamp? = nil
    ) {
        self.id = id
        self.label = label
        self.kind = kind
        self.companyIDs = companyIDs
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// `interviews.v1.CreateKeyRequest`.
public struct CreateKeyRequest: Sendable, Hashable {
    public var label: String
    public var kind: KeyKind
    public var companyIDs: [String]

    /// Creates a request.
    @inlinable
    public init(label: String = "", kind: KeyKind = .unspecified, companyIDs: [String] = []) {
        self.label = label
        self.kind = kind
        self.companyIDs = companyIDs
    }
}

/// `interviews.v1.CreateKeyResponse`: the key and its secret, shown once.
public struct CreateKeyResponse: Sendable, Hashable {
    public var key: APIKey?
    public var secret: String

    /// Creates a response.
    @inlinable
    public init(key: APIKey? = nil, secret: String = "") {
        self.key = key
        self.secret = secret
    }
}

/// `interviews.v1.ListKeysRequest`.
public struct ListKeysRequest: Sendable, Hashable {
    public var includeRevoked: Bool

    /// Creates a request.
    @inlinable
    public init(includeRevoked: Bool = false) { self.includeRevoked = includeRevoked }
}

/// `interviews.v1.ListKeysResponse`.
public struct ListKeysResponse: Sendable, Hashable {
    public var keys: [APIKey]

    /// Creates a response.
    @inlinable
    public init(keys: [APIKey] = []) { self.keys = keys }
}

/// `interviews.v1.RevokeKeyRequest`.
public struct RevokeKeyRequest: Sendable, Hashable {
    public var id: String

    /// Creates a request.
    @inlinable
    public init(id: String = "") { self.id = id }
}

/// `interviews.v1.BackupRequest` (no fields).
public struct BackupRequest: Sendable, Hashable {
    /// Creates a request.
    @inlinable
    public init() {}
}

/// `interviews.v1.BackupChunk`: the next bytes of one file of a backup.
public struct BackupChunk: Sendable, Hashable {
    /// The file the bytes belong to: `store.secret`, `snapshot-<16 hex>.snap` or `keys.json`.
    public var file: String
    /// The file's next bytes.
    public var data: [UInt8]
    /// First chunk only: the newest change the backup holds.
    public var sequence: UInt64
    /// First chunk only: the interviews in the backup, deleted ones included.
    public var interviewCount: UInt64
    /// First chunk only: the epoch of the store the backup was taken from.
    public var storeEpoch: UInt64

    /// Creates a chunk.
    @inlinable
    public init(
        file: String = "", data: [UInt8] = [], sequence: UInt64 = 0, interviewCount: UInt64 = 0,
        storeEpoch: UInt64 = 0
    ) {
        self.file = file
        self.data = data
        self.sequence = sequence
        self.interviewCount = interviewCount
        self.storeEpoch = storeEpoch
    }
}
