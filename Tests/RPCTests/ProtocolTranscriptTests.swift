import Foundation
import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import RPCUnixSocket
import Testing

/// Records real calls byte for byte and checks that docs/PROTOCOL.md shows
/// exactly these bytes. When the protocol changes, the failure message holds
/// the new dump to paste into the document.
@Suite("The byte dumps in docs/PROTOCOL.md are real", .timeLimit(.minutes(1)))
struct ProtocolTranscriptTests {
    private static let router = RPCRouter([
        .unary("/interviews.v1.Interviews/Health") { (_: HealthRequest, _) in HealthResponse(status: .serving) },
        .serverStreaming("/interviews.v1.Interviews/StreamInterviews") {
            (request: ListRequest, _, writer: ResponseStreamWriter<Interview>) in
            for index in 1...Int(request.pageSize) {
                try await writer.write(Interview(id: "iv-\(index)", companyID: request.companyID))
            }
        },
    ])

    private static var document: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)) ?? ""
    }

    private func withDocServer(_ body: (String) async throws -> String) async throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RPCServerConfiguration(socketPath: directory.path + "/s.sock")
        configuration.agent = "interviews/1.0.0"
        let server = RPCServer(router: Self.router, configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            try await server.waitUntilListening()
            let transcript = try await body(configuration.socketPath)
            group.cancelAll()
            return transcript
        }
    }

    @Test("a unary Health call")
    func unaryTranscript() async throws {
        let transcript = try await withDocServer { path in
            try await withRawConnection(to: path) { raw in
                var log = Transcript()
                try await raw.send(RPCProtocol.preface)
                log.preface()
                let steps: [Frame] = [
                    try Frame(
                        type: .settings, callID: 0, message: RPCSettings(protocolVersion: 1, agent: "doc-client")),
                    try Frame(
                        type: .headers, callID: 1,
                        message: RPCCallHeaders(
                            method: "/interviews.v1.Interviews/Health",
                            metadata: [RPCMetadataEntry(key: "authorization", value: "Bearer k_test")],
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
                return log.text
            }
        }
        #expect(Self.document.contains(transcript), "docs/PROTOCOL.md lacks this dump:\n\(transcript)")
    }

    @Test("a server stream with flow control")
    func streamTranscript() async throws {
        let transcript = try await withDocServer { path in
            try await withRawConnection(to: path) { raw in
                var log = Transcript()
                try await raw.handshake()
                let open: [Frame] = [
                    try Frame(
                        type: .headers, callID: 1,
                        message: RPCCallHeaders(
                            method: "/interviews.v1.Interviews/StreamInterviews", initialWindow: 1)),
                    try Frame(
                        type: .message, flags: .endStream, callID: 1,
                        message: ListRequest(companyID: "acme", pageSize: 2)),
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
                return log.text
            }
        }
        #expect(Self.document.contains(transcript), "docs/PROTOCOL.md lacks this dump:\n\(transcript)")
    }
}

/// Frames as annotated hex, the format docs/PROTOCOL.md uses.
private struct Transcript {
    var text = ""

    mutating func preface() {
        text += "client  preface\n" + Self.hex(RPCProtocol.preface)
    }

    mutating func frame(_ frame: Frame, from side: String) {
        var header = ByteBuffer()
        frame.writeHeader(into: &header)
        let flags = frame.flags.rawValue == 0 ? "" : " flags=0x\(String(frame.flags.rawValue, radix: 16))"
        text += "\(side)  \(frame.type) call=\(frame.callID)\(flags) length=\(frame.payload.readableBytes)\n"
        text += Self.hex(Array(header.readableBytesView))
        if frame.payload.readableBytes > 0 {
            text += Self.hex(Array(frame.payload.readableBytesView))
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
}
