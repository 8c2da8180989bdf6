import InterviewsModel
import InterviewsWire
import NIOCore
import NIOPosix
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Flow control, cancellation and deadlines", .timeLimit(.minutes(1)))
struct FlowControlTests {
    @Test("a server stream sends no more than the credit the client granted")
    func creditBoundsTheStream() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: TestMethods.infinite, ListRequest(), initialWindow: 2)
                // With credit for 2, the handler's third write waits: it has begun and not
                // returned, and no fourth begins while no credit comes back.
                #expect(await server.probe.wait { server.probe.value("infinite.attempted") >= 3 })
                #expect(server.probe.value("infinite.attempted") == 3)
                #expect(server.probe.value("infinite.written") == 2)
                #expect(try await raw.readMessages(of: 1, count: 2) == ["0", "1"])
                #expect(try await raw.pingIsNext(), "a third MESSAGE was sent without credit")
                try await raw.send(.windowUpdate, callID: 1, RPCWindowUpdate(credit: 3))
                #expect(await server.probe.wait { server.probe.value("infinite.attempted") >= 6 })
                #expect(server.probe.value("infinite.attempted") == 6)
                #expect(server.probe.value("infinite.written") == 5)
                #expect(try await raw.readMessages(of: 1, count: 3) == ["2", "3", "4"])
                #expect(try await raw.pingIsNext(), "a sixth MESSAGE was sent without credit")
                try await raw.send(.cancel, callID: 1, RPCCancel(reason: "enough"))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.cancelled.rawValue)
                #expect(status.message == "cancelled by the client: enough")
            }
            #expect(await server.probe.wait { server.probe.count("infinite.ended") == 1 })
            #expect(server.probe.notes == ["infinite ended: CANCELLED"])
        }
    }

    @Test("ServerContext.endCall ends an open stream from outside: TRAILERS with its status, the handler cancelled")
    func endCallFromOutside() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: TestMethods.endedFromOutside, ListRequest(), initialWindow: 4)
                let message = try #require(try await raw.readFrame())
                #expect(message.type == .message && message.callID == 1)
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.unauthenticated.rawValue)
                #expect(status.message == "ended from outside")
            }
            #expect(server.probe.count("endedFromOutside.started") == 1)
            #expect(await server.probe.wait { server.probe.count("endedFromOutside.cancelled") == 1 })
            #expect(try await server.expectHealthy())
        }
    }

    @Test(
        "a stream of large messages arrives whole, in order, each once, while credit comes back during reads",
        arguments: [2, 8, 32])
    func largeMessagesArriveOnce(window: Int) async throws {
        try await withTestServer { server in
            var configuration = RPCClientConfiguration()
            configuration.initialWindow = window
            let client = try await server.connect(configuration)
            // 1500 messages of 96 KiB: each crosses the socket's high-water mark, so
            // the server's writes change the channel's writability while it writes.
            let ids = try await client.serverStream(
                method: TestMethods.large, request: ListRequest(page: 96 * 1024, pageSize: 1500),
                responseType: Interview.self
            ) { stream in
                var ids: [String] = []
                for try await message in stream {
                    #expect(message.remoteData.count == 96 * 1024)
                    #expect(message.remoteData.first == UInt8(truncatingIfNeeded: ids.count))
                    ids.append(message.id)
                }
                return ids
            }
            #expect(ids == (0..<1500).map { "\($0)" }, "\(ids.count) messages")
            #expect(try await server.expectHealthy())
        }
    }

    @Test("what a read wrote goes out once when its flush changes writability and a stream has messages queued")
    func onceWhenTheFlushReenters() async throws {
        // Call 1 streams small messages without end, so its outbox nearly always
        // holds some the loop has not written yet. Each call 3, 5, ... answers on
        // the loop with a response larger than the channel's high-water mark: the
        // flush at the end of that read makes the channel unwritable, and the
        // channel says so from inside the flush, which writes out call 1's queued
        // messages. The read's own bytes must not go out a second time then.
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: TestMethods.infinite, ListRequest(), initialWindow: 1_000_000)
                var answers: [UInt32: Int] = [:]
                var streamed = 0
                var next: UInt32 = 3
                var ended: Set<UInt32> = []
                while ended.count < 100 {
                    guard let frame = try await raw.readFrame() else { break }
                    if frame.callID == 1 {
                        streamed += 1
                        // A unary call every 50 stream messages, while the stream runs.
                        if streamed % 50 == 0, next < 3 + 2 * 100 {
                            try await raw.sendCall(
                                next, method: TestMethods.largeOnLoop, ListRequest(page: 200 * 1024))
                            next += 2
                        }
                    } else if frame.type == .message {
                        answers[frame.callID, default: 0] += 1
                    } else if frame.type == .trailers {
                        ended.insert(frame.callID)
                    }
                }
                // Frames of a call come after its TRAILERS only when something was written twice.
                for _ in 0..<200 {
                    guard let frame = try await raw.readFrame() else { break }
                    if frame.callID != 1 { answers[frame.callID, default: 0] += 1 }
                }
                #expect(ended.count == 100)
                #expect(
                    answers.values.allSatisfy { $0 == 1 }, "each unary answer once: \(answers.filter { $0.value != 1 })"
                )
            }
        }
    }

    @Test("a slow reader slows the handler down: it is never more than a window ahead")
    func slowReader() async throws {
        try await withTestServer { server in
            var configuration = RPCClientConfiguration()
            configuration.initialWindow = 8
            let client = try await server.connect(configuration)
            let read = try await client.serverStream(
                method: TestMethods.infinite, request: ListRequest(), responseType: Interview.self
            ) { stream in
                var read = 0
                for try await _ in stream {
                    read += 1
                    try await Task.sleep(for: .milliseconds(20))
                    // Credit comes back half a window at a time: the handler is at most a window ahead.
                    #expect(server.probe.value("infinite.written") <= read + 8)
                    if read == 30 { break }
                }
                return read
            }
            #expect(read == 30)
            #expect(await server.probe.wait { server.probe.count("infinite.ended") == 1 })
            #expect(try await server.expectHealthy())
        }
    }

    @Test("a client that does not read stalls its streams at the outbound buffer bound")
    func outboundBufferBound() async throws {
        // One event loop, so that a task submitted to it runs after everything the
        // connection had queued there.
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await outboundBufferBound(loop)
        } catch {
            try await loop.shutdownGracefully()
            throw error
        }
        try await loop.shutdownGracefully()
    }

    private func outboundBufferBound(_ loop: MultiThreadedEventLoopGroup) async throws {
        try await withTestServer(setting: \.maxOutboundBufferedBytes, to: 64 * 1024, eventLoopGroup: loop) { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                let padding = String(repeating: "x", count: 1000)
                try await raw.sendCall(
                    1, method: TestMethods.infinite, ListRequest(jobID: padding), initialWindow: 1_000_000)
                // Stalled: the handler waits in a write (begun, not returned), and still
                // does after the event loop has run everything queued for it so far.
                var stalledAt: Int?
                for _ in 0..<100 where stalledAt == nil {
                    var parked = 0
                    let found = await server.probe.wait {
                        parked = server.probe.value("infinite.written")
                        return parked > 0 && server.probe.value("infinite.attempted") == parked + 1
                    }
                    guard found else { break }
                    try await loop.next().submit {}.get()
                    if server.probe.value("infinite.written") == parked
                        && server.probe.value("infinite.attempted") == parked + 1
                    {
                        stalledAt = parked
                    }
                }
                let stalled = try #require(stalledAt, "the handler kept writing to a client that does not read")
                #expect(stalled < 2000, "kernel buffers plus 64 KiB hold far fewer than 2000 messages of 1 KB")
                // Reading lets it go on.
                #expect(try await raw.readMessages(of: 1, count: stalled).count == stalled)
                #expect(await server.probe.wait { server.probe.value("infinite.written") > stalled })
            }
            #expect(await server.probe.wait { server.probe.count("infinite.ended") == 1 })
            #expect(try await server.expectHealthy())
        }
    }

    @Test(
        "messages of more than half the pending bound never stall a stream the client keeps reading",
        .timeLimit(.minutes(1)))
    func largeMessagesKeepFlowing() async throws {
        // Regression: with 600 KB messages and a 1 MiB pending bound the second
        // write waits; the loop's write of the first must admit it even though
        // the socket never crosses its high-water mark (no writability change)
        // and no credit comes back yet (window 64).
        try await withTestServer { server in
            let client = try await server.connect()
            let padding = String(repeating: "x", count: 600_000)
            for round in 0..<20 {
                let read = try await client.serverStream(
                    method: TestMethods.infinite, request: ListRequest(jobID: padding), timeout: .seconds(20),
                    responseType: Interview.self
                ) { stream in
                    var read = 0
                    for try await message in stream {
                        #expect(message.title.utf8.count == padding.utf8.count)
                        read += 1
                        if read == 6 { break }
                    }
                    return read
                }
                #expect(read == 6, "round \(round)")
            }
            await client.close()
        }
    }

    @Test("a client gone mid-stream makes the handler's next write throw")
    func clientGone() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.sendCall(1, method: TestMethods.infinite, ListRequest(), initialWindow: 1000)
                _ = try await raw.readFrame(of: .message)
            }
            #expect(await server.probe.wait { server.probe.count("infinite.ended") == 1 })
            #expect(server.probe.notes == ["infinite ended: CANCELLED"])
            #expect(try await server.expectHealthy())
        }
    }

    @Test("leaving a stream early sends CANCEL and stops the handler")
    func cancelMidStream() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let first = try await client.serverStream(
                method: TestMethods.infinite, request: ListRequest(), responseType: Interview.self
            ) { stream in
                var ids: [String] = []
                for try await interview in stream {
                    ids.append(interview.id)
                    if ids.count == 5 { break }
                }
                return ids
            }
            #expect(first == ["0", "1", "2", "3", "4"])
            #expect(await server.probe.wait { server.probe.count("infinite.ended") == 1 })
            let answer: Interview = try await client.unary(
                method: TestMethods.echo, request: GetInterviewRequest(id: "after"))
            #expect(answer.id == "after")
        }
    }

    @Test("cancelling the calling task cancels the call on the server")
    func taskCancellation() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let call = Task {
                let _: HealthResponse = try await client.unary(method: TestMethods.block, request: HealthRequest())
            }
            #expect(await server.probe.wait { server.probe.count("block.started") == 1 })
            call.cancel()
            let error = await #expect(throws: RPCError.self) { try await call.value }
            #expect(error?.code == .cancelled)
            #expect(await server.probe.wait { server.probe.count("block.cancelled") == 1 })
            // The connection goes on: a call after the cancelled one is answered.
            let answer: Interview = try await client.unary(
                method: TestMethods.echo, request: GetInterviewRequest(id: "after"))
            #expect(answer.id == "after")
        }
    }

    @Test("a unary deadline fails the call with DEADLINE_EXCEEDED and cancels the handler")
    func unaryDeadline() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let start = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                let _: HealthResponse = try await client.unary(
                    method: TestMethods.block, request: HealthRequest(), timeout: .milliseconds(200))
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(5))
            #expect(await server.probe.wait { server.probe.count("block.cancelled") == 1 })
        }
    }

    @Test("the server enforces the deadline in HEADERS itself")
    func serverDeadline() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(
                    .headers, callID: 1, RPCCallHeaders(method: TestMethods.block, timeoutMicros: 100_000))
                try await raw.send(.message, flags: .endStream, callID: 1, HealthRequest())
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.deadlineExceeded.rawValue)
                #expect(status.message == "deadline of 100 ms exceeded")
            }
            #expect(await server.probe.wait { server.probe.count("block.cancelled") == 1 })
        }
    }

    @Test("a deadline that is no whole number of milliseconds is named in microseconds")
    func subMillisecondDeadline() async throws {
        try await withTestServer { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(
                    .headers, callID: 1, RPCCallHeaders(method: TestMethods.block, timeoutMicros: 1_500))
                try await raw.send(.message, flags: .endStream, callID: 1, HealthRequest())
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.code == StatusCode.deadlineExceeded.rawValue)
                #expect(status.message == "deadline of 1500 us exceeded")
            }
        }
    }

    @Test("a stream's deadline ends its iteration with DEADLINE_EXCEEDED")
    func streamDeadline() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            let error = await #expect(throws: RPCError.self) {
                try await client.serverStream(
                    method: TestMethods.infinite, request: ListRequest(), timeout: .milliseconds(300),
                    responseType: Interview.self
                ) { stream in
                    for try await _ in stream {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(await server.probe.wait { server.probe.count("infinite.ended") == 1 })
        }
    }
}
