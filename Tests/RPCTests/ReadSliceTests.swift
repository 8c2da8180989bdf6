import InterviewsModel
import InterviewsWire
import NIOCore
import RPCCore
import Testing

@Suite("Pipelined calls are handled a slice at a time", .timeLimit(.minutes(1)))
struct ReadSliceTests {
    @Test("500 calls pipelined in one write, more than many slices hold, are each answered once, in order")
    func pipelinedCallsAcrossSlices() async throws {
        try await withTestServer(setting: \.maxConcurrentCallsPerConnection, to: 1000) { server in
            try await withRawConnection(to: server.path) { raw in
                try await raw.handshake()
                var wire = ByteBuffer()
                let ids = (0..<500).map { UInt32(1 + 2 * $0) }
                for id in ids {
                    try Frame(type: .headers, callID: id, message: RPCCallHeaders(method: TestMethods.onLoop))
                        .encode(into: &wire)
                    try Frame(type: .message, flags: .endStream, callID: id, message: GetInterviewRequest(id: "\(id)"))
                        .encode(into: &wire)
                }
                try await raw.send(Array(wire.readableBytesView))
                var answered: [UInt32] = []
                var ended: [UInt32] = []
                while ended.count < ids.count, let frame = try await raw.readFrame() {
                    switch frame.type {
                    case .message:
                        let interview = try frame.decodePayload(as: Interview.self)
                        #expect(interview.id == "\(frame.callID)")
                        answered.append(frame.callID)
                    case .trailers:
                        #expect(try frame.decodePayload(as: RPCStatus.self).code == 0)
                        ended.append(frame.callID)
                    default:
                        Issue.record("unexpected \(frame.type) frame")
                    }
                }
                #expect(answered == ids)
                #expect(ended == ids)
                // The connection goes on after its backlog.
                try await raw.sendCall(1001, method: TestMethods.health, HealthRequest())
                #expect(try await raw.readStatus(of: 1001)?.code == 0)
            }
        }
    }
}
