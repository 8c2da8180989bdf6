import InterviewsClient
import InterviewsModel
import InterviewsWire
import RPCCore
import RPCUnixSocket
import Synchronization
import Testing

/// What a call presents in its `authorization` metadata, and for which company.
enum Credential: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case noKey = "no key"
    case basicScheme = "\"Basic x\""
    case bearerAlone = "\"Bearer\" alone"
    case unknownKey = "an unknown key"
    case revokedKey = "a revoked key"
    case companyKey = "a company key without company_id"
    case companyKeyNamingItsCompany = "a company key naming its own company"
    case companyKeyNamingAnotherCompany = "a company key naming another company"
    case companyKeyOnAnotherCompanysRecord = "a company key on another company's record"
    case partnerKeyNamingGrantedCompany = "a partner key naming a granted company"
    case partnerKeyWithoutCompany = "a partner key without company_id"
    case partnerKeyNamingUngrantedCompany = "a partner key naming a company it is not granted"

    var testDescription: String { rawValue }
}

/// The methods of `interviews.v1.Interviews`.
enum InterviewsMethod: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case list = "ListInterviews"
    case stream = "StreamInterviews"
    case get = "GetInterview"
    case create = "CreateInterview"
    case update = "UpdateInterview"
    case delete = "DeleteInterview"
    case upsert = "UpsertInterviews"
    case watch = "WatchInterviews"
    case health = "Health"
    case serverInfo = "ServerInfo"

    var testDescription: String { rawValue }

    /// Acts on one record named by id.
    var targetsOneRecord: Bool { self == .get || self == .update || self == .delete }
}

/// The access rules of SPEC.md and TenantResolver, as a table:
///
/// | credential | Health | a method on one record by id | every other method |
/// |---|---|---|---|
/// | none, malformed, unknown, revoked | OK | UNAUTHENTICATED | UNAUTHENTICATED |
/// | company key (no company_id, or its own) | OK | OK | OK |
/// | company key, another company's record | OK | NOT_FOUND | OK (its own company) |
/// | company key naming another company | OK | PERMISSION_DENIED | PERMISSION_DENIED |
/// | partner key naming a granted company | OK | OK | OK |
/// | partner key without company_id, or naming an ungranted one | OK | PERMISSION_DENIED | PERMISSION_DENIED |
func expectedStatus(_ credential: Credential, _ method: InterviewsMethod) -> StatusCode {
    if method == .health { return .ok }
    switch credential {
    case .noKey, .basicScheme, .bearerAlone, .unknownKey, .revokedKey:
        return .unauthenticated
    case .companyKey, .companyKeyNamingItsCompany, .partnerKeyNamingGrantedCompany:
        return .ok
    case .companyKeyOnAnotherCompanysRecord:
        return method.targetsOneRecord ? .notFound : .ok
    case .companyKeyNamingAnotherCompany, .partnerKeyWithoutCompany, .partnerKeyNamingUngrantedCompany:
        return .permissionDenied
    }
}

/// The companies and keys the auth matrix runs with, made once per server process.
struct AuthWorld: Sendable {
    let home: String
    let neighbour: String
    let granted: String
    let ungranted: String
    let companyKey: TestKey
    let neighbourKey: TestKey
    let partnerKey: TestKey
    let revokedKey: TestKey

    private static let made = Mutex<[Int32: Task<AuthWorld, any Error>]>([:])

    /// The world of `server`, made by the first caller.
    static func of(_ server: ServerProcess) async throws -> AuthWorld {
        let task = made.withLock { made in
            if let task = made[server.pid] { return task }
            let task = Task { try await make(server) }
            made[server.pid] = task
            return task
        }
        return try await task.value
    }

    private static func make(_ server: ServerProcess) async throws -> AuthWorld {
        let home = Company.unique("home")
        let neighbour = Company.unique("neighbour")
        let granted = Company.unique("granted")
        let revokedKey = try await server.companyKey(home)
        try await server.revoke(revokedKey)
        let world = AuthWorld(
            home: home, neighbour: neighbour, granted: granted, ungranted: Company.unique("ungranted"),
            companyKey: try await server.companyKey(home), neighbourKey: try await server.companyKey(neighbour),
            partnerKey: try await server.createKey(.partner, [granted, Company.unique("granted-too")]),
            revokedKey: revokedKey)
        // A change in every company, so that an allowed WatchInterviews has an event to deliver.
        _ = try await world.createRecord(server, for: .companyKey)
        _ = try await world.createRecord(server, for: .companyKeyOnAnotherCompanysRecord)
        _ = try await world.createRecord(server, for: .partnerKeyNamingGrantedCompany)
        return world
    }

    /// The `authorization` value a credential sends (nil: none).
    func authorization(_ credential: Credential) -> String? {
        switch credential {
        case .noKey: nil
        case .basicScheme: "Basic x"
        case .bearerAlone: "Bearer"
        case .unknownKey: "Bearer ik_0123456789abcdef_" + String(repeating: "A", count: 43)
        case .revokedKey: "Bearer \(revokedKey.secret)"
        case .companyKey, .companyKeyNamingItsCompany, .companyKeyNamingAnotherCompany,
            .companyKeyOnAnotherCompanysRecord:
            "Bearer \(companyKey.secret)"
        case .partnerKeyNamingGrantedCompany, .partnerKeyWithoutCompany, .partnerKeyNamingUngrantedCompany:
            "Bearer \(partnerKey.secret)"
        }
    }

    /// The `company_id` a credential's requests carry.
    func companyID(_ credential: Credential) -> String {
        switch credential {
        case .companyKeyNamingItsCompany: home
        case .companyKeyNamingAnotherCompany: neighbour
        case .partnerKeyNamingGrantedCompany: granted
        case .partnerKeyNamingUngrantedCompany: ungranted
        default: ""
        }
    }

    /// A new record for a credential's calls by id: in the company the call
    /// would act for when allowed, in the neighbour's for the NOT_FOUND case.
    func createRecord(_ server: ServerProcess, for credential: Credential) async throws -> Interview {
        let (key, company): (TestKey, String) =
            switch credential {
            case .companyKeyOnAnotherCompanysRecord: (neighbourKey, "")
            case .partnerKeyNamingGrantedCompany: (partnerKey, granted)
            default: (companyKey, "")
            }
        let client = try await server.client(key)
        let record = try await client.create(CreateInterviewRequest(companyID: company, interview: Sample.small(1)))
        await client.close()
        return record
    }
}

@Suite("API keys and tenants decide every call (issue 7)", .serverProcess(), .timeLimit(.minutes(2)))
struct AuthTests {
    @Test("setting a client's apiKey changes the key its next calls send")
    func switchKey() async throws {
        let server = try ServerProcess.shared
        let key = try await server.companyKey(Company.unique("switch"))
        var client = try await server.client(apiKey: "ik_0000000000000000_" + String(repeating: "A", count: 43))
        #expect(await statusCode { _ = try await client.list(ListRequest()) } == .unauthenticated)
        client.apiKey = key.secret
        #expect(await statusCode { _ = try await client.list(ListRequest()) } == .ok)
        client.apiKey = nil
        #expect(await statusCode { _ = try await client.list(ListRequest()) } == .unauthenticated)
    }

    @Test(
        "each credential gets the documented status from each Interviews method",
        arguments: Credential.allCases, InterviewsMethod.allCases)
    func authMatrix(credential: Credential, method: InterviewsMethod) async throws {
        let server = try ServerProcess.shared
        let world = try await AuthWorld.of(server)
        let record = try await world.createRecord(server, for: credential)
        let company = world.companyID(credential)
        let metadata = world.authorization(credential).map { [RPCMetadataEntry(key: "authorization", value: $0)] } ?? []
        let rpc = try await server.client(apiKey: nil).rpc

        var failure: RPCError?
        do {
            try await call(method, on: rpc, metadata: metadata, company: company, recordID: record.id)
        } catch let error as RPCError {
            failure = error
        }
        let expected = expectedStatus(credential, method)
        #expect(failure?.code ?? .ok == expected, "\(failure?.message ?? "OK")")
        if expected == .unauthenticated {
            let hint =
                switch credential {
                case .noKey: "missing API key"
                case .basicScheme, .bearerAlone: "expected \"Bearer <key>\""
                default: "the API key is unknown or revoked"
                }
            #expect(failure?.message.contains(hint) == true, "\(failure?.message ?? "OK")")
        }
        if expected == .notFound {
            #expect(failure?.message == "interview \"\(record.id)\" not found", "the same words as for a missing id")
        }
        await rpc.close()
    }

    /// Calls `method` with a small, valid request.
    private func call(
        _ method: InterviewsMethod, on rpc: RPCClient, metadata: [RPCMetadataEntry], company: String,
        recordID: String
    ) async throws {
        let timeout = Duration.seconds(60)
        switch method {
        case .list:
            let _: Page = try await rpc.unary(
                method: MethodNames.listInterviews, request: ListRequest(companyID: company), metadata: metadata,
                timeout: timeout)
        case .stream:
            try await rpc.serverStream(
                method: MethodNames.streamInterviews, request: ListRequest(companyID: company), metadata: metadata,
                timeout: timeout, responseType: Interview.self
            ) { stream in
                for try await _ in stream {}
            }
        case .get:
            let _: Interview = try await rpc.unary(
                method: MethodNames.getInterview, request: GetInterviewRequest(companyID: company, id: recordID),
                metadata: metadata, timeout: timeout)
        case .create:
            let _: Interview = try await rpc.unary(
                method: MethodNames.createInterview,
                request: CreateInterviewRequest(companyID: company, interview: Sample.small(2)), metadata: metadata,
                timeout: timeout)
        case .update:
            let _: Interview = try await rpc.unary(
                method: MethodNames.updateInterview,
                request: UpdateInterviewRequest(
                    companyID: company, interview: Interview(id: recordID, title: "renamed"), updateMask: ["title"]),
                metadata: metadata, timeout: timeout)
        case .delete:
            let _: Interview = try await rpc.unary(
                method: MethodNames.deleteInterview, request: DeleteInterviewRequest(companyID: company, id: recordID),
                metadata: metadata, timeout: timeout)
        case .upsert:
            let _: UpsertInterviewsResponse = try await rpc.unary(
                method: MethodNames.upsertInterviews,
                request: UpsertInterviewsRequest(
                    companyID: company, interviews: [Sample.small(3, remoteID: Company.unique("remote"))]),
                metadata: metadata, timeout: timeout)
        case .watch:
            // The company has a change, so an allowed watch delivers at least one event.
            try await rpc.serverStream(
                method: MethodNames.watchInterviews, request: WatchRequest(companyID: company), metadata: metadata,
                timeout: timeout, responseType: WatchEvent.self
            ) { stream in
                var events = stream.makeAsyncIterator()
                // An allowed watch that ends without an event fails the test here.
                let event = try #require(try await events.next(), "an allowed watch ended without an event")
                #expect(event.interview != nil && event.sequence > 0)
                if !company.isEmpty { #expect(event.interview?.companyID == company) }
            }
        case .health:
            let _: HealthResponse = try await rpc.unary(
                method: MethodNames.health, request: HealthRequest(), metadata: metadata, timeout: timeout)
        case .serverInfo:
            let _: ServerInfoResponse = try await rpc.unary(
                method: MethodNames.serverInfo, request: ServerInfoRequest(companyID: company), metadata: metadata,
                timeout: timeout)
        }
    }

    @Test("a key revoked while its connection stays open fails the next call on that connection")
    func revocationOnAnOpenConnection() async throws {
        let server = try ServerProcess.shared
        let company = Company.unique("revoke")
        let key = try await server.companyKey(company)
        let client = try await server.client(key)
        _ = try await client.create(CreateInterviewRequest(interview: Sample.small(1)))
        #expect(try await client.list(ListRequest()).totalSize == 1)

        try await server.revoke(key)

        let refused = await #expect(throws: RPCError.self) { try await client.list(ListRequest()) }
        #expect(refused?.code == .unauthenticated)
        #expect(refused?.message == "authorization: the API key is unknown or revoked")
        #expect(try await client.health().status == .serving, "the connection itself stays open")
        let again = try await server.client(key)
        let onNewConnection = await #expect(throws: RPCError.self) { try await again.serverInfo() }
        #expect(onNewConnection?.code == .unauthenticated)
    }

    /// Refusing Admin to a peer of another uid is not tested here: the tests
    /// run as the server's own uid (often root, which Admin also admits), and
    /// switching uid would need privileges and a second process. The rule
    /// lives in InterviewsService's authorize hook (`peer.uid`).
    @Test("Admin methods are allowed for a peer running as the server's uid, with or without a key")
    func adminForTheSameUID() async throws {
        let server = try ServerProcess.shared
        let admin = try await server.client(apiKey: nil)
        let created = try await admin.createKey(
            CreateKeyRequest(label: "ops", kind: .partner, companyIDs: ["a-co", "b-co"]))
        let key = try #require(created.key)
        #expect(created.secret.hasPrefix("ik_\(key.id)_"))
        #expect(key.kind == .partner && key.companyIDs == ["a-co", "b-co"] && key.revokedAt == nil)
        #expect(try await admin.listKeys(ListKeysRequest()).keys.contains { $0.id == key.id })

        let withKey = try await server.client(apiKey: created.secret)
        let revoked = try await withKey.revokeKey(RevokeKeyRequest(id: key.id))
        #expect(revoked.revokedAt != nil)
        #expect(try await admin.listKeys(ListKeysRequest()).keys.contains { $0.id == key.id } == false)
        #expect(try await admin.listKeys(ListKeysRequest(includeRevoked: true)).keys.contains { $0.id == key.id })

        let invalid = await #expect(throws: RPCError.self) {
            try await admin.createKey(CreateKeyRequest(kind: .company, companyIDs: ["a", "b"]))
        }
        #expect(invalid?.code == .invalidArgument)
        #expect(invalid?.message.hasPrefix("company_ids") == true)
        let unknown = await #expect(throws: RPCError.self) {
            try await admin.revokeKey(RevokeKeyRequest(id: "0000000000000000"))
        }
        #expect(unknown?.code == .notFound)
    }
}
