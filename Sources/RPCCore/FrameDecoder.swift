public import NIOCore

/// Splits a byte stream into ``Frame``s (use it in a `ByteToMessageHandler`).
///
/// It never assumes that a whole frame has arrived: it waits for the 12-byte
/// header, checks it, and only then waits for the payload. The length is
/// checked against ``maxFrameSize`` from the header alone, so an oversized
/// frame is rejected before a byte of its payload is buffered.
///
/// Errors are ``RPCError``s, fatal for the connection (the peer answers with
/// GOAWAY): a wrong preface, an oversized length, non-zero reserved bits,
/// an unknown frame type, a connection-level frame with a call id or a call
/// frame without one.
public struct FrameDecoder: ByteToMessageDecoder {
    /// The decoder produces whole frames.
    public typealias InboundOut = Frame

    /// The largest payload accepted, in bytes. It may change between frames:
    /// a server takes smaller frames from a connection until one of its
    /// calls has been authenticated.
    public var maxFrameSize: Int
    /// What the limit is called in the error for a longer frame: "<TYPE>
    /// frame of <n> bytes exceeds <limitName> <maxFrameSize>".
    public var limitName = "max_frame_size"
    private var awaitingPreface: Bool

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - maxFrameSize: The largest payload accepted (default 4 MiB).
    ///   - expectsPreface: Whether the stream starts with ``RPCProtocol/preface``
    ///     (true on the server side).
    public init(maxFrameSize: Int = RPCProtocol.defaultMaxFrameSize, expectsPreface: Bool) {
        self.maxFrameSize = maxFrameSize
        self.awaitingPreface = expectsPreface
    }

    /// Decodes the next frame, or asks for more data.
    ///
    /// - Throws: ``RPCError`` for a violation that ends the connection.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    /// Decodes what is left when the peer closes; a partial frame is dropped.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// Reads one frame from `buffer` if it holds a whole one; consumes
    /// nothing otherwise (except a complete preface).
    ///
    /// - Throws: ``RPCError`` for a violation that ends the connection.
    public mutating func next(from buffer: inout ByteBuffer) throws(RPCError) -> Frame? {
        if awaitingPreface {
            let expected = RPCProtocol.preface
            let available = min(buffer.readableBytes, expected.count)
            guard let seen = buffer.getBytes(at: buffer.readerIndex, length: available) else { return nil }
            guard seen[...] == expected[..<available] else {
                throw RPCError(
                    .invalidArgument,
                    "bad connection preface: expected the 16 bytes \"interviews-rpc/1\", got \(Self.describe(seen))")
            }
            guard available == expected.count else { return nil }
            buffer.moveReaderIndex(forwardBy: expected.count)
            awaitingPreface = false
        }
        guard buffer.readableBytes >= Frame.headerSize else { return nil }
        let start = buffer.readerIndex
        let length = Int(buffer.getInteger(at: start, endianness: .big, as: UInt32.self)!)
        let type = FrameType(rawValue: buffer.getInteger(at: start + 4, as: UInt8.self)!)
        let flags = FrameFlags(rawValue: buffer.getInteger(at: start + 5, as: UInt8.self)!)
        let reserved = buffer.getInteger(at: start + 6, endianness: .big, as: UInt16.self)!
        let callID = buffer.getInteger(at: start + 8, endianness: .big, as: UInt32.self)!
        guard length <= maxFrameSize else {
            throw RPCError(
                .resourceExhausted,
                "\(type) frame of \(length) bytes exceeds \(limitName) \(maxFrameSize)")
        }
        guard reserved == 0 else {
            throw RPCError(
                .invalidArgument, "\(type) frame has reserved bits 0x\(String(reserved, radix: 16)); they must be 0")
        }
        guard type.isKnown else {
            throw RPCError(.invalidArgument, "unknown frame type \(type)")
        }
        if type.isConnectionLevel && callID != 0 {
            throw RPCError(.invalidArgument, "\(type) frame has call id \(callID); it must be 0")
        }
        if !type.isConnectionLevel && callID == 0 {
            throw RPCError(.invalidArgument, "\(type) frame has call id 0; call ids start at 1")
        }
        guard buffer.readableBytes >= Frame.headerSize + length else { return nil }
        buffer.moveReaderIndex(forwardBy: Frame.headerSize)
        let payload = buffer.readSlice(length: length)!
        return Frame(type: type, flags: flags, callID: callID, payload: payload)
    }

    /// The payload length of the frame whose whole header starts `buffer`'s
    /// readable bytes, once the preface has been read; nil otherwise, and
    /// for a length above ``maxFrameSize`` (which ``next(from:)`` rejects).
    /// Nothing is consumed.
    public func pendingPayloadLength(in buffer: ByteBuffer) -> Int? {
        guard !awaitingPreface, buffer.readableBytes >= Frame.headerSize,
            let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self),
            Int(length) <= maxFrameSize
        else { return nil }
        return Int(length)
    }

    /// Printable ASCII as text, anything else as hex, for error messages.
    private static func describe(_ bytes: [UInt8]) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        }
        return bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: " ")
    }
}
