import Glibc
import InterviewsModel
import InterviewsWire
import NIOCore
import NIOPosix
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Batches of unary calls pipelined on one connection", .timeLimit(.minutes(1)))
struct BatchTests {
    @Test("every call of a batch gets its own answer, in order, also beyond max_concurrent_calls")
    func inOrder() async throws {
        try await withTestServer(setting: \.maxConcurrentCallsPerConnection, to: 8) { server in
            let client = try await server.connect()
            let requests = (0..<300).map { GetInterviewRequest(companyID: "acme", id: "\($0)") }
            let results: [Result<Interview, RPCError>] = await client.unaryBatch(
                method: TestMethods.echo, requests: requests)
            #expect(results.map { try? $0.get().id } == (0..<300).map { "\($0)" })
            // Nonblocking handlers, which answer while the batch is still being read.
            let onLoop: [Result<Interview, RPCError>] = await client.unaryBatch(
                method: TestMethods.onLoop, requests: requests)
            #expect(onLoop.map { try? $0.get().id } == (0..<300).map { "\($0)" })
            let single: HealthResponse = try await client.unary(method: TestMethods.health, request: HealthRequest())
            #expect(single.status == .serving)
            await client.close()
        }
    }

    @Test("a task on the connection's event loop (RPCClient.taskExecutor) makes unary, batched and streamed calls")
    func onTheLoop() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            try await withTaskExecutorPreference(client.taskExecutor) {
                #expect(MultiThreadedEventLoopGroup.currentEventLoop != nil)
                for index in 0..<50 {
                    let echo: Interview = try await client.unary(
                        method: TestMethods.echo, request: GetInterviewRequest(id: "\(index)"))
                    #expect(echo.id == "\(index)")
                    #expect(MultiThreadedEventLoopGroup.currentEventLoop != nil)
                }
                let results: [Result<Interview, RPCError>] = await client.unaryBatch(
                    method: TestMethods.onLoop, requests: (0..<20).map { GetInterviewRequest(id: "\($0)") })
                #expect(results.map { try? $0.get().id } == (0..<20).map { "\($0)" })
                let ids = try await client.serverStream(
                    method: TestMethods.stream, request: ListRequest(pageSize: 100), responseType: Interview.self
                ) { stream in
                    var ids: [String] = []
                    for try await interview in stream { ids.append(interview.id) }
                    return ids
                }
                #expect(ids == (0..<100).map { "\($0)" })
                let error = await #expect(throws: RPCError.self) {
                    let _: Interview = try await client.unary(
                        method: TestMethods.notFound, request: GetInterviewRequest(id: "x"))
                }
                #expect(error?.code == .notFound)
            }
            await client.close()
        }
    }

    @Test("an empty batch returns no results and sends nothing")
    func empty() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let results: [Result<HealthResponse, RPCError>] = await client.unaryBatch(
                method: TestMethods.health, requests: [HealthRequest]())
            #expect(results.isEmpty)
            #expect(server.probe.count("onLoop.ran") == 0)
            await client.close()
        }
    }

    @Test("each call ends on its own: a failing call, an unencodable request and a too large one fail alone")
    func mixedOutcomes() async throws {
        try await withTestServer(setting: \.maxFrameSize, to: RPCProtocol.minMaxFrameSize) { server in
            let client = try await server.connect()
            let requests = [
                GetInterviewRequest(id: "a"),
                GetInterviewRequest(id: "missing"),
                GetInterviewRequest(id: "bad\0id"),
                GetInterviewRequest(id: String(repeating: "x", count: RPCProtocol.minMaxFrameSize + 1)),
                GetInterviewRequest(id: "boom"),
                GetInterviewRequest(id: "b"),
            ]
            let results: [Result<Interview, RPCError>] = await client.unaryBatch(
                method: TestMethods.onLoop, requests: requests)
            #expect(results.count == requests.count)
            #expect((try? results[0].get().id) == "a")
            #expect(Self.error(results[1])?.code == .notFound)
            #expect(Self.error(results[2])?.code == .invalidArgument)
            #expect(Self.error(results[2])?.message.hasPrefix("cannot encode the request") == true)
            #expect(Self.error(results[3])?.code == .resourceExhausted)
            #expect(Self.error(results[4])?.code == .internalError)
            #expect((try? results[5].get().id) == "b")
            // Neither the unencodable nor the oversized request reached the server.
            #expect(server.probe.count("onLoop.ran") == 4)
            await client.close()
        }
    }

    @Test("an unknown method fails every call of the batch with UNIMPLEMENTED")
    func unknownMethod() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let results: [Result<HealthResponse, RPCError>] = await client.unaryBatch(
                method: "/nope.Nope/Missing", requests: Array(repeating: HealthRequest(), count: 5))
            #expect(results.count == 5)
            #expect(results.allSatisfy { Self.error($0)?.code == .unimplemented })
            await client.close()
        }
    }

    @Test("cancelling the calling task ends the calls still open with CANCELLED, and the server's handlers")
    func cancelled() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let task = Task {
                let results: [Result<HealthResponse, RPCError>] = await client.unaryBatch(
                    method: TestMethods.block, requests: Array(repeating: HealthRequest(), count: 4))
                return results
            }
            #expect(await server.probe.wait { server.probe.count("block.started") == 4 })
            task.cancel()
            let results = await task.value
            #expect(results.count == 4)
            #expect(results.allSatisfy { Self.error($0)?.code == .cancelled })
            #expect(await server.probe.wait { server.probe.count("block.cancelled") == 4 })
            await client.close()
        }
    }

    @Test(
        "a server that dies mid-batch: the calls it answered succeed, the others (sent or queued) fail with UNAVAILABLE",
        arguments: [0, 2])
    func serverDies(maxConcurrentCalls: UInt32) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/dying.sock"
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        DyingServerHandler(answers: 3, maxConcurrentCalls: maxConcurrentCalls))
                }
            }
            .bind(unixDomainSocketPath: path)
            .get()
        let client = try await RPCClient.connect(to: path)
        let results: [Result<HealthResponse, RPCError>] = await client.unaryBatch(
            method: TestMethods.health, requests: Array(repeating: HealthRequest(), count: 10))
        #expect(results.count == 10)
        #expect(results.prefix(3).allSatisfy { (try? $0.get().status) == .serving })
        #expect(results.dropFirst(3).allSatisfy { Self.error($0)?.code == .unavailable })
        // The client knows the connection is gone: a later call fails at once.
        let later: [Result<HealthResponse, RPCError>] = await client.unaryBatch(
            method: TestMethods.health, requests: [HealthRequest()])
        #expect(Self.error(later[0])?.code == .unavailable)
        await client.close()
        try await server.close()
    }

    static func error<T>(_ result: Result<T, RPCError>) -> RPCError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}

/// A server that speaks the protocol, answers the first `answers` calls
/// with a serving HealthResponse and then closes the connection with the
/// other calls unanswered, as a server that crashes does.
private final class DyingServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var decoder = FrameDecoder(expectsPreface: true)
    private var received = ByteBuffer()
    private var answered = 0
    private let answers: Int
    private let maxConcurrentCalls: UInt32

    /// `maxConcurrentCalls` is announced in SETTINGS (0: the default), so
    /// that the client queues calls beyond it.
    init(answers: Int, maxConcurrentCalls: UInt32) {
        self.answers = answers
        self.maxConcurrentCalls = maxConcurrentCalls
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        var out = ByteBuffer()
        do {
            while let frame = try decoder.next(from: &received) {
                switch frame.type {
                case .settings:
                    let settings = RPCSettings(protocolVersion: 1, maxConcurrentCalls: maxConcurrentCalls)
                    try Frame(type: .settings, callID: 0, message: settings).encode(into: &out)
                case .message:
                    guard answered < answers else {
                        context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { _ in
                            context.close(promise: nil)
                        }
                        return
                    }
                    answered += 1
                    try Frame(type: .message, callID: frame.callID, message: HealthResponse(status: .serving))
                        .encode(into: &out)
                    Frame(type: .trailers, callID: frame.callID, payload: ByteBuffer()).encode(into: &out)
                default:
                    break
                }
            }
        } catch {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
