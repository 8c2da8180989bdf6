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
        if authorization.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII: characters are bytes, so the checks below read bytes.
            guard Self.hasBearerScheme(authorization), authorization.utf8.count > 7 else {
                throw InterviewsError(.unauthenticated, "authorization: expected \"Bearer <key>\"")
            }
            secret = Self.trimmingSpaces(authorization.utf8.dropFirst(7))
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
    /// Whether an ASCII value starts with "bearer " in any case.
    fileprivate static func hasBearerScheme(_ value: String) -> Bool {
        var scheme = "bearer ".utf8.makeIterator()
        var matched = 0
        for byte in value.utf8.prefix(7) {
            let lower = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte
            guard lower == scheme.next() else { return false }
            matched += 1
        }
        return matched == 7
    }

    /// The bytes without leading and trailing spaces, as a string.
    fileprivate static func trimmingSpaces(_ bytes: Substring.UTF8View) -> String {
        guard let first = bytes.firstIndex(where: { $0 != 0x20 }), let last = bytes.lastIndex(where: { $0 != 0x20 })
        else { return "" }
        return String(Substring(bytes[first...last]))
    }
}
