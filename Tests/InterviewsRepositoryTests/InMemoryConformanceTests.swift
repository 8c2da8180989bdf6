import InterviewsModel
import InterviewsRepository
import InterviewsRepositoryConformance
import Testing

/// The shared conformance suite, run against the in-memory backend: one test
/// case per check, each named by what it shows (see ``ConformanceBehaviour``
/// for the behaviours they cover).
@Suite("The in-memory repository conforms to the repository contract")
struct InMemoryConformanceTests {
    @Test("passes the conformance check", arguments: ConformanceCheck.all)
    func conforms(_ check: ConformanceCheck) async throws {
        try await check.run { InMemoryInterviewRepository() }
    }
}
