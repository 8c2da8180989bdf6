// Feeds a connection's inbound byte stream, from the preface on, to the
// server's FrameDecoder twice: whole, and in chunks of the size the first input
// byte gives (as reads from a socket arrive). Both must yield the same frames
// and the same error; a frame's header and payload must account for exactly the
// bytes consumed; every control frame's payload is decoded as the server does.

import FuzzSupport
import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore

/// What decoding a stream produced: the frames, the error that ended it, and
/// the bytes left unconsumed.
struct Outcome {
    var frames: [Frame] = []
    var error: RPCError?
    var leftover = 0

    /// The same frames, bytes left and error code. The message of a bad
    /// preface quotes the bytes seen so far, which depend on the chunking.
    func agrees(with other: Outcome) -> Bool {
        frames == other.frames && leftover == other.leftover && error?.code == other.error?.code
    }
}

/// Small enough that the oversized-frame path is cheap to reach.
let maxFrameSize = RPCProtocol.minMaxFrameSize

func decodeWhole(_ stream: UnsafeRawBufferPointer) -> Outcome {
    var decoder = FrameDecoder(maxFrameSize: maxFrameSize, expectsPreface: true)
    var buffer = ByteBuffer(bytes: stream)
    var outcome = Outcome()
    drain(&decoder, &buffer, into: &outcome)
    outcome.leftover = buffer.readableBytes
    return outcome
}

func decodeChunked(_ stream: UnsafeRawBufferPointer, chunk: Int) -> Outcome {
    var decoder = FrameDecoder(maxFrameSize: maxFrameSize, expectsPreface: true)
    var buffer = ByteBuffer()
    var outcome = Outcome()
    var offset = 0
    while offset < stream.count && outcome.error == nil {
        let end = min(offset + chunk, stream.count)
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
        offset = end
        drain(&decoder, &buffer, into: &outcome)
    }
    outcome.leftover = buffer.readableBytes + (stream.count - offset)
    return outcome
}

func drain(_ decoder: inout FrameDecoder, _ buffer: inout ByteBuffer, into outcome: inout Outcome) {
    while outcome.error == nil {
        do {
            guard let frame = try decoder.next(from: &buffer) else { return }
            outcome.frames.append(frame)
        } catch {
            outcome.error = error
        }
    }
}

/// Decodes a control frame's payload as the server's connection handler does.
func decodePayload(of frame: Frame) {
    do {
        switch frame.type {
        case .headers: _ = try frame.decodePayload(as: RPCCallHeaders.self)
        case .trailers: _ = try frame.decodePayload(as: RPCStatus.self)
        case .settings: _ = try frame.decodePayload(as: RPCSettings.self)
        case .cancel: _ = try frame.decodePayload(as: RPCCancel.self)
        case .windowUpdate: _ = try frame.decodePayload(as: RPCWindowUpdate.self)
        case .ping: _ = try frame.decodePayload(as: RPCPing.self)
        case .goAway: _ = try frame.decodePayload(as: RPCGoAway.self)
        default: return
        }
    } catch {
        guard error.code == .invalidArgument else { fuzzFailure("payload error with code \(error.code): \(error)") }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    writeSeedsIfAsked(seeds)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let first = input.first else { return 0 }
    let stream = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[1...]))
    let whole = decodeWhole(stream)
    let chunked = decodeChunked(stream, chunk: Int(first % 64) + 1)
    guard whole.agrees(with: chunked) else {
        fuzzFailure(
            "whole and chunked decodes differ: \(whole.frames.count) frames, \(String(describing: whole.error)) vs "
                + "\(chunked.frames.count) frames, \(String(describing: chunked.error))")
    }
    if whole.error == nil {
        let preface = stream.count >= RPCProtocol.preface.count ? RPCProtocol.preface.count : 0
        let framed = whole.frames.reduce(0) { $0 + Frame.headerSize + $1.payload.readableBytes }
        guard preface + framed + whole.leftover == stream.count else {
            fuzzFailure("frames account for \(preface + framed) of \(stream.count - whole.leftover) consumed bytes")
        }
    }
    for frame in whole.frames {
        guard frame.payload.readableBytes <= maxFrameSize else { fuzzFailure("frame over max_frame_size") }
        decodePayload(of: frame)
    }
    return 0
}

// MARK: Seeds: the conversations of the protocol tests, as a client sends them.

func frame(_ type: FrameType, flags: FrameFlags = [], callID: UInt32, _ message: some WireCodable) -> [UInt8] {
    var payload = ByteBuffer()
    try? message.encode(into: &payload)
    let frame = Frame(type: type, flags: flags, callID: callID, payload: payload)
    var out = ByteBuffer()
    frame.encode(into: &out)
    return out.readBytes(length: out.readableBytes) ?? []
}

func seeds() -> [(name: String, bytes: [UInt8])] {
    let preface = RPCProtocol.preface
    let settings = frame(
        .settings, callID: 0,
        RPCSettings(
            protocolVersion: 1, maxFrameSize: 1 << 22, maxConcurrentCalls: 100, initialWindow: 64,
            agent: "interviews-swift/1"))
    let auth = [RPCMetadataEntry(key: "authorization", value: "Bearer ik_0123456789abcdef")]
    let get =
        frame(
            .headers, callID: 1,
            RPCCallHeaders(method: "/interviews.v1.Interviews/GetInterview", metadata: auth, timeoutMicros: 5_000_000))
        + frame(.message, flags: .endStream, callID: 1, GetInterviewRequest(companyID: "acme", id: "id-1"))
    let watch =
        frame(
            .headers, callID: 3,
            RPCCallHeaders(method: "/interviews.v1.Interviews/WatchInterviews", metadata: auth, initialWindow: 2))
        + frame(.message, flags: .endStream, callID: 3, WatchRequest(companyID: "acme", afterSequence: 5))
        + frame(.windowUpdate, callID: 3, RPCWindowUpdate(credit: 8))
        + frame(.cancel, callID: 3, RPCCancel(reason: "done"))
    let health =
        frame(.headers, callID: 5, RPCCallHeaders(method: "/interviews.v1.Health/Check"))
        + frame(.message, flags: .endStream, callID: 5, HealthRequest())
    let ping = frame(.ping, callID: 0, RPCPing(opaque: 42)) + frame(.ping, flags: .ack, callID: 0, RPCPing(opaque: 7))
    let goAway = frame(.goAway, callID: 0, RPCGoAway(lastCallID: 5, code: 0, message: "bye"))
    let chunk: [UInt8] = [7]
    return [
        ("preface", chunk + preface),
        ("settings", chunk + preface + settings),
        ("get", [0] + preface + settings + get),
        ("watch", [12] + preface + settings + watch),
        ("health", [63] + preface + settings + health),
        ("ping-goaway", [3] + preface + settings + ping + goAway),
        ("everything", [31] + preface + settings + get + watch + health + ping + goAway),
        ("bad-preface", chunk + Array("interviews-rpc/2".utf8) + settings),
        ("oversized", chunk + preface + [0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1]),
        ("unknown-type", chunk + preface + [0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 1]),
    ]
}
