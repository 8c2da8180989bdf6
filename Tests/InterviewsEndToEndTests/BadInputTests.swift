import InterviewsClient
import InterviewsModel
import InterviewsWire
import RPCCore
import RPCUnixSocket
import Testing

/// A request body InterviewsClient cannot send, and the status it must get.
struct MalformedBody: Sendable, CustomTestStringConvertible {
    let name: String
    let method: String
    let payload: [UInt8]
    let message: String

    var testDescription: String { name }

    static let all: [MalformedBody] = [
        MalformedBody(
            name: "a length past the end", method: MethodNames.getInterview, payload: [0x12, 0x10, 0x61],
            message: "id: runs past the end of the message (the field starts at byte 0)"),
        MalformedBody(
            name: "a wrong wire type for id", method: MethodNames.getInterview, payload: [0x10, 0x01],
            message: "id: wire type 0 is wrong for this field (byte 0)"),
        MalformedBody(
            name: "invalid UTF-8 in id", method: MethodNames.getInterview, payload: [0x12, 0x02, 0xFF, 0xFE],
            message: "id: is not valid UTF-8 (bad byte at offset 0)"),
        MalformedBody(
            name: "NUL in id", method: MethodNames.getInterview, payload: [0x12, 0x02, 0x61, 0x00],
            message: "id: contains NUL (U+0000) at byte 1, which cannot be stored"),
        MalformedBody(
            name: "invalid UTF-8 in interview.title", method: MethodNames.createInterview,
            payload: [0x12, 0x04, 0x4A, 0x02, 0xC3, 0x28],
            message: "interview.title: is not valid UTF-8 (bad byte at offset 0)"),
        MalformedBody(
            name: "an undefined enum value in interview.status", method: MethodNames.createInterview,
            payload: [0x12, 0x02, 0x78, 0x2A], message: "interview.status"),
    ]
}

/// Bad input is answered with a status (or a GOAWAY for the connection that
/// sent it) and never disturbs anyone else: each test ends with a
/// successful call from another client.
@Suite("Bad input gets a status and leaves the server serving others", .serverProcess(), .timeLimit(.minutes(3)))
struct BadInputTests {
    /// A new client with a new company key, and a record in its company.
    private func bystander() async throws -> InterviewsClient {
        let server = try ServerProcess.shared
        let client = try await server.client(try await server.companyKey(Company.unique("bystander")))
        _ = try await client.create(CreateInterviewRequest(interview: Sample.small(1)))
        return client
    }

    /// Proves the server still serves: a new connection lists, and `others` too.
    private func expectServing(_ others: InterviewsClient..., sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let fresh = try await bystander()
        #expect(try await fresh.list(ListRequest()).totalSize == 1, sourceLocation: sourceLocation)
        for client in others {
            #expect(try await client.list(ListRequest()).totalSize == 1, sourceLocation: sourceLocation)
        }
        #expect(try ServerProcess.shared.isRunning, sourceLocation: sourceLocation)
    }

    @Test("a request body that does not decode is INVALID_ARGUMENT naming the field", arguments: MalformedBody.all)
    func malformedBody(body: MalformedBody) async throws {
        let server = try ServerProcess.shared
        let key = try await server.companyKey(Company.unique("garbage"))
        let other = try await bystander()
        let status = try await withRawConnection(to: server.socketPath) { raw in
            try await raw.handshake()
            try await raw.sendCall(1, method: body.method, apiKey: key.secret, payload: body.payload)
            let status = try await raw.readStatus(of: 1)
            try #require(status != nil, "the connection closed; GOAWAY: \(String(describing: raw.goAway))")
            // The same connection goes on.
            try await raw.sendCall(3, method: MethodNames.health, apiKey: nil, HealthRequest())
            #expect(try await raw.readStatus(of: 3)?.code == 0)
            return status
        }
        #expect(status?.code == StatusCode.invalidArgument.rawValue)
        #expect(status?.message.hasPrefix(body.message) == true, "\(status?.message ?? "no status")")
        try await expectServing(other)
    }

    @Test(
        "an unknown method is UNIMPLEMENTED naming it",
        arguments: ["/interviews.v1.Interviews/DropEverything", "/interviews.v1.Admin/Nope", "nonsense"])
    func unknownMethod(method: String) async throws {
        let client = try await ServerProcess.shared.client(apiKey: nil)
        let error = await #expect(throws: RPCError.self) {
            let _: HealthResponse = try await client.rpc.unary(method: method, request: HealthRequest())
        }
        #expect(error == RPCError(.unimplemented, "unknown method \(method)"))
        #expect(try await client.health().status == .serving)
        try await expectServing()
    }

    @Test(
        "page_size 0 means 20, 1 through 100 are accepted, 101 is INVALID_ARGUMENT naming the range",
        arguments: [(UInt32(0), UInt32(20)), (1, 1), (100, 100), (101, 0)])
    func pageSizeBounds(requested: UInt32, effective: UInt32) async throws {
        let client = try await bystander()
        if effective == 0 {
            let error = await #expect(throws: RPCError.self) {
                try await client.list(ListRequest(pageSize: requested))
            }
            #expect(error == RPCError(.invalidArgument, "page_size: 101 is out of range; must be 1..100"))
        } else {
            let page = try await client.list(ListRequest(pageSize: requested))
            #expect(page.pageSize == effective && page.interviews.count == 1)
        }
        try await expectServing(client)
    }

    @Test(
        "page 0 means 1, 1 through 10000 are accepted, 10001 is INVALID_ARGUMENT naming the range",
        arguments: [(UInt32(0), UInt32(1)), (1, 1), (10_000, 10_000), (10_001, 0)])
    func pageBounds(requested: UInt32, effective: UInt32) async throws {
        let client = try await bystander()
        if effective == 0 {
            let error = await #expect(throws: RPCError.self) { try await client.list(ListRequest(page: requested)) }
            #expect(error == RPCError(.invalidArgument, "page: 10001 is out of range; must be 1..10000"))
        } else {
            let page = try await client.list(ListRequest(page: requested))
            #expect(page.page == effective && page.totalSize == 1)
        }
        try await expectServing(client)
    }

    @Test("a frame longer than max_frame_size gets GOAWAY RESOURCE_EXHAUSTED before its payload is sent")
    func oversizedFrame() async throws {
        let server = try ServerProcess.shared
        let other = try await bystander()
        let key = try await server.companyKey(Company.unique("oversized")).secret
        let goAway = try await withRawConnection(to: server.socketPath) { raw in
            try await raw.handshake()
            // An authenticated call first: the full limit applies from then on.
            try await raw.sendCall(1, method: MethodNames.listInterviews, apiKey: key, ListRequest())
            #expect(try await raw.readStatus(of: 1)?.code == 0)
            try await raw.send(RawConnection.header(length: 4 * 1024 * 1024 + 1, type: .message, callID: 3))
            return try await raw.readUntilClosed()
        }
        #expect(goAway?.code == StatusCode.resourceExhausted.rawValue)
        #expect(goAway?.message == "MESSAGE frame of 4194305 bytes exceeds max_frame_size 4194304")
        // Before any call is authenticated, the smaller limit.
        let early = try await withRawConnection(to: server.socketPath) { raw in
            try await raw.handshake()
            try await raw.send(RawConnection.header(length: 65_537, type: .message, callID: 1))
            return try await raw.readUntilClosed()
        }
        #expect(early?.code == StatusCode.resourceExhausted.rawValue)
        #expect(
            early?.message
                == "MESSAGE frame of 65537 bytes exceeds the limit before a call on the connection is authenticated, 65536"
        )
        try await expectServing(other)
    }

    @Test(
        "the largest valid record travels whole; a larger one is INVALID_ARGUMENT; a page beyond max_frame_size is RESOURCE_EXHAUSTED"
    )
    func largeRecords() async throws {
        let server = try ServerProcess.shared
        let key = try await server.companyKey(Company.unique("large")).secret
        let client = try await server.client(apiKey: key, timeout: .seconds(120))
        let other = try await bystander()
        let segment = String(repeating: "x", count: 60_000)
        // The largest records validation allows still fit in one message:
        // ~0.96 MB of transcript and 1 MiB of remote_data.
        var large = Sample.small(2)
        large.analysis = Analysis(
            summary: "long", transcript: (0..<16).map { _ in TranscriptSegment(speaker: "s", text: segment) })
        var largest = large
        largest.remoteData = Array(repeating: 0x7B, count: InterviewLimits.maxRemoteDataBytes)
        var tooLarge = large
        tooLarge.analysis?.transcript.append(contentsOf: (0..<2).map { _ in TranscriptSegment(text: segment) })

        let refused = await #expect(throws: RPCError.self) {
            try await client.create(CreateInterviewRequest(interview: tooLarge))
        }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.message.hasPrefix("analysis.transcript: text is") == true)

        let stored = try await client.create(CreateInterviewRequest(interview: largest))
        let fetched = try await client.get(GetInterviewRequest(id: stored.id, includeRemoteData: true))
        #expect(fetched.analysis == largest.analysis)
        #expect(fetched.remoteData == largest.remoteData)
        var created = [stored]
        for _ in 0..<2 { created.append(try await client.create(CreateInterviewRequest(interview: largest))) }
        let page = await #expect(throws: RPCError.self) {
            try await client.list(ListRequest(ids: created.map(\.id), includeRemoteData: true))
        }
        #expect(page?.code == .resourceExhausted, "three records of 2 MB do not fit in one 4 MiB page")
        #expect(page?.message.hasSuffix("exceeds the client's max_frame_size 4194304") == true)
        let lean = try await client.list(ListRequest(ids: created.map(\.id), excludeAnalysis: true))
        #expect(lean.interviews.count == 3)
        let streamed = try await client.stream(ListRequest(ids: created.map(\.id))) { stream in
            var sizes: [Int] = []
            for try await interview in stream { sizes.append(interview.analysis?.transcript.count ?? 0) }
            return sizes
        }
        #expect(streamed == [16, 16, 16], "a stream carries one record per message")
        try await expectServing(other)
    }

    @Test("clients that vanish in the middle of a stream do not disturb the server or other streams")
    func clientGoneMidStream() async throws {
        let server = try ServerProcess.shared
        let key = try await server.companyKey(Company.unique("vanish"))
        let owner = try await server.client(key)
        _ = try await owner.upsert(
            UpsertInterviewsRequest(interviews: (0..<1000).map { Sample.full($0, remoteID: "r-\($0)") }))
        let other = try await bystander()
        let streaming = Task {
            try await owner.stream(ListRequest(includeRemoteData: true)) { stream in
                var count = 0
                for try await _ in stream {
                    count += 1
                    if count % 100 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                }
                return count
            }
        }
        for _ in 0..<10 {
            try await withRawConnection(to: server.socketPath) { raw in
                try await raw.handshake()
                // A large window: the server pushes as fast as it can, then the client is gone.
                try await raw.sendCall(
                    1, method: MethodNames.streamInterviews, apiKey: key.secret, ListRequest(includeRemoteData: true),
                    initialWindow: 1000)
                for _ in 0..<5 { _ = try await raw.readFrame() }
            }
        }
        #expect(try await streaming.value == 1000)
        try await expectServing(other)
    }
}
