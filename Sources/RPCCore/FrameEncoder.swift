public import NIOCore

/// Writes ``Frame``s to the wire.
///
/// A payload with header room in front of it (see
/// ``Frame/makePayloadBuffer(allocator:capacity:)``) gets its header written
/// in place and goes out as one buffer without a copy; any other payload is
/// copied behind a fresh header.
public final class FrameEncoder: ChannelOutboundHandler, Sendable {
    /// Frames come in from the handlers above.
    public typealias OutboundIn = Frame
    /// Bytes go out to the socket.
    public typealias OutboundOut = ByteBuffer

    /// Creates an encoder.
    public init() {}

    /// Serializes one frame and passes its bytes on.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = Self.unwrapOutboundIn(data)
        context.write(Self.wrapOutboundOut(frame.serialized(allocator: context.channel.allocator)), promise: promise)
    }
}
