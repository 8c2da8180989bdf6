import Foundation
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsTestSupport
import Testing

/// A file-backed repository in a temporary directory that is removed when
/// the last reference goes: what the conformance suite's factory returns.
final class TemporaryFileRepository: InterviewRepository {
    let directory: TemporaryDirectory
    let base: FileInterviewRepository

    init() throws {
        directory = try TemporaryDirectory()
        base = try FileInterviewRepository.open(directory: directory.path)
    }

    func create(_ interview: Interview, requestID: String, tenant: Tenant) async throws -> Interview {
        try await base.create(interview, requestID: requestID, tenant: tenant)
    }

    func get(id: String, includeDeleted: Bool, tenant: Tenant) async throws -> Interview {
        try await base.get(id: id, includeDeleted: includeDeleted, tenant: tenant)
    }

    func update(_ changes: Interview, mask: [String], expectedRevision: UInt64, tenant: Tenant) async throws
        -> Interview
    {
        try await base.update(changes, mask: mask, expectedRevision: expectedRevision, tenant: tenant)
    }

    func delete(id: String, expectedRevision: UInt64, tenant: Tenant) async throws -> Interview {
        try await base.delete(id: id, expectedRevision: expectedRevision, tenant: tenant)
    }

    func upsert(_ interviews: [Interview], tenant: Tenant) async throws -> [UpsertResult] {
        try await base.upsert(interviews, tenant: tenant)
    }

    func list(_ request: ListRequest, tenant: Tenant) async throws -> Page {
        try await base.list(request, tenant: tenant)
    }

    func scan(_ request: ListRequest, tenant: Tenant, batchSize: Int, _ body: ([Interview]) async throws -> Bool)
        async throws
    {
        try await base.scan(request, tenant: tenant, batchSize: batchSize, body)
    }

    func changes(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> ChangeBatch {
        try await base.changes(after: sequence, limit: limit, tenant: tenant)
    }

    func waitForChanges(after sequence: UInt64) async throws -> UInt64 {
        try await base.waitForChanges(after: sequence)
    }

    func stats(tenant: Tenant) async throws -> RepositoryStats {
        try await base.stats(tenant: tenant)
    }
}

/// The tenants the tests write for.
let acme = Tenant("acme")
let globex = Tenant("globex")

/// 2024-01-01T00:00:00Z plus `hours`.
func time(hours: Int64, minutes: Int64 = 0) -> Timestamp {
    Timestamp(seconds: 1_704_067_200 + hours * 3600 + minutes * 60)
}

/// Record `n` with every kind of field set, deterministic in `n`.
func sample(_ n: Int) -> Interview {
    Interview(
        remoteID: "remote-\(n)", candidateID: "cand-\(n % 7)", applicationID: "app-\(n)", jobID: "job-\(n % 3)",
        agentID: "agent-\(n % 2)", jobInterviewStageID: "stage-\(n)", title: "Interview \(n)",
        organizer: Participant(
            id: "org-\(n)", remoteID: "rorg-\(n)", firstName: "Ada", lastName: "Lovelace", email: "ada@example.com"),
        interviewers: [Participant(id: "int-\(n)", firstName: "Alan"), Participant(id: "int-x", lastName: "Turing")],
        location: Location(raw: "1 Main St, Springfield", street1: "1 Main St", city: "Springfield", country: "US"),
        startAt: time(hours: Int64(n)), endAt: time(hours: Int64(n), minutes: 45), status: .scheduled,
        remoteStatus: "Scheduled", remoteCreatedAt: time(hours: -1), remoteUpdatedAt: time(hours: -1, minutes: 30),
        customFields: ["team": "platform", "n": "\(n)"], remoteData: Array("{\"id\":\(n)}".utf8),
        analysis: Analysis(
            summary: "Summary \(n)", recommendation: "hire", overallScore: 4.5,
            scores: [Score(name: "coding", value: 4, maxValue: 5)],
            transcript: [TranscriptSegment(speaker: "agent", text: "Hello \(n)", startOffsetMs: 0, endOffsetMs: 900)]))
}

/// Every record of `tenant`, deleted ones included, with remote_data, in id order.
func everything(_ repository: any InterviewRepository, _ tenant: Tenant) async throws -> [Interview] {
    var all: [Interview] = []
    var request = ListRequest()
    request.includeDeleted = true
    request.includeRemoteData = true
    try await repository.scan(request, tenant: tenant, batchSize: 500) { batch in
        all += batch
        return true
    }
    return all.sorted { $0.id < $1.id }
}

/// The error `body` throws as an ``InterviewsError``, or a test failure.
func interviewsError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> InterviewsError? {
    do {
        try await body()
        Issue.record("expected an error", sourceLocation: sourceLocation)
        return nil
    } catch let error as InterviewsError {
        return error
    } catch {
        Issue.record("expected InterviewsError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
