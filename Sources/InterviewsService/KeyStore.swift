import Crypto
import Foundation
public import InterviewsModel
import Synchronization

/// The API keys of a server, kept in `<data directory>/keys.json`.
///
/// A key's secret (`ik_<id>_<43 characters of base64url>`, 256 random bits)
/// is shown once, when it is created; the store keeps only its SHA-256. The
/// file is written atomically (temporary file, fsync, rename, fsync of the
/// directory) with mode 0600. `last_used_at` is kept in memory and written
/// with the next change or ``flush()``, so that authenticating a call never
/// waits for the disk.
///
/// The store rewrites the whole file from its memory, so only one process may
/// have it open: open it only while holding the data directory's lock (the
/// file backend's log holds it; with any other backend take
/// `DataDirectoryLock` from InterviewsFileStore first, as `interviews serve`
/// does). A second store on the same file would lose the keys the first
/// creates and bring back the ones it revokes.
public final class KeyStore: Sendable {
    /// The most keys a store holds (revoked ones included).
    public static let maxKeys = 10_000
    /// The longest label, in bytes.
    public static let maxLabelBytes = 200
    /// The most companies a partner key may be granted.
    public static let maxCompaniesPerKey = 1_000

    /// A key as stored: the public description and the secret's digest.
    struct Entry: Codable, Sendable {
        var id: String
        var label: String
        var kind: Int32
        var companyIDs: [String]
        var secretSHA256: String
        var createdAt: Int64
        var lastUsedAt: Int64?
        var revokedAt: Int64?
    }

    private struct State {
        var entries: [String: Entry]
        var dirty = false
        /// Secrets already checked against their key's digest, with the key
        /// id: a call with a known secret costs a lookup, not a SHA-256.
        /// Emptied when a key is revoked; bounded by ``maxVerifiedSecrets``.
        var verified: [String: String] = [:]
    }

    /// How many verified secrets the store remembers before it forgets them all.
    static let maxVerifiedSecrets = 10_000

    /// The file the keys live in.
    public let path: String
    private let state: Mutex<State>

    /// Opens (or starts) the key store in `directory`.
    ///
    /// - Throws: ``InterviewsError`` (FAILED_PRECONDITION) when the file exists but cannot be read or parsed.
    public init(directory: String) throws {
        path = directory + "/keys.json"
        var entries: [String: Entry] = [:]
        if FileManager.default.fileExists(atPath: path) {
            do {
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                for entry in try JSONDecoder().decode([Entry].self, from: data) { entries[entry.id] = entry }
            } catch {
                throw InterviewsError(.failedPrecondition, "key store \(path) cannot be read: \(error)")
            }
        }
        state = Mutex(State(entries: entries))
    }

    /// Creates a key and returns it with its secret, which is not stored and cannot be shown again.
    ///
    /// - Throws: INVALID_ARGUMENT naming the field (label, kind, company_ids) and the limit;
    ///   RESOURCE_EXHAUSTED past ``maxKeys``; UNAVAILABLE when the file cannot be written.
    public func create(_ request: CreateKeyRequest) throws -> CreateKeyResponse {
        try validate(request)
        let id = Self.randomHex(bytes: 8)
        let secret = "ik_\(id)_\(Self.randomBase64URL(bytes: 32))"
        let entry = Entry(
            id: id, label: request.label, kind: request.kind.rawValue, companyIDs: request.companyIDs,
            secretSHA256: Self.digest(secret), createdAt: Self.nowNanos(), lastUsedAt: nil, revokedAt: nil)
        try state.withLock { state in
            guard state.entries.count < Self.maxKeys else {
                throw InterviewsError(.resourceExhausted, "the key store holds \(Self.maxKeys) keys, its limit")
            }
            var next = state.entries
            next[id] = entry
            try write(next)
            state.entries = next
            state.dirty = false
        }
        return CreateKeyResponse(key: entry.apiKey, secret: secret)
    }

    /// Every key, oldest first; revoked keys only when asked for. Never the secrets.
    public func list(includeRevoked: Bool) -> [APIKey] {
        state.withLock { state in
            state.entries.values
                .filter { includeRevoked || $0.revokedAt == nil }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
                .map(\.apiKey)
        }
    }

    /// Revokes a key: from the next call on, it authenticates nothing.
    ///
    /// - Throws: NOT_FOUND for an unknown id; UNAVAILABLE when the file cannot be written.
    public func revoke(id: String) throws -> APIKey {
        try state.withLock { state in
            guard var entry = state.entries[id] else {
                throw InterviewsError(.notFound, "id: no API key \"\(id)\"")
            }
            if entry.revokedAt == nil { entry.revokedAt = Self.nowNanos() }
            var next = state.entries
            next[id] = entry
            try write(next)
            state.entries = next
            state.dirty = false
            state.verified = [:]
            return entry.apiKey
        }
    }

    /// Whether the key `id` authenticates nothing now: revoked, or unknown.
    public func isRevoked(id: String) -> Bool {
        state.withLock { $0.entries[id]?.revokedAt != nil || $0.entries[id] == nil }
    }

    /// How many verified secrets are remembered now (for tests).
    var rememberedSecretCount: Int { state.withLock { $0.verified.count } }

    /// The key a secret belongs to, or nil when it is unknown, malformed or revoked.
    /// The digest comparison takes the same time wherever the digests differ.
    public func authenticate(secret: String) -> APIKey? {
        let now = Self.nowNanos()
        // A remembered secret passed every check below when it was first seen.
        if let known = state.withLock({ state in Self.use(verified: secret, now: now, &state) }) {
            return known
        }
        // ik_<16 hex>_<43 base64url>
        let parts = secret.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard secret.utf8.count <= 128, parts.count == 3, parts[0] == "ik", parts[1].utf8.count == 16 else {
            return nil
        }
        let presented = Self.digest(secret)
        return state.withLock { state -> APIKey? in
            let id = String(parts[1])
            guard let entry = state.entries[id], Self.constantTimeEqual(entry.secretSHA256, presented),
                entry.revokedAt == nil
            else { return nil }
            if state.verified.count >= Self.maxVerifiedSecrets { state.verified = [:] }
            state.verified[secret] = id
            return Self.use(verified: secret, now: now, &state)
        }
    }

    /// The live key of a secret already verified, marked as used at `now`;
    /// nil when the secret is not known to be valid.
    private static func use(verified secret: String, now: Int64, _ state: inout State) -> APIKey? {
        // Two hash lookups: the secret's key id, then the key's slot, used in place.
        guard let id = state.verified[secret], let index = state.entries.index(forKey: id),
            state.entries.values[index].revokedAt == nil
        else { return nil }
        state.entries.values[index].lastUsedAt = now
        state.dirty = true
        return state.entries.values[index].apiKey
    }

    /// Writes last-used times gathered since the last write, if any.
    public func flush() throws {
        try state.withLock { state in
            guard state.dirty else { return }
            try write(state.entries)
            state.dirty = false
        }
    }

    private func validate(_ request: CreateKeyRequest) throws {
        guard request.label.utf8.count <= Self.maxLabelBytes else {
            throw InterviewsError.invalidArgument(
                "label", "is \(request.label.utf8.count) bytes; the limit is \(Self.maxLabelBytes)")
        }
        switch request.kind {
        case .company:
            guard request.companyIDs.count == 1 else {
                throw InterviewsError.invalidArgument(
                    "company_ids", "a company key is granted exactly 1 company; got \(request.companyIDs.count)")
            }
        case .partner:
            guard (1...Self.maxCompaniesPerKey).contains(request.companyIDs.count) else {
                throw InterviewsError.invalidArgument(
                    "company_ids",
                    "a partner key is granted 1..\(Self.maxCompaniesPerKey) companies; got \(request.companyIDs.count)")
            }
        default:
            throw InterviewsError.invalidArgument("kind", "must be KEY_KIND_COMPANY or KEY_KIND_PARTNER")
        }
        for (k, company) in request.companyIDs.enumerated() {
            try InterviewValidation.validateID(company, field: "company_ids[\(k)]")
        }
    }

    /// Writes the whole store atomically: temporary file (0600), fsync, rename, fsync of the directory.
    private func write(_ entries: [String: Entry]) throws {
        try AtomicFile.write(Self.encode(entries), to: path, mode: 0o600)
    }

    /// What `keys.json` holds for these keys now, `last_used_at` included:
    /// the file a backup carries.
    ///
    /// - Throws: INTERNAL when the keys cannot be encoded.
    public func fileContents() throws -> [UInt8] {
        [UInt8](try Self.encode(state.withLock { $0.entries }))
    }

    private static func encode(_ entries: [String: Entry]) throws -> Data {
        let sorted = entries.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return try encoder.encode(sorted) } catch {
            throw InterviewsError(.internalError, "key store: cannot encode: \(error)")
        }
    }

    /// The SHA-256 of `secret` as 64 lowercase hex digits. Runs on every
    /// call, so it writes the digits itself rather than through `String(format:)`.
    static func digest(_ secret: String) -> String {
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(secret.utf8)) {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    static func randomHex(bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }

    static func randomBase64URL(bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        let raw = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return raw.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func nowNanos() -> Int64 { Timestamp.now().nanosecondsSinceEpoch }
}

extension KeyStore.Entry {
    var apiKey: APIKey {
        func ts(_ nanos: Int64?) -> Timestamp? {
            nanos.map { Timestamp(seconds: $0 / 1_000_000_000, nanos: Int32($0 % 1_000_000_000)) }
        }
        return APIKey(
            id: id, label: label, kind: KeyKind(rawValue: kind) ?? .unspecified, companyIDs: companyIDs,
            createdAt: ts(createdAt), lastUsedAt: ts(lastUsedAt), revokedAt: ts(revokedAt))
    }
}
