import InterviewsModel
import InterviewsWire
import NIOPosix
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Many clients and calls at once", .timeLimit(.minutes(2)))
struct ConcurrencyTests {
    @Test("100 clients x 100 concurrent calls each get their own answers")
    func manyClientsManyCalls() async throws {
        // Its own event loops, so this load does not starve the other tests' servers.
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            try await manyCalls(loops)
        } catch {
            try await loops.shutdownGracefully()
            throw error
        }
        try await loops.shutdownGracefully()
    }

    private func manyCalls(_ loops: MultiThreadedEventLoopGroup) async throws {
        try await withTestServer(eventLoopGroup: loops) { server in
            let clients = try await withThrowingTaskGroup(of: RPCClient.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await server.connect() }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let start = ContinuousClock.now
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for (clientIndex, client) in clients.enumerated() {
                    group.addTask {
                        let wrong = try await withThrowingTaskGroup(of: Bool.self) { calls in
                            for callIndex in 0..<100 {
                                calls.addTask {
                                    let id = "\(clientIndex)-\(callIndex)"
                                    let answer: Interview = try await client.unary(
                                        method: TestMethods.echo,
                                        request: GetInterviewRequest(companyID: "c\(clientIndex)", id: id))
                                    return answer.id == id && answer.companyID == "c\(clientIndex)"
                                }
                            }
                            var wrong = 0
                            for try await ok in calls where !ok { wrong += 1 }
                            return wrong
                        }
                        await client.close()
                        return wrong
                    }
                }
                var total = 0
                for try await wrong in group { total += wrong }
                return total
            }
            print("10000 calls in \(ContinuousClock.now - start)")
            #expect(mismatches == 0)
        }
    }

    @Test("streams and unary calls interleave on one connection")
    func interleavedStreams() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let count = 50 + index
                        let ids = try await client.serverStream(
                            method: TestMethods.stream, request: ListRequest(pageSize: UInt32(count)),
                            responseType: Interview.self
                        ) { stream in
                            var ids: [String] = []
                            for try await interview in stream { ids.append(interview.id) }
                            return ids
                        }
                        #expect(ids == (0..<count).map { "\($0)" })
                    }
                    group.addTask {
                        let answer: Interview = try await client.unary(
                            method: TestMethods.echo, request: GetInterviewRequest(id: "u\(index)"))
                        #expect(answer.id == "u\(index)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
