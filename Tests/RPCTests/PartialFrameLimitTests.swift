import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import RPCUnixSocket
import Testing

/// The hook of these tests: a call with `x-caller` metadata is authenticated;
/// Health passes without it and authenticates nothing.
private let callerHook: RPCRouter.Authorize = { context in
    if context.method == TestMethods.health { return }
    guard let caller = context.metadataValue(for: "x-caller") else {
        throw RPCError(.unauthenticated, "missing x-caller metadata")
    }
    context.values[CallerKey.self] = caller
    context.isAuthenticated = true
}

/// Runs `body` against a server with ``callerHook`` that takes frames of at
/// most 16 KiB before authentication (and `budget` bytes of partial frames).
private func withSmallLimit<T: Sendable>(budget: Int? = nil, _ body: (TestServer) async throws -> T) async throws -> T {
    let configure: (inout RPCServerConfiguration) -> Void = { configuration in
        configuration.maxUnauthenticatedFrameSize = PartialFrameLimitTests.smallLimit
        if let budget { configuration.maxUnauthenticatedBufferedBytes = budget }
    }
    return try await withTestServer(authorize: callerHook, configure: configure, body)
}

/// The GOAWAY the server sends before it closes. Not read until closed: the
/// server closes with bytes of ours unread, so reading on after the GOAWAY
/// may find the connection reset.
private func readGoAway(_ raw: RawConnection) async throws -> RPCGoAway? {
    try await raw.readFrame(of: .goAway)?.decodePayload(as: RPCGoAway.self)
}

/// The header of a frame whose payload is still to come.
private func header(length: Int, type: FrameType, flags: FrameFlags = [], callID: UInt32) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeFrameHeader(length: length, type: type, flags: flags, callID: callID)
    return Array(buffer.readableBytesView)
}

/// A request payload of `size` bytes that any request type decodes: one
/// field (number 15, bytes) that the receiver does not know and skips.
private func unknownFieldPayload(size: Int) -> ByteBuffer {
    // Tag 0x7a (field 15, length-delimited), a 3-byte varint length, the bytes.
    let length = size - 4
    var buffer = ByteBuffer(bytes: [
        0x7a, UInt8(length & 0x7f | 0x80), UInt8(length >> 7 & 0x7f | 0x80), UInt8(length >> 14),
    ])
    buffer.writeRepeatingByte(0x61, count: length)
    return buffer
}

/// A PING followed by the header and all but the last byte of a MESSAGE
/// frame of `length` bytes, in one write: the server reads the PING and the
/// header together, so its PING ack comes after it has taken (or refused)
/// the frame.
private func pingThenPartialMessage(length: Int) throws -> [UInt8] {
    var buffer = ByteBuffer()
    try Frame(type: .ping, callID: 0, message: RPCPing(opaque: 7)).encode(into: &buffer)
    buffer.writeBytes(header(length: length, type: .message, flags: .endStream, callID: 1))
    buffer.writeRepeatingByte(0, count: length - 1)
    return Array(buffer.readableBytesView)
}

@Suite("Memory held for connections that have not authenticated a call", .timeLimit(.minutes(1)))
struct PartialFrameLimitTests {
    static let smallLimit = 16 * 1024

    @Test(
        "before a call is authenticated, a frame above the smaller limit ends the connection; Health does not lift it")
    func unauthenticatedFrameLimit() async throws {
        try await withSmallLimit { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                let settings = try #require(try await raw.handshake())
                #expect(
                    settings.maxFrameSize == UInt32(RPCProtocol.defaultMaxFrameSize), "SETTINGS name the full limit")
                try await raw.sendCall(1, method: TestMethods.health, HealthRequest())
                #expect(try await raw.readStatus(of: 1)?.code == 0)
                try await raw.send(header(length: Self.smallLimit + 1, type: .message, callID: 3))
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.resourceExhausted.rawValue)
            #expect(
                goAway?.message
                    == "MESSAGE frame of 16385 bytes exceeds the limit before a call on the connection is authenticated, 16384"
            )
            #expect(try await server.expectHealthy())
        }
    }

    @Test("the HEADERS of an authenticated call lift the limit, for its own request too")
    func authenticatedCallLiftsTheLimit() async throws {
        try await withSmallLimit { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                var wire = ByteBuffer()
                try Frame(
                    type: .headers, callID: 1,
                    message: RPCCallHeaders(
                        method: TestMethods.whoAmI, metadata: [RPCMetadataEntry(key: "x-caller", value: "acme")])
                ).encode(into: &wire)
                Frame(type: .message, flags: .endStream, callID: 1, payload: unknownFieldPayload(size: 100_000))
                    .encode(into: &wire)
                try await raw.send(Array(wire.readableBytesView))
                let response = try #require(try await raw.readFrame(of: .message))
                #expect(try response.decodePayload(as: Interview.self).companyID == "acme")
                #expect(try await raw.readStatus(of: 1)?.code == 0)
                // Later frames may be as large, with no call open.
                try await raw.send(
                    Frame(type: .message, flags: .endStream, callID: 3, payload: unknownFieldPayload(size: 100_000)))
                let status = try #require(try await raw.readStatus(of: 3))
                #expect(status.message == "MESSAGE for call 3 before its HEADERS")
            }
        }
    }

    @Test("a call whose key is refused does not lift the limit")
    func refusedCallKeepsTheLimit() async throws {
        try await withSmallLimit { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                var wire = ByteBuffer()
                try Frame(type: .headers, callID: 1, message: RPCCallHeaders(method: TestMethods.whoAmI))
                    .encode(into: &wire)
                Frame(type: .message, flags: .endStream, callID: 1, payload: unknownFieldPayload(size: 20_000))
                    .encode(into: &wire)
                try await raw.send(Array(wire.readableBytesView))
                return try await readGoAway(raw)
            }
            #expect(goAway?.code == StatusCode.resourceExhausted.rawValue)
            #expect(goAway?.message.hasPrefix("MESSAGE frame of 20000 bytes exceeds the limit before") == true)
        }
    }

    @Test("without an authorize hook every connection takes frames up to max_frame_size")
    func noHookNoSmallerLimit() async throws {
        try await withTestServer(setting: \.maxUnauthenticatedFrameSize, to: Self.smallLimit) { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(
                    Frame(type: .message, flags: .endStream, callID: 1, payload: unknownFieldPayload(size: 100_000)))
                let status = try #require(try await raw.readStatus(of: 1))
                #expect(status.message == "MESSAGE for call 1 before its HEADERS")
            }
        }
    }

    @Test("partial frames of unauthenticated connections share one budget; a finished frame gives its share back")
    func sharedBudget() async throws {
        // One whole 16 KiB frame (header included) fits; a second does not.
        let frame = Self.smallLimit + Frame.headerSize
        try await withSmallLimit(budget: frame + frame / 2) { server in
            try await withRawConnection(to: server.path) { first in
                try await first.handshake()
                try await first.send(pingThenPartialMessage(length: Self.smallLimit))
                #expect(try await first.readFrame(of: .ping)?.flags.contains(.ack) == true)
                let refused = try await withRawConnection(to: server.path) { second in
                    try await second.handshake()
                    try await second.send(pingThenPartialMessage(length: Self.smallLimit))
                    return try await readGoAway(second)
                }
                #expect(refused?.code == StatusCode.resourceExhausted.rawValue)
                #expect(
                    refused?.message
                        == "the server holds its limit of \(frame + frame / 2) bytes of partly received frames from connections that have not authenticated a call; closing"
                )
                // The first frame completes (a MESSAGE before its HEADERS): its share is free again.
                try await first.send([0])
                #expect(try await first.readStatus(of: 1)?.message == "MESSAGE for call 1 before its HEADERS")
                try await withRawConnection(to: server.path) { third in
                    try await third.handshake()
                    try await third.send(pingThenPartialMessage(length: Self.smallLimit))
                    #expect(try await third.readFrame()?.type == .ping, "the third is taken, not sent GOAWAY")
                    try await third.send([0])
                    #expect(try await third.readStatus(of: 1)?.code == StatusCode.invalidArgument.rawValue)
                }
            }
        }
    }

    @Test("a frame left unfinished beyond the frame timeout ends the connection")
    func frameTimeout() async throws {
        try await withTestServer(setting: \.frameTimeout, to: .milliseconds(200)) { server in
            let goAway = try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                try await raw.send(header(length: 1000, type: .message, flags: .endStream, callID: 1) + [1, 2, 3])
                return try await raw.readUntilClosed()
            }
            #expect(goAway?.code == StatusCode.deadlineExceeded.rawValue)
            #expect(goAway?.message == "a frame was left unfinished for 200 ms; closing")
            #expect(try await server.expectHealthy())
        }
    }
}
