public import InterviewsWire
public import NIOCore

/// The type of a frame: the byte at offset 4 of its header.
///
/// A struct rather than a closed enum so that a frame of a type this build
/// does not know can still be named in an error; ``FrameDecoder`` rejects it.
public struct FrameType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The type's byte on the wire.
    public var rawValue: UInt8

    /// Wraps a raw type byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Opens a call; payload `interviews.rpc.v1.CallHeaders`.
    public static let headers = FrameType(rawValue: 0x1)
    /// One request or response message of the called method, protobuf-encoded.
    public static let message = FrameType(rawValue: 0x2)
    /// Ends a call; payload `interviews.rpc.v1.Status`.
    public static let trailers = FrameType(rawValue: 0x3)
    /// Connection settings (call id 0); payload `interviews.rpc.v1.Settings`.
    public static let settings = FrameType(rawValue: 0x4)
    /// The client abandons a call; payload `interviews.rpc.v1.Cancel`.
    public static let cancel = FrameType(rawValue: 0x5)
    /// More message credit for a server stream; payload `interviews.rpc.v1.WindowUpdate`.
    public static let windowUpdate = FrameType(rawValue: 0x6)
    /// Liveness check (call id 0), echoed with ``FrameFlags/ack``; payload `interviews.rpc.v1.Ping`.
    public static let ping = FrameType(rawValue: 0x7)
    /// The sender starts no new calls (call id 0); payload `interviews.rpc.v1.GoAway`.
    public static let goAway = FrameType(rawValue: 0x8)

    /// Whether protocol version 1 defines this type.
    public var isKnown: Bool { rawValue >= 0x1 && rawValue <= 0x8 }

    /// Whether frames of this type belong to the connection (call id 0)
    /// rather than to one call.
    public var isConnectionLevel: Bool { self == .settings || self == .ping || self == .goAway }

    /// The protocol's name for the type, e.g. `WINDOW_UPDATE`, or `0x9` for an unknown one.
    public var description: String {
        switch self {
        case .headers: "HEADERS"
        case .message: "MESSAGE"
        case .trailers: "TRAILERS"
        case .settings: "SETTINGS"
        case .cancel: "CANCEL"
        case .windowUpdate: "WINDOW_UPDATE"
        case .ping: "PING"
        case .goAway: "GOAWAY"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}

/// The flags byte of a frame header (offset 5). Bits a frame type does not
/// define are ignored.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    /// The flag bits.
    public var rawValue: UInt8

    /// Wraps raw flag bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// On a MESSAGE: the last message the sender sends on this call. The
    /// client sets it on its one request message.
    public static let endStream = FrameFlags(rawValue: 0x1)
    /// On a PING or SETTINGS: this frame answers the peer's.
    public static let ack = FrameFlags(rawValue: 0x1)
}

/// One frame of the RPC protocol: a fixed 12-byte header and a payload.
///
/// Header layout (all integers big endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | payload length in bytes |
/// | 4 | 1 | type (``FrameType``) |
/// | 5 | 1 | flags (``FrameFlags``) |
/// | 6 | 2 | reserved, must be 0 |
/// | 8 | 4 | call id; 0 for connection-level frames |
public struct Frame: Sendable, Hashable {
    /// The size of every frame header in bytes.
    public static let headerSize = 12

    /// What the frame carries.
    public var type: FrameType
    /// Flag bits; their meaning depends on ``type``.
    public var flags: FrameFlags
    /// The call the frame belongs to; 0 for SETTINGS, PING and GOAWAY.
    public var callID: UInt32
    /// The payload: the readable bytes of this buffer. A payload built with
    /// ``makePayloadBuffer(allocator:capacity:)`` has room for the header in
    /// front of it, so ``FrameEncoder`` writes the frame without a copy.
    public var payload: ByteBuffer

    /// Creates a frame.
    public init(type: FrameType, flags: FrameFlags = [], callID: UInt32, payload: ByteBuffer) {
        self.type = type
        self.flags = flags
        self.callID = callID
        self.payload = payload
    }

    /// Creates a control frame whose payload is `message`, encoded.
    ///
    /// - Throws: ``RPCError`` (`INTERNAL`) when `message` cannot be encoded
    ///   (a string holding NUL): a bug of the sender, not of the peer.
    public init(
        type: FrameType, flags: FrameFlags = [], callID: UInt32, message: some WireCodable,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(RPCError) {
        var payload = Frame.makePayloadBuffer(allocator: allocator, capacity: 64)
        do {
            try message.encode(into: &payload)
        } catch {
            throw RPCError(.internalError, "cannot encode \(type) payload: \(error.message)")
        }
        self.init(type: type, flags: flags, callID: callID, payload: payload)
    }

    /// An empty buffer with ``headerSize`` bytes of headroom in front of its
    /// reader index: encode a payload into it and the header is later written
    /// into the headroom, so payload and header go out as one buffer.
    ///
    /// - Parameter capacity: The expected payload size (a hint).
    public static func makePayloadBuffer(allocator: ByteBufferAllocator, capacity: Int) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: headerSize + capacity)
        buffer.writeRepeatingByte(0, count: headerSize)
        buffer.moveReaderIndex(forwardBy: headerSize)
        return buffer
    }

    /// Writes the 12-byte header for this frame to `buffer`.
    public func writeHeader(into buffer: inout ByteBuffer) {
        buffer.writeFrameHeader(length: payload.readableBytes, type: type, flags: flags, callID: callID)
    }

    /// Appends the whole frame (header and a copy of the payload) to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        writeHeader(into: &buffer)
        var payload = payload
        buffer.writeBuffer(&payload)
    }

    /// The frame as one buffer, writing the header into the payload's
    /// headroom when it has some (no copy), else into a new buffer.
    public func serialized(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = payload
        let start = buffer.readerIndex - Frame.headerSize
        guard start >= 0 else {
            var out = allocator.buffer(capacity: Frame.headerSize + payload.readableBytes)
            encode(into: &out)
            return out
        }
        buffer.setInteger(UInt32(payload.readableBytes), at: start, endianness: .big)
        buffer.setInteger(type.rawValue, at: start + 4)
        buffer.setInteger(flags.rawValue, at: start + 5)
        buffer.setInteger(UInt16(0), at: start + 6, endianness: .big)
        buffer.setInteger(callID, at: start + 8, endianness: .big)
        buffer.moveReaderIndex(to: start)
        return buffer
    }

    /// Decodes the payload as a control message.
    ///
    /// - Throws: ``RPCError`` (`INVALID_ARGUMENT`) naming the frame type and the field.
    public func decodePayload<M: WireCodable>(as type: M.Type) throws(RPCError) -> M {
        do {
            return try M.decode(payload, maxSize: .max)
        } catch {
            throw RPCError(.invalidArgument, "malformed \(self.type) payload: \(error.message)")
        }
    }
}
