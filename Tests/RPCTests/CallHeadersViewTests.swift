import InterviewsWire
import NIOCore
import RPCCore
import Testing

@Suite("HEADERS read in place and written in Swift agree with RPCCallHeaders")
struct CallHeadersViewTests {
    /// A deterministic generator, so that a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        /// Printable ASCII when `plain`, else also a tab and a non-ASCII letter.
        mutating func string(maxLength: Int, plain: Bool) -> String {
            let alphabet = Array((plain ? "abcXYZ019 /._-:=" : "abcXYZ019 /._-:=\té").unicodeScalars)
            let scalars = (0..<below(maxLength + 1)).map { _ in alphabet[below(alphabet.count)] }
            return String(String.UnicodeScalarView(scalars))
        }
    }

    static func headers(_ random: inout Random) -> RPCCallHeaders {
        let plain = random.below(4) != 0
        return RPCCallHeaders(
            method: random.string(maxLength: 60, plain: plain),
            metadata: (0..<random.below(4)).map { _ in
                RPCMetadataEntry(
                    key: random.string(maxLength: 20, plain: plain), value: random.string(maxLength: 200, plain: plain))
            },
            timeoutMicros: random.below(3) == 0 ? 0 : random.next() >> UInt64(random.below(64)),
            initialWindow: random.below(3) == 0 ? 0 : UInt32(truncatingIfNeeded: random.next()))
    }

    @Test("what the view reads equals what RPCCallHeaders decodes, for valid and damaged payloads")
    func viewAgreesWithDecoder() throws {
        var random = Random(state: 42)
        var read = 0
        for round in 0..<3000 {
            var payload = ByteBuffer()
            try Self.headers(&random).encode(into: &payload)
            var bytes = Array(payload.readableBytesView)
            if round % 2 == 1, !bytes.isEmpty {
                // Damage: flip, drop or truncate.
                switch random.below(3) {
                case 0: bytes[random.below(bytes.count)] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                case 1: bytes.remove(at: random.below(bytes.count))
                default: bytes.removeLast(random.below(bytes.count) + 1)
                }
            }
            let buffer = ByteBuffer(bytes: bytes)
            guard let view = CallHeadersView(buffer) else { continue }
            read += 1
            let decoded = try RPCCallHeaders.decode(buffer, maxSize: .max)
            #expect(view.headers == decoded, "round \(round): \(bytes)")
            for entry in decoded.metadata {
                #expect(
                    view.metadataValue(forLowercaseKey: entry.key)
                        == decoded.metadata.first(where: { $0.key == entry.key })?.value)
            }
        }
        #expect(read > 500)
    }

    @Test("writeFrame writes the bytes RPCCallHeaders encodes, behind a HEADERS header")
    func writerAgreesWithEncoder() throws {
        var random = Random(state: 7)
        for _ in 0..<2000 {
            let headers = Self.headers(&random)
            var expected = ByteBuffer()
            try headers.encode(into: &expected)
            var frame = ByteBuffer()
            #expect(
                CallHeadersView.writeFrame(
                    method: headers.method, metadata: headers.metadata, timeoutMicros: headers.timeoutMicros,
                    initialWindow: headers.initialWindow, callID: 9, into: &frame))
            var decoder = FrameDecoder(expectsPreface: false)
            let parsed = try #require(try decoder.next(from: &frame))
            #expect(parsed.type == .headers && parsed.callID == 9)
            #expect(Array(parsed.payload.readableBytesView) == Array(expected.readableBytesView))
        }
        var untouched = ByteBuffer()
        #expect(!CallHeadersView.writeFrame(method: "a\0b", metadata: [], callID: 1, into: &untouched))
        #expect(
            !CallHeadersView.writeFrame(
                method: "m", metadata: [RPCMetadataEntry(key: "k", value: "v\0")], callID: 1, into: &untouched))
        #expect(untouched.readableBytes == 0)
    }
}
