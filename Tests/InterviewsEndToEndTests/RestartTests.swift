import Foundation
import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each test stops a server process and starts another on the same data directory.
@Suite("A restarted server keeps its keys", .timeLimit(.minutes(2)))
struct RestartTests {
    @Test("keys survive a restart, stored as digests in an owner-only file, with last_used_at written at shutdown")
    func keysSurviveRestart() async throws {
        let first = try await ServerProcess.start()
        let company = Company.unique("restart")
        let key = try await first.companyKey(company)
        let revoked = try await first.companyKey(company)
        try await first.revoke(revoked)
        let client = try await first.client(key)
        _ = try await client.create(CreateInterviewRequest(interview: Sample.small(1)))
        await client.close()
        #expect(try await first.stop() == .exited(0), "\(first.log())")

        let path = first.dataDirectory + "/keys.json"
        let contents = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!contents.contains(key.secret) && !contents.contains(revoked.secret), "only digests are stored")
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        let entries = try JSONSerialization.jsonObject(with: Data(contents.utf8)) as? [[String: Any]]
        let entry = entries?.first { $0["id"] as? String == key.id }
        #expect(entry?["lastUsedAt"] != nil, "the last use is written at shutdown: \(contents)")

        let second = try await first.restarted()
        let again = try await second.client(key)
        let info = try await again.serverInfo()
        #expect(info.interviewCount == (second.backend == .file ? 1 : 0), "records outlive a restart only on disk")
        let stale = try await second.client(revoked)
        let refused = await #expect(throws: RPCError.self) { try await stale.list(ListRequest()) }
        #expect(refused?.code == .unauthenticated, "a revoked key stays revoked")
        let admin = try await second.client(apiKey: nil)
        let listed = try await admin.listKeys(ListKeysRequest(includeRevoked: true))
        #expect(listed.keys.first { $0.id == key.id }?.lastUsedAt != nil)
        #expect(listed.keys.first { $0.id == revoked.id }?.revokedAt != nil)
        #expect(try await second.stop() == .exited(0), "\(second.log())")
    }
}
