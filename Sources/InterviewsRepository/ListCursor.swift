import Crypto
import InterviewsModel

/// A position in a list walk, and its text form: the opaque page token.
///
/// A token carries the sort key of the record it continues from (keyset
/// paging, so concurrent inserts and deletes never shift a walk), the way it
/// walks (towards the next or the previous page), and a digest of the
/// tenant, filters and order it belongs to (``ListQuery/binding``). An
/// HMAC-SHA256 under the store's secret makes it tamper-evident.
///
/// Layout before base64url: version (1), flags (1: bit 0 = backward),
/// seconds (8), nanos (4), id (16), binding (16), MAC (16) = 62 bytes.
package struct ListCursor: Sendable, Hashable {
    /// The key of the record the walk continues from (exclusive).
    package var key: IndexKey
    /// True when the token asks for the records before `key` (a previous page).
    package var backward: Bool

    /// A cursor.
    package init(key: IndexKey, backward: Bool) {
        self.key = key
        self.backward = backward
    }

    private static let version: UInt8 = 1
    private static let macBytes = 16

    /// The token for this cursor in the walk of `binding`, signed by `signer`.
    package func token(binding: [UInt8], signer: TokenSigner) -> String {
        var bytes = CanonicalBytes(capacity: 30 + binding.count + Self.macBytes)
        bytes.append(Self.version)
        bytes.append(UInt8(backward ? 1 : 0))
        bytes.append(key.seconds)
        bytes.append(key.nanos)
        bytes.append(key.id)
        bytes.append(raw: binding)
        var payload = bytes.bytes
        signer.appendMAC(of: payload, count: Self.macBytes, to: &payload)
        return Base64URL.encode(payload)
    }

    /// Decodes and verifies `token` for the walk of `binding`.
    ///
    /// - Throws: INVALID_ARGUMENT `page_token: ...` when the token is not one
    ///   this store issued, was altered, or belongs to another tenant, filter or order.
    package init(token: String, binding: [UInt8], signer: TokenSigner) throws(InterviewsError) {
        guard let bytes = Base64URL.decode(token), bytes.count == 30 + binding.count + Self.macBytes else {
            throw .invalidArgument(
                "page_token",
                "is not a token this server issued; pass a next_page_token or previous_page_token unchanged")
        }
        let payload = Array(bytes.prefix(bytes.count - Self.macBytes))
        var mac: [UInt8] = []
        signer.appendMAC(of: payload, count: Self.macBytes, to: &mac)
        guard Self.constantTimeEqual(mac, Array(bytes.suffix(Self.macBytes))) else {
            throw .invalidArgument(
                "page_token",
                "was altered or issued by another store; pass a next_page_token or previous_page_token unchanged")
        }
        guard Array(payload.suffix(binding.count)) == binding else {
            throw .invalidArgument(
                "page_token",
                "belongs to another company, filter or order; use a token only with the query that returned it")
        }
        var reader = CanonicalReader(payload)
        guard reader.read(UInt8.self) == Self.version, let flags = reader.read(UInt8.self), flags <= 1,
            let seconds = reader.read(Int64.self), let nanos = reader.read(Int32.self),
            let high = reader.read(UInt64.self), let low = reader.read(UInt64.self)
        else {
            throw .invalidArgument("page_token", "has an unknown format; start the walk again without a token")
        }
        self.init(key: IndexKey(seconds: seconds, nanos: nanos, id: UUIDv7(high: high, low: low)), backward: flags == 1)
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

/// HMAC-SHA256 (RFC 2104) under one secret, with the key's padded blocks
/// computed once: signing a token costs its hashes, not a key set-up.
package struct TokenSigner: Sendable {
    /// The key XOR ipad and XOR opad, one SHA-256 block each.
    private let innerPad: [UInt8]
    private let outerPad: [UInt8]

    /// A signer for `secret` (of any length; one longer than a block is
    /// hashed first, as RFC 2104 says).
    package init(secret: [UInt8]) {
        var key = secret.count > SHA256.blockByteCount ? Array(SHA256.hash(data: secret)) : secret
        key += [UInt8](repeating: 0, count: SHA256.blockByteCount - key.count)
        innerPad = key.map { $0 ^ 0x36 }
        outerPad = key.map { $0 ^ 0x5C }
    }

    /// Appends the first `count` bytes of the MAC of `message` to `output`.
    package func appendMAC(of message: [UInt8], count: Int, to output: inout [UInt8]) {
        var inner = SHA256()
        inner.update(data: innerPad)
        inner.update(data: message)
        var outer = SHA256()
        outer.update(data: outerPad)
        inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
        outer.finalize().withUnsafeBytes { output.append(contentsOf: $0.prefix(count)) }
    }
}
