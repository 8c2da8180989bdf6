import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import RPCCore
import Testing

@testable import InterviewsGRPC

/// The handler in front of every gRPC stream: credentials, oversized
/// messages, connections past the limit.
@Suite("The stream guard answers what grpc-swift would reset, and carries the peer's credentials")
struct StreamGuardTests {
    private static func request(_ extra: [(String, String)] = []) -> HTTP2Frame.FramePayload {
        var headers = HPACKHeaders([
            (":method", "POST"), (":scheme", "http"), (":path", "/interviews.v1.Interviews/GetInterview"),
            ("content-type", "application/grpc"),
        ])
        for (name, value) in extra { headers.add(name: name, value: value) }
        return .headers(.init(headers: headers))
    }

    private static func data(_ bytes: [UInt8], endStream: Bool = false) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(bytes: bytes)), endStream: endStream))
    }

    /// A gRPC length prefix: not compressed, `length` bytes.
    private static func prefix(_ length: Int) -> [UInt8] {
        [0, UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    private static func channel(max: Int = 100, facts: ConnectionFacts? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(StreamGuard(maxMessageSize: max, facts: facts))
        return channel
    }

    private static func headers(_ payload: HTTP2Frame.FramePayload?) -> HPACKHeaders? {
        guard case .headers(let headers) = payload else { return nil }
        return headers.headers
    }

    @Test("a client's own credentials entry is removed; the connection's is added")
    func credentials() throws {
        let codec = PeerHeaderCodec()
        let value = codec.encode(PeerCredentials(uid: 1000, gid: 1000, pid: 42))
        let channel = try Self.channel(facts: ConnectionFacts(peerValue: value, refusal: nil))
        try channel.writeInbound(Self.request([(StreamGuard.peerHeader, "0 0 0 1")]))
        let passed = try #require(Self.headers(try channel.readInbound()))
        #expect(passed[StreamGuard.peerHeader] == [value])
        #expect(codec.decode(passed[StreamGuard.peerHeader][0]) == PeerCredentials(uid: 1000, gid: 1000, pid: 42))

        // Over TCP (no credentials) the client's entry is removed and none added.
        let tcp = try Self.channel(facts: ConnectionFacts(peerValue: nil, refusal: nil))
        try tcp.writeInbound(Self.request([(StreamGuard.peerHeader, value)]))
        #expect(try #require(Self.headers(try tcp.readInbound()))[StreamGuard.peerHeader].isEmpty)
    }

    @Test("credentials are trusted only with the endpoint's token, and well formed")
    func codecRefusesForgeries() {
        let codec = PeerHeaderCodec()
        #expect(codec.decode("0 0 0 1") == nil)
        #expect(codec.decode("\(PeerHeaderCodec().token) 0 0 1") == nil, "another endpoint's token")
        #expect(codec.decode("\(codec.token) 0 0") == nil)
        #expect(codec.decode("\(codec.token) -1 0 1") == nil)
        #expect(codec.decode("\(codec.token) 0 0 1") == PeerCredentials(uid: 0, gid: 0, pid: 1))
    }

    @Test("messages within the limit pass, their prefixes split across DATA frames")
    func withinTheLimit() throws {
        let channel = try Self.channel(max: 100)
        try channel.writeInbound(Self.request())
        _ = try channel.readInbound(as: HTTP2Frame.FramePayload.self)
        let message = Self.prefix(100) + [UInt8](repeating: 7, count: 100) + Self.prefix(3) + [1, 2, 3]
        // One byte per frame: every prefix crosses frames.
        for byte in message { try channel.writeInbound(Self.data([byte])) }
        var passed = 0
        while let frame = try channel.readInbound(as: HTTP2Frame.FramePayload.self) {
            if case .data = frame { passed += 1 }
        }
        #expect(passed == message.count)
        #expect(try channel.readOutbound(as: HTTP2Frame.FramePayload.self) == nil, "nothing answered")
    }

    @Test("a message over the limit is RESOURCE_EXHAUSTED from its prefix, then RST_STREAM NO_ERROR")
    func overTheLimit() throws {
        let channel = try Self.channel(max: 100)
        try channel.writeInbound(Self.request())
        _ = try channel.readInbound(as: HTTP2Frame.FramePayload.self)
        // A first message within the limit, then a prefix of 16 MiB split in two frames.
        try channel.writeInbound(Self.data(Self.prefix(2) + [1, 2] + Self.prefix(16 << 20).prefix(2)))
        try channel.writeInbound(Self.data(Array(Self.prefix(16 << 20).dropFirst(2)) + [9, 9]))
        let trailers = try #require(Self.headers(try channel.readOutbound()))
        #expect(trailers[":status"] == ["200"])
        #expect(trailers["grpc-status"] == ["8"])
        #expect(
            trailers["grpc-message"] == ["request message is 16777216 bytes; the limit is 100 bytes (--max-frame-size)"]
        )
        guard case .rstStream(.noError) = try channel.readOutbound(as: HTTP2Frame.FramePayload.self) else {
            Issue.record("no RST_STREAM NO_ERROR after the trailers")
            return
        }
        // The first DATA frame (holding the good message) was passed on; the second was not.
        var passed = 0
        while let frame = try channel.readInbound(as: HTTP2Frame.FramePayload.self) {
            if case .data = frame { passed += 1 }
        }
        #expect(passed == 1, "the frame completing the oversized prefix is held back")
        // What the handlers write afterwards is refused, and more input dropped.
        #expect(throws: (any Error).self) {
            try channel.writeOutbound(HTTP2Frame.FramePayload.headers(.init(headers: HPACKHeaders())))
        }
        try channel.writeInbound(Self.data([1, 2, 3]))
        #expect(try channel.readInbound(as: HTTP2Frame.FramePayload.self) == nil)
    }

    @Test("after the response headers went out, the answer is trailers without :status")
    func trailersAfterHeaders() throws {
        let channel = try Self.channel(max: 10)
        try channel.writeInbound(Self.request())
        try channel.writeOutbound(
            HTTP2Frame.FramePayload.headers(.init(headers: HPACKHeaders([(":status", "200")]))))
        _ = try channel.readOutbound(as: HTTP2Frame.FramePayload.self)
        try channel.writeInbound(Self.data(Self.prefix(11)))
        let trailers = try #require(Self.headers(try channel.readOutbound()))
        #expect(trailers[":status"].isEmpty)
        #expect(trailers["grpc-status"] == ["8"])
    }

    @Test("every call of a connection past the limit is RESOURCE_EXHAUSTED naming it")
    func connectionPastTheLimit() throws {
        let refusal = "too many gRPC connections; the limit is 2 (--max-connections)"
        let channel = try Self.channel(facts: ConnectionFacts(peerValue: nil, refusal: refusal))
        try channel.writeInbound(Self.request())
        #expect(try channel.readInbound(as: HTTP2Frame.FramePayload.self) == nil, "the call never starts")
        let trailers = try #require(Self.headers(try channel.readOutbound()))
        #expect(trailers["grpc-status"] == ["8"])
        #expect(trailers["grpc-message"] == [StreamGuard.percentEncoded(refusal)])
    }

    @Test("grpc-message is percent-encoded outside printable ASCII")
    func percentEncoding() {
        #expect(StreamGuard.percentEncoded("a b%c") == "a b%25c")
        #expect(StreamGuard.percentEncoded("é\n") == "%C3%A9%0A")
    }

    @Test("the connection budget takes places up to its limit and gives them back")
    func budget() {
        let budget = ConnectionBudget(limit: 2)
        #expect(budget.acquire())
        #expect(budget.acquire())
        #expect(!budget.acquire())
        budget.release()
        #expect(budget.acquire())
        #expect(budget.count == 2)
    }
}
