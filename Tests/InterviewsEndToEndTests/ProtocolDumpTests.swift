import Foundation
import InterviewsClient
import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import Testing

/// Records real calls to the real `interviews serve`, API key included, byte
/// for byte, and checks that the byte dumps of docs/PROTOCOL.md are exactly
/// these bytes. The only bytes not shown as sent are those no run repeats,
/// each replaced by a placeholder of the same length (so every length and
/// header stays true), as the document says: the API key's secret and the
/// records' server-assigned ids.
///
/// When the protocol changes, the failure message holds the new dump to
/// paste into the document.
@Suite("The byte dumps in docs/PROTOCOL.md are what the real server sends", .timeLimit(.minutes(2)))
struct ProtocolDumpTests {
    /// Shown instead of the key's secret: the shape of a real one, `ik_<16 hex>_<43 base64url>`.
    static let secretPlaceholder = "ik_0123456789abcdef_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
    /// Shown instead of the records' ids (UUIDv7 text).
    static let idPlaceholders = ["01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002"]

    @Test("a unary Health call, and a StreamInterviews call with flow control")
    func dumps() async throws {
        let server = try await ServerProcess.start(backend: .memory)
        let key = try await server.createKey(.company, ["acme"], label: "doc")
        let client = try await server.client(key)
        var ids: [String] = []
        for title in ["first", "second"] {
            let created = try await client.create(CreateInterviewRequest(interview: Interview(title: title)))
            ids.append(created.id)
        }
        await client.close()

        var mask = Mask()
        try mask.replace(key.secret, with: Self.secretPlaceholder)
        for (id, placeholder) in zip(ids, Self.idPlaceholders) { try mask.replace(id, with: placeholder) }

        let health = try await withRawConnection(to: server.socketPath) { raw in
            try await Self.healthCall(raw, secret: key.secret, mask: mask)
        }
        try Self.check(health, section: "### A unary call: Health")

        let stream = try await withRawConnection(to: server.socketPath) { raw in
            try await Self.streamCall(raw, secret: key.secret, mask: mask)
        }
        try Self.check(stream, section: "### A server stream with flow control: StreamInterviews")

        #expect(try await server.stop() == .exited(0), "\(server.log())")
    }

    /// The preface, SETTINGS and a Health call with the key and a 5 s
    /// deadline; the server's SETTINGS, response and TRAILERS.
    private static func healthCall(_ raw: RawConnection, secret: String, mask: Mask) async throws -> Transcript {
        var log = Transcript(mask: mask)
        try await raw.send(RPCProtocol.preface)
        log.preface()
        let steps: [Frame] = [
            try Frame(type: .settings, callID: 0, message: RPCSettings(protocolVersion: 1, agent: "doc-client")),
            try Frame(
                type: .headers, callID: 1,
                message: RPCCallHeaders(
                    method: MethodNames.health,
                    metadata: [RPCMetadataEntry(key: "authorization", value: "Bearer \(secret)")],
                    timeoutMicros: 5_000_000)),
            Frame(type: .message, flags: .endStream, callID: 1, payload: ByteBuffer()),
        ]
        for frame in steps {
            try await raw.send(frame)
            log.frame(frame, from: "client")
        }
        for _ in 0..<3 {
            log.frame(try #require(try await raw.readFrame()), from: "server")
        }
        return log
    }

    /// After a handshake (not shown), a StreamInterviews call with a window
    /// of one message, and the WINDOW_UPDATE that lets the second through.
    private static func streamCall(_ raw: RawConnection, secret: String, mask: Mask) async throws -> Transcript {
        var log = Transcript(mask: mask)
        try await raw.handshake()
        let open: [Frame] = [
            try Frame(
                type: .headers, callID: 1,
                message: RPCCallHeaders(
                    method: MethodNames.streamInterviews,
                    metadata: [RPCMetadataEntry(key: "authorization", value: "Bearer \(secret)")],
                    initialWindow: 1)),
            try Frame(
                type: .message, flags: .endStream, callID: 1,
                message: ListRequest(companyID: "acme", readMask: ["title"])),
        ]
        for frame in open {
            try await raw.send(frame)
            log.frame(frame, from: "client")
        }
        log.frame(try #require(try await raw.readFrame()), from: "server")
        let update = try Frame(type: .windowUpdate, callID: 1, message: RPCWindowUpdate(credit: 1))
        try await raw.send(update)
        log.frame(update, from: "client")
        for _ in 0..<2 {
            log.frame(try #require(try await raw.readFrame()), from: "server")
        }
        return log
    }

    /// The dump under `section` in docs/PROTOCOL.md (its first fenced block)
    /// must be `transcript`: the same text, hence the same bytes.
    private static func check(_ transcript: Transcript, section: String) throws {
        let block = try #require(Self.block(after: section), "docs/PROTOCOL.md has no dump under \"\(section)\"")
        #expect(
            block == transcript.text,
            "docs/PROTOCOL.md, \"\(section)\", differs from what the server sent; the dump should read:\n\(transcript.text)"
        )
        // The hex column alone, read back, is exactly the bytes of the call.
        #expect(
            Transcript.bytes(inDump: block) == transcript.bytes, "the hex of \"\(section)\" is not the call's bytes")
    }

    /// The first fenced block after the heading `section`, without its fences.
    private static func block(after section: String) -> String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        guard let text = try? String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        else { return nil }
        let lines = text.components(separatedBy: "\n")
        guard let heading = lines.firstIndex(of: section),
            let open = lines[heading...].firstIndex(where: { $0.hasPrefix("```") }),
            let close = lines[(open + 1)...].firstIndex(where: { $0.hasPrefix("```") })
        else { return nil }
        return lines[(open + 1)..<close].map { $0 + "\n" }.joined()
    }
}

/// Byte strings shown as placeholders of the same length.
private struct Mask {
    private(set) var replacements: [([UInt8], [UInt8])] = []

    mutating func replace(_ value: String, with placeholder: String) throws {
        guard value.utf8.count == placeholder.utf8.count else {
            throw ServerProcessError(
                "\"\(value)\" is \(value.utf8.count) bytes, its placeholder \(placeholder.utf8.count): "
                    + "the document's lengths would be wrong")
        }
        replacements.append((Array(value.utf8), Array(placeholder.utf8)))
    }

    func apply(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for (value, placeholder) in replacements where !value.isEmpty {
            var index = 0
            while index + value.count <= out.count {
                if out[index..<(index + value.count)].elementsEqual(value) {
                    out.replaceSubrange(index..<(index + value.count), with: placeholder)
                    index += value.count
                } else {
                    index += 1
                }
            }
        }
        return out
    }
}

/// Frames as annotated hex, the format docs/PROTOCOL.md uses: a line naming
/// the side, frame type, call id, flags and payload length, then the 12-byte
/// header and the payload, 16 bytes a line with their printable ASCII.
private struct Transcript {
    let mask: Mask
    private(set) var text = ""
    /// Every byte shown, in order (masked).
    private(set) var bytes: [UInt8] = []

    init(mask: Mask) { self.mask = mask }

    mutating func preface() {
        text += "client  preface\n" + Self.hex(RPCProtocol.preface)
        bytes += RPCProtocol.preface
    }

    mutating func frame(_ frame: Frame, from side: String) {
        var header = ByteBuffer()
        frame.writeHeader(into: &header)
        let flags = frame.flags.rawValue == 0 ? "" : " flags=0x\(String(frame.flags.rawValue, radix: 16))"
        text += "\(side)  \(frame.type) call=\(frame.callID)\(flags) length=\(frame.payload.readableBytes)\n"
        let headerBytes = Array(header.readableBytesView)
        text += Self.hex(headerBytes)
        bytes += headerBytes
        if frame.payload.readableBytes > 0 {
            let payload = mask.apply(Array(frame.payload.readableBytesView))
            text += Self.hex(payload)
            bytes += payload
        }
    }

    /// 16 bytes a line, each line followed by its printable ASCII.
    static func hex(_ bytes: [UInt8]) -> String {
        var out = ""
        var offset = 0
        while offset < bytes.count {
            let line = bytes[offset..<min(offset + 16, bytes.count)]
            let hex = line.map { String(format: "%02x", $0) }.joined(separator: " ")
            let ascii = String(line.map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "." })
            out += "    " + hex.padding(toLength: 48, withPad: " ", startingAt: 0) + "  " + ascii + "\n"
            offset += 16
        }
        return out
    }

    /// The bytes of a dump's hex column: the 16 columns of 3 characters after
    /// the 4-space indent of each byte line.
    static func bytes(inDump dump: String) -> [UInt8] {
        var out: [UInt8] = []
        for line in dump.split(separator: "\n") where line.hasPrefix("    ") {
            let hex = line.dropFirst(4).prefix(48)
            for pair in hex.split(separator: " ") {
                if let byte = UInt8(pair, radix: 16) { out.append(byte) }
            }
        }
        return out
    }
}
