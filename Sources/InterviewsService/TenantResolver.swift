public import InterviewsModel
public import InterviewsRepository

/// Turns a call's credentials and the company it names into the tenant it
/// may act for — the one place where SPEC.md's access rules are decided.
///
/// | key | company_id in the request | result |
/// |---|---|---|
/// | none, malformed, unknown or revoked | any | UNAUTHENTICATED |
/// | company key for C | empty or C | tenant C |
/// | company key for C | another company | PERMISSION_DENIED |
/// | partner key granted S | empty | PERMISSION_DENIED (a partner key must name a company) |
/// | partner key granted S | a company in S | that tenant |
/// | partner key granted S | a company not in S | PERMISSION_DENIED |
public struct TenantResolver: Sendable {
    private let keys: KeyStore

    /// Creates a resolver over `keys`.
    public init(keys: KeyStore) { self.keys = keys }

    /// The key a call's `authorization` metadata value presents.
    ///
    /// - Throws: UNAUTHENTICATED with a message that says what is wrong with the header.
    public func authenticate(authorization: String?) throws -> APIKey {
        guard let authorization, !authorization.isEmpty else {
            throw InterviewsError(
                .unauthenticated, "missing API key: send metadata \"authorization: Bearer <key>\"")
        }
        let secret: String
        if let ascii = Self.asciiSecret(authorization) {
            // ASCII: characters are bytes, so the checks read bytes.
            guard let found = ascii else {
                throw InterviewsError(.unauthenticated, "authorization: expected \"Bearer <key>\"")
            }
            secret = found
        } else {
            let scheme = authorization.prefix(7)
            guard scheme.lowercased() == "bearer ", authorization.utf8.count > 7 else {
                throw InterviewsError(.unauthenticated, "authorization: expected \"Bearer <key>\"")
            }
            secret = authorization.dropFirst(7).trimmingSpaces()
        }
        guard let key = keys.authenticate(secret: secret) else {
            throw InterviewsError(.unauthenticated, "authorization: the API key is unknown or revoked")
        }
        return key
    }

    /// The tenant `key` acts for when the request names `companyID` (may be empty).
    ///
    /// - Throws: PERMISSION_DENIED naming the company and the key; INVALID_ARGUMENT for a malformed company id.
    public func tenant(for key: APIKey, companyID: String) throws -> Tenant {
        if !companyID.isEmpty { try InterviewValidation.validateCompanyID(companyID) }
        switch key.kind {
        case .company:
            guard let own = key.companyIDs.first else {
                throw InterviewsError(.permissionDenied, "API key \(key.id) is granted no company")
            }
            guard companyID.isEmpty || companyID == own else {
                throw InterviewsError(
                    .permissionDenied, "company_id: API key \(key.id) may not act for company \"\(companyID)\"")
            }
            return Tenant(own)
        case .partner:
            guard !companyID.isEmpty else {
                throw InterviewsError(
                    .permissionDenied, "company_id: required with a partner key (key \(key.id)); name the company")
            }
            guard key.companyIDs.contains(companyID) else {
                throw InterviewsError(
                    .permissionDenied, "company_id: API key \(key.id) is not granted company \"\(companyID)\"")
            }
            return Tenant(companyID)
        default:
            throw InterviewsError(.permissionDenied, "API key \(key.id) has no kind")
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        guard let first = firstIndex(where: { $0 != " " }), let last = lastIndex(where: { $0 != " " }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension TenantResolver {
    /// For an ASCII value held as contiguous bytes: the secret after a
    /// "bearer " scheme in any case, spaces trimmed (`.some(nil)` when the
    /// scheme is not there or nothing follows it). Nil for any other value,
    /// which is then read as characters.
    fileprivate static func asciiSecret(_ value: String) -> String?? {
        value.utf8.withContiguousStorageIfAvailable { bytes -> String?? in
            for byte in bytes where byte >= 0x80 { return nil }
            guard bytes.count > 7 else { return .some(nil) }
            var scheme = "bearer ".utf8.makeIterator()
            for index in 0..<7 {
                let byte = bytes[index]
                let lower = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte
                guard lower == scheme.next() else { return .some(nil) }
            }
            var first = 7
            var end = bytes.count
            while first < end, bytes[first] == 0x20 { first += 1 }
            while end > first, bytes[end - 1] == 0x20 { end -= 1 }
            return .some(String(decoding: UnsafeBufferPointer(rebasing: bytes[first..<end]), as: UTF8.self))
        } ?? nil
    }
}
