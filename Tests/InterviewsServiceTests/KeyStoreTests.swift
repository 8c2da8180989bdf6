import Foundation
import InterviewsModel
import InterviewsRepository
import Testing

@testable import InterviewsService

func temporaryDirectory(_ name: String = #function) throws -> String {
    let path =
        NSTemporaryDirectory()
        + "interviews-\(name.filter(\.isLetter))-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("API keys are stored hashed, shown once, and revocable")
struct KeyStoreTests {
    @Test("a created key authenticates; its secret is not in the file")
    func createAndAuthenticate() throws {
        let dir = try temporaryDirectory()
        let store = try KeyStore(directory: dir)
        let created = try store.create(CreateKeyRequest(label: "sidecar", kind: .company, companyIDs: ["acme"]))
        let key = try #require(created.key)
        #expect(created.secret.hasPrefix("ik_\(key.id)_"))
        #expect(created.secret.utf8.count >= 3 + 16 + 1 + 43)
        #expect(store.authenticate(secret: created.secret)?.id == key.id)
        let file = try String(contentsOfFile: store.path, encoding: .utf8)
        #expect(!file.contains(created.secret))
        #expect(!file.contains(String(created.secret.suffix(43))))
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("keys survive a reopen; revoked keys stop working")
    func persistAndRevoke() throws {
        let dir = try temporaryDirectory()
        let secret: String
        let id: String
        do {
            let store = try KeyStore(directory: dir)
            let created = try store.create(CreateKeyRequest(label: "ats", kind: .partner, companyIDs: ["a", "b"]))
            secret = created.secret
            id = try #require(created.key?.id)
        }
        let reopened = try KeyStore(directory: dir)
        #expect(reopened.authenticate(secret: secret)?.companyIDs == ["a", "b"])
        #expect(reopened.list(includeRevoked: false).map(\.id) == [id])
        let revoked = try reopened.revoke(id: id)
        #expect(revoked.revokedAt != nil)
        #expect(reopened.authenticate(secret: secret) == nil)
        #expect(reopened.list(includeRevoked: false).isEmpty)
        #expect(reopened.list(includeRevoked: true).count == 1)
        #expect(try KeyStore(directory: dir).authenticate(secret: secret) == nil)
    }

    @Test("a secret verified once is remembered, but only that exact secret, and only until its key is revoked")
    func verifiedSecrets() throws {
        let store = try KeyStore(directory: try temporaryDirectory())
        let created = try store.create(CreateKeyRequest(label: "x", kind: .company, companyIDs: ["acme"]))
        let id = try #require(created.key?.id)
        #expect(store.rememberedSecretCount == 0)
        #expect(store.authenticate(secret: created.secret)?.id == id)
        #expect(store.rememberedSecretCount == 1, "the verified secret is remembered")
        let first = try #require(store.list(includeRevoked: false).first?.lastUsedAt)
        var altered = Array(created.secret.utf8)
        altered[altered.count - 1] = altered.last == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(store.authenticate(secret: String(decoding: altered, as: UTF8.self)) == nil)
        #expect(store.rememberedSecretCount == 1, "a refused secret is not remembered")
        // The clock must move past the first use, so that a second use recorded is a later time.
        var beforeSecondUse = Timestamp.now()
        while beforeSecondUse <= first { beforeSecondUse = Timestamp.now() }
        #expect(store.authenticate(secret: created.secret)?.id == id)
        #expect(store.rememberedSecretCount == 1)
        let second = try #require(store.list(includeRevoked: false).first?.lastUsedAt)
        #expect(second >= beforeSecondUse, "a use of a remembered secret is recorded too")
        _ = try store.revoke(id: id)
        #expect(store.rememberedSecretCount == 0, "revoking forgets every remembered secret")
        #expect(store.authenticate(secret: created.secret) == nil)
        #expect(store.rememberedSecretCount == 0)
    }

    @Test(
        "malformed and altered secrets authenticate nothing",
        arguments: ["", "ik_", "ik__x", "nope", String(repeating: "a", count: 500)])
    func malformed(_ secret: String) throws {
        let store = try KeyStore(directory: try temporaryDirectory())
        _ = try store.create(CreateKeyRequest(label: "x", kind: .company, companyIDs: ["acme"]))
        #expect(store.authenticate(secret: secret) == nil)
    }

    @Test("one altered character of a real secret is refused")
    func altered() throws {
        let store = try KeyStore(directory: try temporaryDirectory())
        let secret = try store.create(CreateKeyRequest(label: "x", kind: .company, companyIDs: ["acme"])).secret
        var chars = Array(secret)
        chars[chars.count - 1] = chars[chars.count - 1] == "A" ? "B" : "A"
        #expect(store.authenticate(secret: String(chars)) == nil)
    }

    @Test("bad key requests name the field and the limit")
    func badRequests() throws {
        let store = try KeyStore(directory: try temporaryDirectory())
        func message(_ request: CreateKeyRequest) -> String? {
            do {
                _ = try store.create(request)
                return nil
            } catch let error as InterviewsError {
                #expect(error.code == .invalidArgument)
                return error.message
            } catch { return "\(error)" }
        }
        #expect(
            message(CreateKeyRequest(label: "x", kind: .company, companyIDs: []))?.hasPrefix("company_ids:") == true)
        #expect(
            message(CreateKeyRequest(label: "x", kind: .company, companyIDs: ["a", "b"]))?.contains("exactly 1") == true
        )
        #expect(message(CreateKeyRequest(label: "x", kind: .partner, companyIDs: []))?.contains("1..1000") == true)
        #expect(
            message(CreateKeyRequest(label: "x", kind: .unspecified, companyIDs: ["a"]))?.hasPrefix("kind:") == true)
        #expect(
            message(CreateKeyRequest(label: String(repeating: "l", count: 201), kind: .company, companyIDs: ["a"]))?
                .contains("200") == true)
        #expect(
            message(CreateKeyRequest(label: "x", kind: .company, companyIDs: ["has space"]))?.hasPrefix(
                "company_ids[0]:") == true)
        #expect(throws: InterviewsError.self) { try store.revoke(id: "missing") }
    }

    @Test("a corrupt key file is refused with its path")
    func corruptFile() throws {
        let dir = try temporaryDirectory()
        try "{not json".write(toFile: dir + "/keys.json", atomically: true, encoding: .utf8)
        let error = #expect(throws: InterviewsError.self) { try KeyStore(directory: dir) }
        #expect(error?.message.contains(dir + "/keys.json") == true)
    }
}

@Suite("Tenancy follows the key, never the request body")
struct TenantResolverTests {
    let store: KeyStore
    let resolver: TenantResolver
    let companyKey: APIKey
    let partnerKey: APIKey

    init() throws {
        store = try KeyStore(directory: try temporaryDirectory("resolver"))
        resolver = TenantResolver(keys: store)
        companyKey = try #require(store.create(CreateKeyRequest(label: "c", kind: .company, companyIDs: ["acme"])).key)
        partnerKey = try #require(
            store.create(CreateKeyRequest(label: "p", kind: .partner, companyIDs: ["a", "b"])).key)
    }

    func code(_ body: () throws -> Any) -> StatusCode? {
        do {
            _ = try body()
            return nil
        } catch let error as InterviewsError { return error.code } catch { return .unknown }
    }

    @Test("missing, malformed and unknown credentials are UNAUTHENTICATED")
    func unauthenticated() {
        for header in [nil, "", "Basic abc", "Bearer", "Bearer ik_0000000000000000_x", "ik_abc"] as [String?] {
            #expect(code { try resolver.authenticate(authorization: header) } == .unauthenticated, "\(header ?? "nil")")
        }
    }

    @Test("the Bearer scheme in any case, spaces around the secret; the messages name what is wrong")
    func bearerForms() throws {
        let created = try store.create(CreateKeyRequest(label: "bearer", kind: .company, companyIDs: ["acme"]))
        let id = try #require(created.key?.id)
        for header in [
            "Bearer \(created.secret)", "bearer \(created.secret)", "BEARER   \(created.secret)  ",
            "bEaReR \(created.secret) ",
        ] {
            #expect(try resolver.authenticate(authorization: header).id == id, "\(header)")
        }
        func message(_ header: String) -> String? {
            do {
                _ = try resolver.authenticate(authorization: header)
                return nil
            } catch { return (error as? InterviewsError)?.message }
        }
        let expected = "authorization: expected \"Bearer <key>\""
        let unknown = "authorization: the API key is unknown or revoked"
        #expect(message("Bearer") == expected)
        #expect(message("Bearer ") == expected)
        #expect(message("Bearerx \(created.secret)") == expected)
        #expect(message("Basic \(created.secret)") == expected)
        // Non-ASCII: compared as characters, as before the byte path existed.
        #expect(message("Bearer\u{301} \(created.secret)") == expected)
        #expect(message("Bearer \u{301}\(created.secret)") == expected)  // " \u{301}" is one character
        #expect(message("Bearér \(created.secret)") == expected)
        #expect(message("Bearer    ") == unknown)
        #expect(message("Bearer \(created.secret)é") == unknown)
    }

    @Test("a company key acts for its company only")
    func companyKeyScope() throws {
        #expect(try resolver.tenant(for: companyKey, companyID: "") == Tenant("acme"))
        #expect(try resolver.tenant(for: companyKey, companyID: "acme") == Tenant("acme"))
        #expect(code { try resolver.tenant(for: companyKey, companyID: "other") } == .permissionDenied)
    }

    @Test("a partner key must name one of its granted companies")
    func partnerKeyScope() throws {
        #expect(try resolver.tenant(for: partnerKey, companyID: "b") == Tenant("b"))
        #expect(code { try resolver.tenant(for: partnerKey, companyID: "") } == .permissionDenied)
        #expect(code { try resolver.tenant(for: partnerKey, companyID: "c") } == .permissionDenied)
        #expect(code { try resolver.tenant(for: partnerKey, companyID: "bad id") } == .invalidArgument)
    }
}
