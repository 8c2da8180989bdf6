import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Nonblocking methods run on the event loop, with every outcome of a unary call", .timeLimit(.minutes(1)))
struct NonblockingMethodTests {
    @Test("the handler runs on the connection's event loop and its response reaches the caller")
    func runsOnTheLoop() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let answer: Interview = try await client.unary(
                method: TestMethods.onLoop, request: GetInterviewRequest(id: "42"))
            #expect(answer.id == "42")
            #expect(answer.title == "event loop")
            // An ordinary unary method still runs in a task.
            let echo: Interview = try await client.unary(
                method: TestMethods.echo, request: GetInterviewRequest(id: "7"))
            #expect(echo.id == "7")
            await client.close()
        }
    }

    @Test("a StatusError keeps its code and message; any other error is INTERNAL; the hook still runs first")
    func errors() async throws {
        let hook: RPCRouter.Authorize = { context in
            guard let caller = context.metadataValue(for: "x-caller") else {
                throw RPCError(.unauthenticated, "missing x-caller metadata")
            }
            context.values[CallerKey.self] = caller
        }
        try await withTestServer(authorize: hook) { server in
            let client = try await server.connect()
            let caller = [RPCMetadataEntry(key: "x-caller", value: "acme")]
            let refused = await #expect(throws: RPCError.self) {
                let _: Interview = try await client.unary(
                    method: TestMethods.onLoop, request: GetInterviewRequest(id: "1"))
            }
            #expect(refused == RPCError(.unauthenticated, "missing x-caller metadata"))
            #expect(server.probe.count("onLoop.ran") == 0, "the hook refused before the handler ran")
            let missing = await #expect(throws: RPCError.self) {
                let _: Interview = try await client.unary(
                    method: TestMethods.onLoop, request: GetInterviewRequest(id: "missing"), metadata: caller)
            }
            #expect(missing == RPCError(.notFound, "interview missing not found"))
            let boom = await #expect(throws: RPCError.self) {
                let _: Interview = try await client.unary(
                    method: TestMethods.onLoop, request: GetInterviewRequest(id: "boom"), metadata: caller)
            }
            #expect(boom == RPCError(.internalError, "internal error"))
            let fine: Interview = try await client.unary(
                method: TestMethods.onLoop, request: GetInterviewRequest(id: "ok"), metadata: caller)
            #expect(fine.companyID == "acme")
            await client.close()
        }
    }

    @Test("a request that does not decode is INVALID_ARGUMENT before the handler runs")
    func garbage() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.headers, callID: 1, RPCCallHeaders(method: TestMethods.onLoop))
                try await raw.send(
                    Frame(type: .message, flags: .endStream, callID: 1, payload: ByteBuffer(bytes: [0x0A, 0x05, 0x41])))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.invalidArgument.rawValue)
            }
            #expect(server.probe.count("onLoop.ran") == 0)
            #expect(try await server.expectHealthy())
        }
    }

    @Test("200 calls written in one burst are all answered, each with its own response")
    func pipelined() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                var burst = ByteBuffer()
                for id in stride(from: UInt32(1), through: 399, by: 2) {
                    try Frame(type: .headers, callID: id, message: RPCCallHeaders(method: TestMethods.onLoop))
                        .encode(into: &burst)
                    try Frame(type: .message, flags: .endStream, callID: id, message: GetInterviewRequest(id: "\(id)"))
                        .encode(into: &burst)
                }
                try await raw.send(Array(burst.readableBytesView))
                var answers: [UInt32: String] = [:]
                var statuses: [UInt32: Int32] = [:]
                while statuses.count < 200, let frame = try await raw.readFrame() {
                    switch frame.type {
                    case .message: answers[frame.callID] = try frame.decodePayload(as: Interview.self).id
                    case .trailers:
                        statuses[frame.callID] =
                            frame.payload.readableBytes == 0 ? 0 : try frame.decodePayload(as: RPCStatus.self).code
                    default: Issue.record("unexpected \(frame.type) frame")
                    }
                }
                #expect(statuses.count == 200 && statuses.values.allSatisfy { $0 == 0 })
                #expect(answers.count == 200 && answers.allSatisfy { $0.value == "\($0.key)" })
            }
        }
    }

    @Test("a request that arrives after its deadline is DEADLINE_EXCEEDED and the handler does not run")
    func lateRequest() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(
                    .headers, callID: 1, RPCCallHeaders(method: TestMethods.onLoop, timeoutMicros: 50_000))
                try await Task.sleep(for: .milliseconds(300))
                try await raw.send(.message, flags: .endStream, callID: 1, GetInterviewRequest(id: "late"))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.deadlineExceeded.rawValue)
                #expect(status.message == "deadline of 50 ms exceeded")
            }
            #expect(server.probe.count("onLoop.ran") == 0)
        }
    }

    @Test("HEADERS whose request never comes still end with DEADLINE_EXCEEDED at the deadline")
    func requestNeverComes() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(
                    .headers, callID: 1, RPCCallHeaders(method: TestMethods.onLoop, timeoutMicros: 100_000))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.deadlineExceeded.rawValue)
                #expect(status.message == "deadline of 100 ms exceeded")
            }
        }
    }
}
