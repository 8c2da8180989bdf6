import Foundation
import InterviewsModel
import InterviewsWire
import Testing

/// One message type of the contract, decoded from arbitrary bytes.
struct AnyMessageType: Sendable, CustomTestStringConvertible {
    let name: String
    /// Decodes `bytes`; returns the error it threw, or nil when it decoded.
    let decode: @Sendable ([UInt8]) -> WireError?

    var testDescription: String { name }

    init<M: WireCodable>(_ type: M.Type) {
        name = String(describing: type)
        decode = { bytes in decodeError(M.self, bytes) }
    }

    /// Every message the wire layer decodes: the contract's and the gRPC endpoint's.
    static let all = contract + grpcStandard

    /// The standard gRPC messages the gRPC endpoint decodes (health and
    /// reflection; their nested messages are folded into these Swift types).
    static let grpcStandard: [AnyMessageType] = [
        AnyMessageType(GRPCHealthCheckRequest.self), AnyMessageType(GRPCHealthCheckResponse.self),
        AnyMessageType(ReflectionRequest.self), AnyMessageType(ReflectionResponse.self),
    ]

    /// Every message of the contract, proto/interviews: data, requests,
    /// responses, keys and control messages.
    static let contract: [AnyMessageType] = [
        AnyMessageType(Interview.self), AnyMessageType(Participant.self), AnyMessageType(Location.self),
        AnyMessageType(TranscriptSegment.self), AnyMessageType(Score.self), AnyMessageType(Analysis.self),
        AnyMessageType(ListRequest.self), AnyMessageType(Page.self), AnyMessageType(GetInterviewRequest.self),
        AnyMessageType(CreateInterviewRequest.self), AnyMessageType(UpdateInterviewRequest.self),
        AnyMessageType(DeleteInterviewRequest.self), AnyMessageType(UpsertInterviewsRequest.self),
        AnyMessageType(UpsertResult.self), AnyMessageType(UpsertInterviewsResponse.self),
        AnyMessageType(WatchRequest.self), AnyMessageType(WatchEvent.self), AnyMessageType(HealthRequest.self),
        AnyMessageType(HealthResponse.self), AnyMessageType(ServerInfoRequest.self),
        AnyMessageType(ServerInfoResponse.self), AnyMessageType(APIKey.self), AnyMessageType(CreateKeyRequest.self),
        AnyMessageType(CreateKeyResponse.self), AnyMessageType(ListKeysRequest.self),
        AnyMessageType(ListKeysResponse.self), AnyMessageType(RevokeKeyRequest.self),
        AnyMessageType(BackupRequest.self), AnyMessageType(BackupChunk.self),
        AnyMessageType(RPCMetadataEntry.self), AnyMessageType(RPCSettings.self), AnyMessageType(RPCCallHeaders.self),
        AnyMessageType(RPCStatus.self), AnyMessageType(RPCWindowUpdate.self), AnyMessageType(RPCCancel.self),
        AnyMessageType(RPCGoAway.self), AnyMessageType(RPCPing.self),
    ]
}

/// The tag bytes of field `number` with `wireType`, as a varint.
func tag(_ number: UInt64, _ wireType: UInt64) -> [UInt8] {
    var value = number << 3 | wireType
    var out: [UInt8] = []
    while value >= 0x80 {
        out.append(UInt8(value & 0x7F) | 0x80)
        value >>= 7
    }
    out.append(UInt8(value))
    return out
}

/// Bodies holding one field of every wire type, at low numbers (known to some
/// messages, unknown to others) and at numbers no message of the contract uses.
let fieldBodies: [[UInt8]] = {
    var bodies: [[UInt8]] = [[0x08, 0x01], [0x10, 0x01], [0x1A, 0x00], [0x0D, 0, 0, 0, 0]]
    for number: UInt64 in [1, 2, 3, 15, 16, 99, 1000, 536_870_911] {
        bodies.append(tag(number, 0) + [0x96, 0x01])
        bodies.append(tag(number, 1) + [UInt8](repeating: 0xAB, count: 8))
        bodies.append(tag(number, 2) + [0x03, 0x61, 0x62, 0x63])
        bodies.append(tag(number, 5) + [UInt8](repeating: 0xCD, count: 4))
    }
    return bodies
}()

@Suite("Any field in any message is decoded or refused with a WireError, never a trap")
struct UnknownFieldTests {
    @Test("a field of each wire type and number", arguments: AnyMessageType.all)
    func fieldsOfEveryWireType(type: AnyMessageType) {
        for body in fieldBodies {
            // Either outcome is fine; reaching here without a trap is the point,
            // and an error must say what is wrong.
            if let error = type.decode(body) { #expect(!error.message.isEmpty) }
        }
    }

    @Test("HealthRequest, which has no fields, skips any field it is given")
    func healthRequestSkipsEveryField() {
        for body in fieldBodies {
            #expect(AnyMessageType(HealthRequest.self).decode(body) == nil, "\(body)")
        }
    }

    @Test("a field numbered past every field of the contract is skipped", arguments: AnyMessageType.all)
    func unknownNumbersAreSkipped(type: AnyMessageType) {
        // Skipped: the body decodes exactly as an empty one does (a message
        // with a required choice, ReflectionResponse, refuses both alike).
        let empty = type.decode([])
        for number: UInt64 in [1000, 536_870_911] {
            let body =
                tag(number, 0) + [0x01] + tag(number, 1) + [UInt8](repeating: 0, count: 8) + tag(number, 2) + [0x00]
                + tag(number, 5) + [0, 0, 0, 0]
            #expect(type.decode(body)?.message == empty?.message, "field \(number)")
        }
        #expect(
            empty == nil || type.name == "ReflectionResponse",
            "an empty \(type.name) is refused: \(String(describing: empty))")
    }

    @Test("the contract's message types above are every message of proto/interviews")
    func everyMessageOfTheContract() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("proto/interviews")
        var declared: Set<String> = []
        let files = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        for case let file as URL in files where file.pathExtension == "proto" {
            let text = try String(contentsOf: file, encoding: .utf8)
            // The control messages are the RPC-prefixed Swift types; ApiKey is APIKey.
            let prefix = file.path.contains("/rpc/") ? "RPC" : ""
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard words.count >= 2, words[0] == "message" else { continue }
                let name = words[1] == "ApiKey" ? "APIKey" : prefix + words[1]
                declared.insert(name)
            }
        }
        #expect(declared.count == 37)
        #expect(declared == Set(AnyMessageType.contract.map(\.name)))
    }

    @Test("seeded random bytes", arguments: AnyMessageType.all)
    func randomBytes(type: AnyMessageType) {
        var generator = SplitMix64(seed: 0x5EED_0000 &+ UInt64(type.name.utf8.count))
        for _ in 0..<500 {
            let count = Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = type.decode(bytes)
            // A valid field followed by garbage, so the scan goes deeper than the first byte.
            _ = type.decode(fieldBodies[Int(generator.next() % UInt64(fieldBodies.count))] + bytes)
        }
    }
}
