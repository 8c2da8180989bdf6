import InterviewsModel
import InterviewsWire
import NIOCore
import NIOPosix
import RPCCore

/// A connection that writes raw bytes and reads raw frames: for tests that
/// break the protocol on purpose and for the byte dumps in docs/PROTOCOL.md.
final class RawConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var received = ByteBuffer()
    private var decoder = FrameDecoder(maxFrameSize: 64 * 1024 * 1024, expectsPreface: false)
    /// Every byte written, in order.
    private(set) var sentBytes: [UInt8] = []
    /// Every byte read, in order.
    private(set) var receivedBytes: [UInt8] = []

    fileprivate init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func send(_ bytes: [UInt8]) async throws {
        sentBytes += bytes
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

    /// A unary or streaming call's HEADERS and request MESSAGE, in one write so that no
    /// server timer can fire between the two frames.
    func sendCall(_ id: UInt32, method: String, _ request: some WireCodable, initialWindow: UInt32 = 0) async throws {
        var buffer = ByteBuffer()
        try Frame(type: .headers, callID: id, message: RPCCallHeaders(method: method, initialWindow: initialWindow))
            .encode(into: &buffer)
        try Frame(type: .message, flags: .endStream, callID: id, message: request).encode(into: &buffer)
        try await send(Array(buffer.readableBytesView))
    }

    /// Sends the preface, SETTINGS and `frames` in one write, so that the
    /// server reads them together (no timer can fire in between).
    func sendWithHandshake(_ frames: [Frame]) async throws {
        var buffer = ByteBuffer(bytes: RPCProtocol.preface)
        try Frame(type: .settings, callID: 0, message: RPCSettings(protocolVersion: 1)).encode(into: &buffer)
        for frame in frames {
            frame.encode(into: &buffer)
        }
        try await send(Array(buffer.readableBytesView))
    }

    /// Sends the preface and SETTINGS and returns the server's SETTINGS.
    @discardableResult
    func handshake() async throws -> RPCSettings? {
        try await send(RPCProtocol.preface)
        try await send(.settings, callID: 0, RPCSettings(protocolVersion: 1))
        guard let frame = try await readFrame(), frame.type == .settings else { return nil }
        return try frame.decodePayload(as: RPCSettings.self)
    }

    /// The next frame, or nil once the server has closed the connection.
    func readFrame() async throws -> Frame? {
        while true {
            if let frame = try decoder.next(from: &received) {
                return frame
            }
            guard var chunk = try await inbound.next() else { return nil }
            receivedBytes += chunk.readableBytesView
            received.writeBuffer(&chunk)
        }
    }

    /// Reads frames until one of `type` arrives (nil at EOF).
    func readFrame(of type: FrameType) async throws -> Frame? {
        while let frame = try await readFrame() {
            if frame.type == type { return frame }
        }
        return nil
    }

    /// Reads until the server closes; returns the GOAWAY seen on the way, if any.
    func readUntilClosed() async throws -> RPCGoAway? {
        var goAway: RPCGoAway?
        while let frame = try await readFrame() {
            if frame.type == .goAway {
                goAway = try frame.decodePayload(as: RPCGoAway.self)
            }
        }
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

    /// Reads the next `count` frames, which must be MESSAGE frames of
    /// `callID` holding Interviews; returns their ids.
    func readMessages(of callID: UInt32, count: Int) async throws -> [String] {
        var ids: [String] = []
        while ids.count < count {
            guard let frame = try await readFrame() else { throw RawConnectionError("closed after \(ids.count)") }
            guard frame.type == .message, frame.callID == callID else {
                throw RawConnectionError("expected MESSAGE of call \(callID), got \(frame.type) of \(frame.callID)")
            }
            ids.append(try frame.decodePayload(as: Interview.self).id)
        }
        return ids
    }

    /// Sends a PING and reads the next frame: true when it is the PING's ACK,
    /// i.e. the server sent nothing else in between.
    func pingIsNext() async throws -> Bool {
        try await send(.ping, callID: 0, RPCPing(opaque: 0x5049_4E47))
        guard let frame = try await readFrame() else { return false }
        return frame.type == .ping && frame.flags == .ack
            && (try? frame.decodePayload(as: RPCPing.self).opaque) == 0x5049_4E47
    }

    /// Stops writing (half-close is not used by the protocol: this closes).
    func finish() {
        outbound.finish()
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

/// A raw connection read something other than what the test expected.
struct RawConnectionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
