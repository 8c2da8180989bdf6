import InterviewsModel
import InterviewsWire
import NIOCore
import NIOPosix
import RPCCore

/// A connection that writes raw bytes and reads raw frames, for the bad
/// input InterviewsClient cannot send. Adapted from
/// Tests/RPCTests/Support/RawConnection.swift: calls carry metadata (the API
/// key) and request payloads may be arbitrary bytes.
final class RawConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var received = ByteBuffer()
    private var decoder = FrameDecoder(maxFrameSize: 64 * 1024 * 1024, expectsPreface: false)
    /// The last GOAWAY read, if any: why the server closed the connection.
    private(set) var goAway: RPCGoAway?

    fileprivate init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    func send(_ frame: Frame) async throws {
        var buffer = ByteBuffer()
        frame.encode(into: &buffer)
        try await send(Array(buffer.readableBytesView))
    }

    func send(_ type: FrameType, flags: FrameFlags = [], callID: UInt32, _ message: some WireCodable) async throws {
        try await send(Frame(type: type, flags: flags, callID: callID, message: message))
    }

    /// A frame header (12 bytes) as the protocol lays it out.
    static func header(length: UInt32, type: FrameType, flags: UInt8 = 0, callID: UInt32) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(length, endianness: .big)
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(UInt16(0), endianness: .big)
        buffer.writeInteger(callID, endianness: .big)
        return Array(buffer.readableBytesView)
    }

    /// A call's HEADERS (with `authorization: Bearer <apiKey>` when given) and
    /// a request MESSAGE with END_STREAM holding exactly `payload`.
    func sendCall(
        _ id: UInt32, method: String, apiKey: String?, payload: [UInt8], initialWindow: UInt32 = 0
    ) async throws {
        let metadata = apiKey.map { [RPCMetadataEntry(key: "authorization", value: "Bearer \($0)")] } ?? []
        try await send(
            .headers, callID: id, RPCCallHeaders(method: method, metadata: metadata, initialWindow: initialWindow))
        try await send(
            Frame(type: .message, flags: .endStream, callID: id, payload: ByteBuffer(bytes: payload)))
    }

    /// A call whose request is `request`, encoded.
    func sendCall(
        _ id: UInt32, method: String, apiKey: String?, _ request: some WireCodable, initialWindow: UInt32 = 0
    ) async throws {
        var payload = ByteBuffer()
        try request.encode(into: &payload)
        try await sendCall(
            id, method: method, apiKey: apiKey, payload: Array(payload.readableBytesView), initialWindow: initialWindow)
    }

    /// Sends the preface and SETTINGS and returns the server's SETTINGS.
    ///
    /// - Throws: when the server answers with anything else (naming its GOAWAY).
    @discardableResult
    func handshake() async throws -> RPCSettings {
        try await send(RPCProtocol.preface)
        try await send(.settings, callID: 0, RPCSettings(protocolVersion: 1))
        guard let frame = try await readFrame(), frame.type == .settings else {
            throw ServerProcessError("no SETTINGS from the server; GOAWAY: \(String(describing: goAway))")
        }
        return try frame.decodePayload(as: RPCSettings.self)
    }

    /// The next frame, or nil once the server has closed the connection.
    func readFrame() async throws -> Frame? {
        while true {
            if let frame = try decoder.next(from: &received) {
                if frame.type == .goAway { goAway = try frame.decodePayload(as: RPCGoAway.self) }
                return frame
            }
            guard var chunk = try await inbound.next() else { return nil }
            received.writeBuffer(&chunk)
        }
    }

    /// Reads until the server closes; returns the GOAWAY seen on the way, if any.
    func readUntilClosed() async throws -> RPCGoAway? {
        while try await readFrame() != nil {}
        return goAway
    }

    /// Reads until the TRAILERS of `callID` arrive.
    func readStatus(of callID: UInt32) async throws -> RPCStatus? {
        while let frame = try await readFrame() {
            if frame.type == .trailers && frame.callID == callID {
                return try frame.decodePayload(as: RPCStatus.self)
            }
        }
        return nil
    }
}

/// Connects to `path`, runs `body` with a raw connection, closes it.
func withRawConnection<T>(to path: String, _ body: (RawConnection) async throws -> T) async throws -> T {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(unixDomainSocketPath: path) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(RawConnection(inbound: inbound, outbound: outbound))
    }
}
