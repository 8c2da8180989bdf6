import NIOCore
import NIOHPACK
import NIOHTTP2
import RPCCore
import RPCUnixSocket
import Synchronization

/// What the endpoint learned of a connection when it accepted it: the peer's
/// credentials (Unix domain socket only) and, for a connection past the
/// endpoint's connection limit, why its calls are refused.
///
/// It sits first in the connection's pipeline and passes every read on
/// unchanged; each stream's ``StreamGuard`` finds it through the stream
/// channel's parent.
final class ConnectionFacts: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The value of ``StreamGuard/peerHeader`` for this connection's calls.
    let peerValue: String?
    /// The message every call of this connection is refused with, if any.
    let refusal: String?

    init(peerValue: String?, refusal: String?) {
        self.peerValue = peerValue
        self.refusal = refusal
    }
}

/// Counts the endpoint's open connections against its limit.
final class ConnectionBudget: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a place; false when the limit is reached.
    func acquire() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.weakCompareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives a place back.
    func release() { open.subtract(1, ordering: .relaxed) }

    /// How many places are taken.
    var count: Int { open.load(ordering: .relaxed) }
}

/// The endpoint's own handler at the front of every HTTP/2 stream, before
/// grpc-swift's:
///
/// - it removes any ``peerHeader`` a client sent and adds the connection's
///   own (the peer credentials the kernel reported, tagged with the
///   endpoint's secret token), so that the Admin methods can check the
///   caller's uid as on the native socket;
/// - it reads the 5-byte prefix of each request message as it arrives and
///   answers a message longer than the limit with `RESOURCE_EXHAUSTED`
///   naming the length and the limit, before any of it is buffered
///   (grpc-swift would reset the stream, which clients report as
///   `CANCELLED`);
/// - on a connection past the connection limit it answers every call with
///   `RESOURCE_EXHAUSTED` naming the limit.
///
/// An answered stream is ended with RST_STREAM `NO_ERROR` after the trailers
/// (the client stops sending) and what else arrives on it is dropped.
final class StreamGuard: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The metadata entry carrying the caller's credentials to the router:
    /// `TOKEN UID GID PID`.
    static let peerHeader = "interviews-peer-credentials"
    /// The gRPC status code every answer of the guard carries.
    private static let resourceExhausted = 8
    private static let hexDigits = Array("0123456789ABCDEF".unicodeScalars)

    private let maxMessageSize: Int
    private let peerValue: String?
    private let refusal: String?
    /// How many bytes of the current message's 5-byte prefix (a flag, then
    /// the length, big-endian) have been read, and the length so far.
    private var prefixRead = 0
    private var declaredLength = 0
    /// Bytes of the current message still to come.
    private var remaining = 0
    private var responseHeadersSent = false
    private var responseEnded = false
    private var answered = false

    init(maxMessageSize: Int, facts: ConnectionFacts?) {
        self.maxMessageSize = maxMessageSize
        self.peerValue = facts?.peerValue
        self.refusal = facts?.refusal
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        var payload = unwrapInboundIn(data)
        switch payload {
        case .headers(var headers):
            headers.headers.remove(name: Self.peerHeader)
            if let refusal {
                answer(context, refusal)
                return
            }
            if let peerValue { headers.headers.add(name: Self.peerHeader, value: peerValue) }
            payload = .headers(headers)
        case .data(let data):
            if case .byteBuffer(let buffer) = data.data, let length = oversizedMessage(in: buffer) {
                answer(
                    context,
                    "request message is \(length) bytes; the limit is \(maxMessageSize) bytes (--max-frame-size)")
                return
            }
        default:
            break
        }
        context.fireChannelRead(wrapInboundOut(payload))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if answered {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if case .headers(let headers) = unwrapOutboundIn(data) {
            responseHeadersSent = true
            if headers.endStream { responseEnded = true }
        } else if case .data(let frame) = unwrapOutboundIn(data), frame.endStream {
            responseEnded = true
        }
        context.write(data, promise: promise)
    }

    /// The declared length of the first message in `buffer` (continuing the
    /// stream's earlier DATA frames) that is over the limit, if any.
    private func oversizedMessage(in buffer: ByteBuffer) -> Int? {
        let bytes = buffer.readableBytesView
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if remaining > 0 {
                let step = min(remaining, bytes.endIndex - index)
                remaining -= step
                index += step
                continue
            }
            // Byte 0 is the compression flag; bytes 1-4 the length.
            if prefixRead > 0 { declaredLength = declaredLength << 8 | Int(bytes[index]) }
            prefixRead += 1
            index += 1
            if prefixRead == 5 {
                let length = declaredLength
                (prefixRead, declaredLength) = (0, 0)
                if length > maxMessageSize { return length }
                remaining = length
            }
        }
        return nil
    }

    /// Ends the call with `RESOURCE_EXHAUSTED` and `message` (trailers only,
    /// or trailers after the response headers already sent) and resets the
    /// stream.
    private func answer(_ context: ChannelHandlerContext, _ message: String) {
        answered = true
        if !responseEnded {
            var headers = HPACKHeaders()
            if !responseHeadersSent {
                headers.add(name: ":status", value: "200")
                headers.add(name: "content-type", value: "application/grpc")
            }
            headers.add(name: "grpc-status", value: String(Self.resourceExhausted))
            headers.add(name: "grpc-message", value: Self.percentEncoded(message))
            context.write(
                wrapOutboundOut(.headers(HTTP2Frame.FramePayload.Headers(headers: headers, endStream: true))),
                promise: nil)
        }
        // RST_STREAM NO_ERROR after a complete response tells the client to
        // stop sending (RFC 9113, 8.1); it keeps the status it has read.
        context.writeAndFlush(wrapOutboundOut(.rstStream(.noError)), promise: nil)
    }

    /// `grpc-message` encoding: bytes outside printable ASCII, and `%`,
    /// as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hexDigits[Int(byte >> 4)])
                out.unicodeScalars.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

/// The ``StreamGuard/peerHeader`` value: the endpoint's secret token and the
/// credentials; and its parsing back, which trusts only values carrying the
/// token (so that, even if a stream ever came through without a guard, a
/// client could not name its own uid).
struct PeerHeaderCodec: Sendable {
    let token: String

    /// A codec with a fresh random 128-bit token.
    init() {
        var generator = SystemRandomNumberGenerator()
        token = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }

    func encode(_ peer: PeerCredentials) -> String { "\(token) \(peer.uid) \(peer.gid) \(peer.pid)" }

    func decode(_ value: String) -> PeerCredentials? {
        let parts = value.split(separator: " ")
        guard parts.count == 4, parts[0] == token, let uid = UInt32(parts[1]), let gid = UInt32(parts[2]),
            let pid = Int32(parts[3])
        else { return nil }
        return PeerCredentials(uid: uid, gid: gid, pid: pid)
    }
}
