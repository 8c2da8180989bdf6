import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import RPCUnixSocket
import Testing

@Suite("Frames split across reads and many frames in one read", .timeLimit(.minutes(1)))
struct FramingTests {
    /// The bytes of a handshake and of calls 1 (nonblocking), 3 (in a task)
    /// and 5 (HEADERS with unusual metadata, decoded the slow way).
    static func stream() throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: RPCProtocol.preface)
        try Frame(type: .settings, callID: 0, message: RPCSettings(protocolVersion: 1)).encode(into: &buffer)
        let calls: [(UInt32, String, [RPCMetadataEntry])] = [
            (1, TestMethods.onLoop, [RPCMetadataEntry(key: "x-test", value: "plain")]),
            (3, TestMethods.echo, []),
            (5, TestMethods.whoAmI, [RPCMetadataEntry(key: "x-test", value: "tab\there é")]),
        ]
        for (id, method, metadata) in calls {
            try Frame(type: .headers, callID: id, message: RPCCallHeaders(method: method, metadata: metadata))
                .encode(into: &buffer)
            try Frame(type: .message, flags: .endStream, callID: id, message: GetInterviewRequest(id: "id-\(id)"))
                .encode(into: &buffer)
        }
        return Array(buffer.readableBytesView)
    }

    @Test("a call whose frames arrive in pieces is answered as one sent whole", arguments: [1, 5, 12, 13, 100])
    func split(chunk: Int) async throws {
        // Byte by byte with pauses takes long on a loaded machine: the
        // handshake and request timeouts are not what this test is about.
        let patient: (inout RPCServerConfiguration) -> Void = {
            $0.handshakeTimeout = .seconds(60)
            $0.requestTimeout = .seconds(60)
            $0.frameTimeout = .seconds(60)
        }
        try await withTestServer(configure: patient) { server in
            try await withRawConnection(to: server.path) { raw in
                let bytes = try Self.stream()
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + chunk, bytes.count)
                    try await raw.send(Array(bytes[offset..<end]))
                    offset = end
                    // Separate reads on the server, at least now and then.
                    if chunk >= 12 || offset % 64 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                }
                var answers: [UInt32: String] = [:]
                var statuses: [UInt32: Int32] = [:]
                while statuses.count < 3, let frame = try await raw.readFrame() {
                    switch frame.type {
                    case .message: answers[frame.callID] = try frame.decodePayload(as: Interview.self).id
                    case .trailers: statuses[frame.callID] = try frame.decodePayload(as: RPCStatus.self).code
                    default: break
                    }
                }
                #expect(statuses == [1: 0, 3: 0, 5: 0])
                #expect(answers[1] == "id-1")
                #expect(answers[3] == "id-3")
                #expect(answers[5] != nil)
            }
        }
    }

    @Test("metadata that the in-place reader does not take is still read whole")
    func unusualMetadata() async throws {
        try await withTestServer { server in
            let client = try await server.connect()
            for value in ["plain", "tab\there", "é ü", ""] {
                let interview: Interview = try await client.unary(
                    method: TestMethods.whoAmI, request: HealthRequest(),
                    metadata: [RPCMetadataEntry(key: "x-test", value: value)])
                #expect(interview.title == value)
            }
            // Several entries; the first for the key wins, as before.
            let interview: Interview = try await client.unary(
                method: TestMethods.whoAmI, request: HealthRequest(),
                metadata: [
                    RPCMetadataEntry(key: "x-other", value: "1"), RPCMetadataEntry(key: "x-test", value: "first"),
                    RPCMetadataEntry(key: "x-test", value: "second"),
                ])
            #expect(interview.title == "first")
            await client.close()
        }
    }
}
