import InterviewsModel
import InterviewsRepository
import InterviewsRepositoryConformance
import Testing

/// The shared conformance suite, run against the file-backed backend (a
/// fresh data directory per check): one suite per behaviour, one test case
/// per check.
@Suite("The file-backed repository conforms to the repository contract")
struct FileConformanceTests {
    static let factory: RepositoryFactory = { try TemporaryFileRepository() }

    @Test("creates, reads, updates and deletes records", arguments: ConformanceCheck.checks(for: .crud))
    func crud(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("keeps every tenant's records to itself", arguments: ConformanceCheck.checks(for: .tenancy))
    func tenancy(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test(
        "rejects bad input with a message naming the field and the limit",
        arguments: ConformanceCheck.checks(for: .validation))
    func validation(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("guards updates with revisions", arguments: ConformanceCheck.checks(for: .revisions))
    func revisions(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("makes creates with a request id idempotent", arguments: ConformanceCheck.checks(for: .idempotency))
    func idempotency(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("upserts by remote id with per-item outcomes", arguments: ConformanceCheck.checks(for: .upsert))
    func upsert(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("filters lists as the spec says", arguments: ConformanceCheck.checks(for: .filters))
    func filters(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("orders lists by every key and direction", arguments: ConformanceCheck.checks(for: .orders))
    func orders(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("pages by page number", arguments: ConformanceCheck.checks(for: .pageNumbers))
    func pageNumbers(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("pages by tamper-evident tokens", arguments: ConformanceCheck.checks(for: .pageTokens))
    func pageTokens(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("keeps token walks exact under concurrent writes", arguments: ConformanceCheck.checks(for: .concurrentWalks))
    func concurrentWalks(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("reports changes and wakes watchers", arguments: ConformanceCheck.checks(for: .changes))
    func changes(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("returns only the fields asked for", arguments: ConformanceCheck.checks(for: .fieldSelection))
    func fieldSelection(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }

    @Test("agrees with a naive reference under random operations", arguments: ConformanceCheck.checks(for: .model))
    func model(_ check: ConformanceCheck) async throws { try await check.run(on: Self.factory) }
}
