import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Connection and call limits", .timeLimit(.minutes(1)))
struct LimitsTests {
    @Test("a connection that sends no preface and SETTINGS in time is closed (slowloris)")
    func handshakeTimeout() async throws {
        try await withTestServer(setting: \.handshakeTimeout, to: .seconds(2)) { server in
            let start = ContinuousClock.now
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.send(Array("interviews".utf8))  // part of the preface, then nothing
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.deadlineExceeded.rawValue)
            #expect(goAway?.message == "no preface and SETTINGS within 2 s; closing")
            // The message names the configured 2 s, not the 5 s default; the timer cannot
            // fire before it, and its start (the server accepting) follows `start`.
            #expect(ContinuousClock.now - start >= .seconds(2), "closed before the handshake timeout")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a call whose request MESSAGE never follows its HEADERS is ended and frees its slot")
    func requestTimeout() async throws {
        try await withTestServer(setting: \.requestTimeout, to: .milliseconds(200)) { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(.headers, callID: 1, RPCCallHeaders(method: TestMethods.health))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.deadlineExceeded.rawValue)
                #expect(status.message == "no request MESSAGE for call 1 within 200 ms")
                try await raw.sendCall(3, method: TestMethods.sleep, ListRequest(pageSize: 400))
                #expect(try await raw.readStatus(of: 3)?.code == 0, "the timer stops once the request has arrived")
            }
        }
    }

    @Test("a connection idle with no calls is closed with GOAWAY")
    func idleTimeout() async throws {
        try await withTestServer(setting: \.idleTimeout, to: .milliseconds(300)) { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.sendWithHandshake([
                    try Frame(type: .headers, callID: 1, message: RPCCallHeaders(method: TestMethods.health)),
                    try Frame(type: .message, flags: .endStream, callID: 1, message: HealthRequest()),
                ])
                #expect(try await raw.readStatus(of: 1)?.code == 0)
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == 0)
            #expect(goAway?.lastCallID == 1)
            #expect(goAway?.message == "idle for 300 ms with no calls; closing")
        }
    }

    @Test("a call in flight keeps a connection from going idle")
    func busyIsNotIdle() async throws {
        try await withTestServer(setting: \.idleTimeout, to: .seconds(1)) { server in
            try await withRawConnection(to: server.path) { raw in
                // Handshake and call in one write, so the call opens before the idle timer can fire.
                try await raw.sendWithHandshake([
                    try Frame(type: .headers, callID: 1, message: RPCCallHeaders(method: TestMethods.sleep)),
                    try Frame(type: .message, flags: .endStream, callID: 1, message: ListRequest(pageSize: 2500)),
                ])
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == 0)
            }
        }
    }

    @Test("connections beyond max_connections get GOAWAY RESOURCE_EXHAUSTED")
    func maxConnections() async throws {
        try await withTestServer(setting: \.maxConnections, to: 2) { server in
            let first = try await server.connect()
            let second = try await server.connect()
            let error = await #expect(throws: RPCError.self) { _ = try await server.connect() }
            #expect(error == RPCError(.resourceExhausted, "too many connections; the limit is 2"))
            await first.close()
            var third: RPCClient?
            for _ in 0..<100 where third == nil {
                third = try? await server.connect()
                if third == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let health: HealthResponse = try await #require(third).unary(
                method: TestMethods.health, request: HealthRequest())
            #expect(health.status == .serving)
            _ = try await second.ping()
        }
    }

    @Test("HEADERS beyond max_concurrent_calls get TRAILERS RESOURCE_EXHAUSTED")
    func maxConcurrentCalls() async throws {
        try await withTestServer(setting: \.maxConcurrentCallsPerConnection, to: 2) { server in
            try await withRawConnection(to: server.path) { raw in
                let settings = try await raw.handshake()
                #expect(settings?.maxConcurrentCalls == 2)
                try await raw.sendCall(1, method: TestMethods.block, HealthRequest())
                try await raw.sendCall(3, method: TestMethods.block, HealthRequest())
                try await raw.sendCall(5, method: TestMethods.block, HealthRequest())
                let status = try #require(try await raw.readStatus(of: 5))
                #expect(status.code == StatusCode.resourceExhausted.rawValue)
                #expect(status.message == "too many concurrent calls on this connection; the limit is 2")
                try await raw.send(.cancel, callID: 1, RPCCancel())
                #expect(try await raw.readStatus(of: 1)?.code == StatusCode.cancelled.rawValue)
                try await raw.sendCall(7, method: TestMethods.health, HealthRequest())
                #expect(try await raw.readStatus(of: 7)?.code == 0)
            }
        }
    }

    @Test("the client queues calls beyond the server's max_concurrent_calls instead of failing them")
    func clientQueues() async throws {
        try await withTestServer(setting: \.maxConcurrentCallsPerConnection, to: 2) { server in
            let client = try await server.connect()
            #expect(client.serverSettings.maxConcurrentCalls == 2)
            try await withThrowingTaskGroup(of: HealthResponse.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await client.unary(method: TestMethods.sleep, request: ListRequest(pageSize: 20))
                    }
                }
                for try await answer in group { #expect(answer.status == .serving) }
            }
            #expect(server.probe.count("sleep.finished") == 10)
        }
    }

    @Test("a response larger than the client's max_frame_size is RESOURCE_EXHAUSTED")
    func responseTooLarge() async throws {
        try await withTestServer { server in
            var configuration = RPCClientConfiguration()
            configuration.maxFrameSize = 100  // raised to the 16 KiB minimum
            let client = try await server.connect(configuration)
            let error = await #expect(throws: RPCError.self) {
                let _: Interview = try await client.unary(
                    method: TestMethods.echo, request: GetInterviewRequest(id: String(repeating: "a", count: 20000)))
            }
            #expect(error?.code == .resourceExhausted)
            #expect(error?.message.contains("exceeds the client's max_frame_size 16384") == true)
        }
    }
}
