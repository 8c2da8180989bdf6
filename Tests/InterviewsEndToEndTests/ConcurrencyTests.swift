import InterviewsClient
import InterviewsModel
import NIOPosix
import RPCCore
import Testing

@Suite("Many clients at once against the server process", .serverProcess(), .timeLimit(.minutes(2)))
struct ConcurrencyTests {
    @Test("100 clients x 100 concurrent calls each get the answers to their own calls")
    func hundredByHundred() async throws {
        // Its own event loops, so that this load does not starve the clients
        // of the suites running alongside (their server's handshake and
        // request timeouts are 5 s).
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            try await hundredByHundred(on: loops)
        } catch {
            try await loops.shutdownGracefully()
            throw error
        }
        try await loops.shutdownGracefully()
    }

    private func hundredByHundred(on loops: MultiThreadedEventLoopGroup) async throws {
        let server = try ServerProcess.shared
        let companies = (0..<100).map { _ in Company.unique("load") }
        let key = try await server.createKey(.partner, companies)
        let clients = try await withThrowingTaskGroup(of: (Int, InterviewsClient).self) { group in
            for index in companies.indices {
                group.addTask { (index, try await server.client(key, eventLoopGroup: loops)) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }

        let start = ContinuousClock.now
        let mismatches = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, company) in companies.enumerated() {
                let client = try #require(clients[index])
                group.addTask {
                    try await withThrowingTaskGroup(of: String?.self) { calls in
                        for call in 0..<100 {
                            calls.addTask {
                                let title = "\(index)/\(call)"
                                let created = try await client.create(
                                    CreateInterviewRequest(
                                        companyID: company,
                                        interview: Interview(candidateID: "cand-\(call)", title: title)))
                                let matches = created.title == title && created.companyID == company
                                return matches
                                    ? nil : "\(title) in \(company) got \(created.title) in \(created.companyID)"
                            }
                        }
                        return try await calls.reduce(into: []) { if let wrong = $1 { $0.append(wrong) } }
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = ContinuousClock.now - start
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        print("10000 CreateInterview calls from 100 clients in \(elapsed)")

        for (index, company) in companies.enumerated() {
            let client = try #require(clients[index])
            let info = try await client.serverInfo(ServerInfoRequest(companyID: company))
            #expect(info.interviewCount == 100, "\(company)")
            await client.close()
        }
        #expect(server.isRunning)
    }
}
