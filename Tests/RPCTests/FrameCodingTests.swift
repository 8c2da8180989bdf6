import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import Testing

@Suite("Frames are encoded and decoded byte for byte")
struct FrameCodingTests {
    private func frameBytes(type: UInt8, flags: UInt8 = 0, reserved: UInt16 = 0, callID: UInt32, payload: [UInt8])
        -> ByteBuffer
    {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(payload.count), endianness: .big)
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(reserved, endianness: .big)
        buffer.writeInteger(callID, endianness: .big)
        buffer.writeBytes(payload)
        return buffer
    }

    @Test("the header is 12 bytes: length, type, flags, reserved, call id, big endian")
    func headerLayout() throws {
        let frame = Frame(
            type: .message, flags: .endStream, callID: 0x0102_0304, payload: ByteBuffer(bytes: [0xAA, 0xBB]))
        var out = ByteBuffer()
        frame.encode(into: &out)
        #expect(Array(out.readableBytesView) == [0, 0, 0, 2, 0x02, 0x01, 0, 0, 1, 2, 3, 4, 0xAA, 0xBB])
    }

    @Test("a payload built with header room is serialized without a copy, to the same bytes")
    func headroom() throws {
        var payload = Frame.makePayloadBuffer(allocator: ByteBufferAllocator(), capacity: 4)
        payload.writeBytes([1, 2, 3])
        let frame = Frame(type: .headers, callID: 7, payload: payload)
        var copied = ByteBuffer()
        frame.encode(into: &copied)
        #expect(frame.serialized(allocator: ByteBufferAllocator()) == copied)
        let plain = Frame(type: .headers, callID: 7, payload: ByteBuffer(bytes: [1, 2, 3]))
        #expect(plain.serialized(allocator: ByteBufferAllocator()) == copied)
    }

    @Test("the decoder waits for a whole frame however the bytes are split")
    func partialFrames() throws {
        let whole = frameBytes(type: 0x2, flags: 1, callID: 3, payload: Array(repeating: 7, count: 300))
        for split in [1, 5, 11, 12, 13, 200, 311] {
            var decoder = FrameDecoder(expectsPreface: false)
            var buffer = ByteBuffer()
            var first = whole.getSlice(at: 0, length: split)!
            buffer.writeBuffer(&first)
            #expect(try decoder.next(from: &buffer) == nil)
            var rest = whole.getSlice(at: split, length: whole.readableBytes - split)!
            buffer.writeBuffer(&rest)
            let frame = try #require(try decoder.next(from: &buffer))
            #expect(frame.type == .message && frame.flags == .endStream && frame.callID == 3)
            #expect(frame.payload.readableBytes == 300)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("an oversized length is rejected from the header alone, before its payload arrives")
    func oversized() throws {
        var decoder = FrameDecoder(maxFrameSize: 1024, expectsPreface: false)
        var header = frameBytes(type: 0x2, callID: 1, payload: [])
        header.setInteger(UInt32(1025), at: 0, endianness: .big)
        let error = #expect(throws: RPCError.self) { try decoder.next(from: &header) }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message == "MESSAGE frame of 1025 bytes exceeds max_frame_size 1024")
        var atLimit = frameBytes(type: 0x2, callID: 1, payload: Array(repeating: 0, count: 1024))
        #expect(try decoder.next(from: &atLimit)?.payload.readableBytes == 1024)
    }

    @Test(
        "header violations are connection errors naming the problem",
        arguments: [
            (UInt8(0x9), UInt16(0), UInt32(1), "unknown frame type 0x9"),
            (UInt8(0x0), UInt16(0), UInt32(1), "unknown frame type 0x0"),
            (UInt8(0x2), UInt16(1), UInt32(1), "MESSAGE frame has reserved bits 0x1; they must be 0"),
            (UInt8(0x4), UInt16(0), UInt32(5), "SETTINGS frame has call id 5; it must be 0"),
            (UInt8(0x1), UInt16(0), UInt32(0), "HEADERS frame has call id 0; call ids start at 1"),
        ])
    func headerViolations(type: UInt8, reserved: UInt16, callID: UInt32, message: String) throws {
        var decoder = FrameDecoder(expectsPreface: false)
        var buffer = frameBytes(type: type, reserved: reserved, callID: callID, payload: [])
        let error = #expect(throws: RPCError.self) { try decoder.next(from: &buffer) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == message)
    }

    @Test("a wrong preface is rejected as soon as a byte differs")
    func wrongPreface() throws {
        var decoder = FrameDecoder(expectsPreface: true)
        var partial = ByteBuffer(string: "interv")
        #expect(try decoder.next(from: &partial) == nil)
        var wrong = ByteBuffer(string: "GET / HTTP/1.1\r\n")
        let error = #expect(throws: RPCError.self) { try decoder.next(from: &wrong) }
        #expect(error?.message.hasPrefix("bad connection preface") == true)
        var good = ByteBuffer(string: "interviews-rpc/1")
        var fresh = FrameDecoder(expectsPreface: true)
        #expect(try fresh.next(from: &good) == nil)
        #expect(good.readableBytes == 0)
    }

    @Test("control payloads round-trip through frames")
    func controlPayloads() throws {
        let status = RPCStatus(code: 5, message: "interview x not found")
        let frame = try Frame(type: .trailers, callID: 9, message: status)
        var bytes = ByteBuffer()
        frame.encode(into: &bytes)
        var decoder = FrameDecoder(expectsPreface: false)
        let decoded = try #require(try decoder.next(from: &bytes))
        #expect(try decoded.decodePayload(as: RPCStatus.self) == status)
        #expect(RPCError(status: status) == RPCError(.notFound, "interview x not found"))
    }
}
