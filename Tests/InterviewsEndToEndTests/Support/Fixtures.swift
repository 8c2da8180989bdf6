import Foundation
import InterviewsClient
import InterviewsModel
import NIOCore
import NIOPosix
import RPCCore
import RPCUnixSocket
import Synchronization

/// An API key as the tests hold it: its id (for RevokeKey) and its secret.
struct TestKey: Sendable {
    let id: String
    let secret: String
}

/// Company ids no other test uses, so that tests sharing one server process
/// never see each other's records.
enum Company {
    private static let counter = Atomic<Int>(0)

    /// A fresh company id, e.g. `auth-3f9a1c07-12`.
    static func unique(_ prefix: String) -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())-\(n)"
    }
}

extension ServerProcess {
    /// A client on a new connection. The timeouts are generous: the suites
    /// run in parallel on a small, shared machine.
    ///
    /// - Parameter eventLoopGroup: The client's event loops; a heavy test
    ///   uses its own, so that it does not starve the other suites' clients.
    func client(
        apiKey: String?, timeout: Duration? = .seconds(60), initialWindow: Int? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> InterviewsClient {
        var configuration = RPCClientConfiguration()
        configuration.connectTimeout = .seconds(30)
        if let initialWindow { configuration.initialWindow = initialWindow }
        let rpc = try await RPCClient.connect(
            to: socketPath, configuration: configuration, eventLoopGroup: eventLoopGroup)
        return InterviewsClient(rpc: rpc, apiKey: apiKey, timeout: timeout)
    }

    /// A client with `key`.
    func client(_ key: TestKey, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> InterviewsClient
    {
        try await client(apiKey: key.secret, eventLoopGroup: eventLoopGroup)
    }

    /// Creates a key through the Admin service. The tests run as the
    /// server's uid, which is what Admin requires; no key is sent.
    func createKey(_ kind: KeyKind, _ companies: [String], label: String = "e2e") async throws -> TestKey {
        let admin = try await client(apiKey: nil)
        let response = try await admin.createKey(CreateKeyRequest(label: label, kind: kind, companyIDs: companies))
        await admin.close()
        return TestKey(id: try requireValue(response.key?.id, "CreateKeyResponse.key"), secret: response.secret)
    }

    /// A company key for `company`.
    func companyKey(_ company: String) async throws -> TestKey {
        try await createKey(.company, [company])
    }

    /// Revokes `key` through the Admin service.
    func revoke(_ key: TestKey) async throws {
        let admin = try await client(apiKey: nil)
        _ = try await admin.revokeKey(RevokeKeyRequest(id: key.id))
        await admin.close()
    }
}

/// `value`, or an error naming what was missing.
func requireValue<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw ServerProcessError("\(what) is missing") }
    return value
}

/// The status a call ended with: OK, or its error's code.
func statusCode(of call: () async throws -> Void) async -> StatusCode {
    do {
        try await call()
        return .ok
    } catch let error as RPCError {
        return error.code
    } catch {
        return .unknown
    }
}

/// Test records.
enum Sample {
    /// A record with every kind of field set, so that a round trip checks them all.
    static func full(_ n: Int = 1, remoteID: String = "") -> Interview {
        Interview(
            remoteID: remoteID, candidateID: "cand-\(n)", applicationID: "app-\(n)", jobID: "job-\(n % 3)",
            agentID: "agent-1", jobInterviewStageID: "stage-2", title: "Interview \(n) \u{2014} r\u{e9}sum\u{e9}",
            organizer: Participant(id: "org-1", remoteID: "r-org-1", firstName: "Ada", lastName: "L", email: "a@x.io"),
            interviewers: [Participant(id: "iv-1", firstName: "Grace"), Participant(id: "iv-2", firstName: "Alan")],
            location: Location(raw: "1 Main St", street1: "1 Main St", city: "Springfield", country: "US"),
            startAt: Timestamp(seconds: 1_700_000_000 + Int64(n) * 3600, nanos: 0),
            endAt: Timestamp(seconds: 1_700_000_000 + Int64(n) * 3600 + 1800, nanos: 0),
            status: .scheduled, remoteStatus: "booked",
            remoteCreatedAt: Timestamp(seconds: 1_690_000_000, nanos: 5),
            customFields: ["source": "ats", "n": "\(n)"], remoteData: Array("{\"n\":\(n)}".utf8),
            analysis: Analysis(
                summary: "good", recommendation: "hire", overallScore: 4.5,
                scores: [Score(name: "coding", value: 4, maxValue: 5)],
                transcript: [TranscriptSegment(speaker: "Ada", text: "Hello", startOffsetMs: 0, endOffsetMs: 900)]))
    }

    /// A small record.
    static func small(
        _ n: Int, candidate: String = "cand-x", status: InterviewStatus = .scheduled, remoteID: String = ""
    )
        -> Interview
    {
        Interview(
            remoteID: remoteID, candidateID: candidate, jobID: "job-\(n % 2)", title: "small \(n)",
            startAt: Timestamp(seconds: 1_700_000_000 + Int64(n), nanos: 0), status: status)
    }
}
