import Glibc
import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

@Suite("Batches of gets against the server process", .timeLimit(.minutes(2)))
struct GetBatchTests {
    @Test("getBatch returns each record or that call's own error, in order")
    func records() async throws {
        let server = try await ServerProcess.start()
        let company = Company.unique("batch")
        let key = try await server.createKey(.company, [company])
        let client = try await server.client(key)
        var ids: [String] = []
        for n in 0..<5 {
            ids.append(try await client.create(CreateInterviewRequest(interview: Interview(title: "batch \(n)"))).id)
        }
        let requests =
            ids.map { GetInterviewRequest(id: $0) } + [
                GetInterviewRequest(id: "no-such-record"), GetInterviewRequest(id: "not an id"),
                GetInterviewRequest(companyID: "another-company", id: ids[0]),
            ]
        let results = await client.getBatch(requests)
        #expect(results.count == requests.count)
        #expect(results.prefix(5).map { try? $0.get().title } == (0..<5).map { "batch \($0)" })
        #expect(Self.code(results[5]) == .notFound)
        #expect(Self.code(results[6]) == .invalidArgument)
        #expect(Self.code(results[7]) == .permissionDenied)
        #expect(await client.getBatch([]).isEmpty)
        await client.close()
        try await server.stop()
    }

    @Test("a server killed with a batch in flight: every call fails with UNAVAILABLE and none hangs")
    func killed() async throws {
        let server = try await ServerProcess.start()
        let company = Company.unique("batch-kill")
        let key = try await server.createKey(.company, [company])
        let client = try await server.client(key)
        let id = try await client.create(CreateInterviewRequest(interview: Interview(title: "kept"))).id
        // Stopped first, so that the whole batch is in flight when it dies.
        server.send(SIGSTOP)
        let batch = Task { await client.getBatch(Array(repeating: GetInterviewRequest(id: id), count: 500)) }
        try await Task.sleep(for: .milliseconds(200))
        server.send(SIGKILL)
        let results = await batch.value
        #expect(results.count == 500)
        #expect(results.allSatisfy { Self.code($0) == .unavailable })
        let after = await client.getBatch([GetInterviewRequest(id: id)])
        #expect(Self.code(after[0]) == .unavailable)
        await client.close()
        _ = try? await server.waitForExit(timeout: .seconds(10))
    }

    static func code<T>(_ result: Result<T, RPCError>) -> StatusCode? {
        if case .failure(let error) = result { return error.code }
        return nil
    }
}
