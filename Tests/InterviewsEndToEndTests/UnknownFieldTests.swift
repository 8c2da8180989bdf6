import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import Testing

/// The tag bytes of field `number` with `wireType`, as a varint.
private func tag(_ number: UInt64, _ wireType: UInt64) -> [UInt8] {
    var value = number << 3 | wireType
    var out: [UInt8] = []
    while value >= 0x80 {
        out.append(UInt8(value & 0x7F) | 0x80)
        value >>= 7
    }
    out.append(UInt8(value))
    return out
}

/// Bodies of one field each: the four HealthRequest bodies that once stopped
/// the server, then each wire type at a number no message of the contract uses.
private let fieldBodies: [[UInt8]] =
    [[0x08, 0x01], [0x10, 0x01], [0x1A, 0x00], [0x0D, 0, 0, 0, 0]]
    + [
        tag(1000, 0) + [0x01], tag(1000, 1) + [UInt8](repeating: 0, count: 8), tag(1000, 2) + [0x00],
        tag(1000, 5) + [0, 0, 0, 0],
    ]

private let allMethods = [
    MethodNames.listInterviews, MethodNames.streamInterviews, MethodNames.getInterview, MethodNames.createInterview,
    MethodNames.updateInterview, MethodNames.deleteInterview, MethodNames.upsertInterviews,
    MethodNames.watchInterviews, MethodNames.health, MethodNames.serverInfo, MethodNames.createKey,
    MethodNames.listKeys, MethodNames.revokeKey,
]

/// A request body may carry fields this build does not know (a newer client's),
/// or fields of the wrong type: the call gets a status, the server keeps serving.
@Suite("A field in any request or control message never stops the server", .serverProcess(), .timeLimit(.minutes(3)))
struct UnknownFieldEndToEndTests {
    @Test("a Health request carrying a field is answered SERVING", arguments: fieldBodies)
    func healthWithAField(body: [UInt8]) async throws {
        let server = try ServerProcess.shared
        let (response, status) = try await withRawConnection(to: server.socketPath) {
            raw -> (HealthResponse?, RPCStatus?) in
            try await raw.handshake()
            try await raw.sendCall(1, method: MethodNames.health, apiKey: nil, payload: body)
            var response: HealthResponse?
            while let frame = try await raw.readFrame() {
                if frame.type == .message && frame.callID == 1 {
                    response = try frame.decodePayload(as: HealthResponse.self)
                }
                if frame.type == .trailers && frame.callID == 1 {
                    return (response, try frame.decodePayload(as: RPCStatus.self))
                }
            }
            return (response, nil)
        }
        #expect(status?.code == 0, "\(String(describing: status)); server log:\n\(server.log())")
        #expect(response?.status == .serving)
        #expect(server.isRunning)
    }

    @Test("every method answers a body with a field with a status", arguments: allMethods)
    func everyMethod(method: String) async throws {
        let server = try ServerProcess.shared
        let key = try await server.companyKey(Company.unique("fields"))
        var codes: [Int32] = []
        try await withRawConnection(to: server.socketPath) { raw in
            try await raw.handshake()
            var id: UInt32 = 1
            for body in fieldBodies {
                try await raw.sendCall(id, method: method, apiKey: key.secret, payload: body)
                if method == MethodNames.watchInterviews || method == MethodNames.streamInterviews {
                    // A stream that was accepted goes on: cancel it, then take its status.
                    try await raw.send(.cancel, callID: id, RPCCancel(reason: "test"))
                }
                let status = try await raw.readStatus(of: id)
                try #require(status != nil, "no status for body \(body); GOAWAY: \(String(describing: raw.goAway))")
                codes.append(status?.code ?? 0)
                id += 2
            }
        }
        // A field of the wrong type is INVALID_ARGUMENT; nothing is INTERNAL or UNKNOWN.
        #expect(
            !codes.contains(StatusCode.internalError.rawValue) && !codes.contains(StatusCode.unknown.rawValue),
            "\(codes)")
        #expect(server.isRunning, "server log:\n\(server.log())")
        let client = try await server.client(apiKey: nil)
        #expect(try await client.health().status == .serving)
    }

    @Test(
        "control frames carrying unknown fields are accepted or answered with GOAWAY",
        arguments: [FrameType.settings, .ping, .windowUpdate, .cancel, .goAway])
    func controlFrames(type: FrameType) async throws {
        let server = try ServerProcess.shared
        try await withRawConnection(to: server.socketPath) { raw in
            try await raw.handshake()
            for body in fieldBodies {
                let callID: UInt32 = type == .windowUpdate || type == .cancel ? 1 : 0
                try await raw.send(
                    Frame(type: type, flags: [], callID: callID, payload: .init(bytes: body)))
            }
            try await raw.sendCall(3, method: MethodNames.health, apiKey: nil, HealthRequest())
            _ = try await raw.readStatus(of: 3)
        }
        #expect(server.isRunning, "server log:\n\(server.log())")
        let client = try await server.client(apiKey: nil)
        #expect(try await client.health().status == .serving)
    }
}
