import InterviewsModel
import InterviewsRepository
import InterviewsRepositoryConformance
import Testing

/// The shared conformance suite, run against the file-backed backend (a
/// fresh data directory per check): one test case per check, each named by
/// what it shows (see ``ConformanceBehaviour`` for the behaviours they cover).
@Suite("The file-backed repository conforms to the repository contract")
struct FileConformanceTests {
    @Test("passes the conformance check", arguments: ConformanceCheck.all)
    func conforms(_ check: ConformanceCheck) async throws {
        try await check.run { try TemporaryFileRepository() }
    }
}
