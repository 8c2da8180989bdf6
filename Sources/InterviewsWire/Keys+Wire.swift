internal import CProtobufC
public import InterviewsModel
internal import InterviewsProtoC

extension APIKey: CBridged {
    typealias CMessage = Interviews__V1__ApiKey
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__api_key__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__api_key__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.id = try a.cString(id, "id")
        m.pointee.label = try a.cString(label, "label")
        m.pointee.kind = a.cEnum(kind)
        (m.pointee.n_company_ids, m.pointee.company_ids) = try a.cStrings(companyIDs, "company_ids")
        m.pointee.created_at = a.timestamp(createdAt)
        m.pointee.last_used_at = a.timestamp(lastUsedAt)
        m.pointee.revoked_at = a.timestamp(revokedAt)
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            id: readString(m.pointee.id), label: readString(m.pointee.label),
            kind: try readEnum(m.pointee.kind.rawValue, "kind"),
            companyIDs: readStrings(m.pointee.n_company_ids, m.pointee.company_ids),
            createdAt: try readTimestamp(m.pointee.created_at, "created_at"),
            lastUsedAt: try readTimestamp(m.pointee.last_used_at, "last_used_at"),
            revokedAt: try readTimestamp(m.pointee.revoked_at, "revoked_at"))
    }
}

extension CreateKeyRequest: CBridged {
    typealias CMessage = Interviews__V1__CreateKeyRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__create_key_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__create_key_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.label = try a.cString(label, "label")
        m.pointee.kind = a.cEnum(kind)
        (m.pointee.n_company_ids, m.pointee.company_ids) = try a.cStrings(companyIDs, "company_ids")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            label: readString(m.pointee.label), kind: try readEnum(m.pointee.kind.rawValue, "kind"),
            companyIDs: readStrings(m.pointee.n_company_ids, m.pointee.company_ids))
    }
}

extension CreateKeyResponse: CBridged {
    typealias CMessage = Interviews__V1__CreateKeyResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__create_key_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__create_key_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        do { m.pointee.key = try a.message(key) } catch { throw error.inside("key") }
        m.pointee.secret = try a.cString(secret, "secret")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(key: try readMessage(m.pointee.key, "key"), secret: readString(m.pointee.secret))
    }
}

extension ListKeysRequest: CBridged {
    typealias CMessage = Interviews__V1__ListKeysRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__list_keys_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__list_keys_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.include_revoked = includeRevoked ? 1 : 0
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(includeRevoked: m.pointee.include_revoked != 0)
    }
}

extension ListKeysResponse: CBridged {
    typealias CMessage = Interviews__V1__ListKeysResponse
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__list_keys_response__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__list_keys_response__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        (m.pointee.n_keys, m.pointee.keys) = try a.messages(keys, "keys")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(keys: try readMessages(m.pointee.n_keys, m.pointee.keys, "keys"))
    }
}

extension RevokeKeyRequest: CBridged {
    typealias CMessage = Interviews__V1__RevokeKeyRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__revoke_key_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__revoke_key_request__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.id = try a.cString(id, "id")
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(id: readString(m.pointee.id))
    }
}

extension BackupRequest: CBridged {
    typealias CMessage = Interviews__V1__BackupRequest
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__backup_request__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__backup_request__init(m) }
    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {}
    init(c m: UnsafePointer<CMessage>) throws(WireError) { self.init() }
}

extension BackupChunk: CBridged {
    typealias CMessage = Interviews__V1__BackupChunk
    // Safe unsynchronised: initialised once, then only read; it points at a C constant.
    nonisolated(unsafe) static let cDescriptor = descriptor(of: interviews__v1__backup_chunk__init)
    static func cInit(_ m: UnsafeMutablePointer<CMessage>) { interviews__v1__backup_chunk__init(m) }

    func fill(_ m: UnsafeMutablePointer<CMessage>, _ a: inout EncodeArena) throws(WireError) {
        m.pointee.file = try a.cString(file, "file")
        m.pointee.data = a.binary(data)
        m.pointee.sequence = sequence
        m.pointee.interview_count = interviewCount
        m.pointee.store_epoch = storeEpoch
    }

    init(c m: UnsafePointer<CMessage>) throws(WireError) {
        self.init(
            file: readString(m.pointee.file), data: readBytes(m.pointee.data), sequence: m.pointee.sequence,
            interviewCount: m.pointee.interview_count, storeEpoch: m.pointee.store_epoch)
    }
}
