import InterviewsModel
import InterviewsWire
import NIOCore
import Testing

@Suite("Every message survives an encode and decode unchanged")
struct RoundTripTests {
    func roundTrip<M: WireCodable & Equatable>(_ value: M) throws -> M {
        let bytes = try value.encodedBytes()
        return try M.decode(bytes)
    }

    @Test("an interview with every field set, non-ASCII text included")
    func interview() throws {
        #expect(try roundTrip(Fixtures.interview()) == Fixtures.interview())
    }

    @Test("a list request with every filter set")
    func listRequest() throws {
        #expect(try roundTrip(Fixtures.listRequest()) == Fixtures.listRequest())
    }

    @Test("a page of 20 full interviews")
    func page() throws {
        #expect(try roundTrip(Fixtures.page()) == Fixtures.page())
    }

    @Test("request and response messages of every RPC")
    func everyRPC() throws {
        let i = Fixtures.interview()
        #expect(
            try roundTrip(GetInterviewRequest(companyID: "c", id: "x", includeRemoteData: true, includeDeleted: true))
                == GetInterviewRequest(companyID: "c", id: "x", includeRemoteData: true, includeDeleted: true))
        #expect(
            try roundTrip(CreateInterviewRequest(companyID: "c", interview: i, requestID: "req-1"))
                == CreateInterviewRequest(companyID: "c", interview: i, requestID: "req-1"))
        let update = UpdateInterviewRequest(
            companyID: "c", interview: i, updateMask: ["title", "status"], expectedRevision: 9)
        #expect(try roundTrip(update) == update)
        #expect(
            try roundTrip(DeleteInterviewRequest(companyID: "c", id: "x", expectedRevision: 2))
                == DeleteInterviewRequest(companyID: "c", id: "x", expectedRevision: 2))
        #expect(
            try roundTrip(UpsertInterviewsRequest(companyID: "c", interviews: [i, i]))
                == UpsertInterviewsRequest(companyID: "c", interviews: [i, i]))
        let results = UpsertInterviewsResponse(results: [
            UpsertResult(index: 0, outcome: .created, interview: i),
            UpsertResult(index: 1, outcome: .error, errorCode: 3, errorMessage: "remote_id: is empty"),
        ])
        #expect(try roundTrip(results) == results)
        #expect(
            try roundTrip(WatchRequest(companyID: "c", afterSequence: 42, includeRemoteData: true))
                == WatchRequest(companyID: "c", afterSequence: 42, includeRemoteData: true))
        #expect(
            try roundTrip(WatchEvent(sequence: 43, kind: .deleted, interview: i))
                == WatchEvent(sequence: 43, kind: .deleted, interview: i))
        let marker = WatchEvent(sequence: 44, storeEpoch: 7, caughtUp: true)
        #expect(try roundTrip(marker) == marker)
        let asking = WatchRequest(afterSequence: 5, storeEpoch: 9, sendCaughtUp: true)
        #expect(try roundTrip(asking) == asking)
        #expect(try roundTrip(HealthRequest()) == HealthRequest())
        #expect(try roundTrip(HealthResponse(status: .notServing)) == HealthResponse(status: .notServing))
        #expect(try roundTrip(ServerInfoRequest(companyID: "c")) == ServerInfoRequest(companyID: "c"))
        let info = ServerInfoResponse(
            version: "1.0.0", backend: "file", uptimeSeconds: 5, startedAt: Timestamp(seconds: 9),
            interviewCount: 3, deletedCount: 1, lastSequence: 77, protocolVersion: 1, writable: true)
        #expect(try roundTrip(info) == info)
    }

    @Test("admin messages")
    func admin() throws {
        let key = APIKey(
            id: "key-1", label: "ATS sync", kind: .partner, companyIDs: ["a", "b"],
            createdAt: Timestamp(seconds: 1), lastUsedAt: Timestamp(seconds: 2), revokedAt: Timestamp(seconds: 3))
        #expect(try roundTrip(key) == key)
        #expect(
            try roundTrip(CreateKeyRequest(label: "l", kind: .company, companyIDs: ["a"]))
                == CreateKeyRequest(label: "l", kind: .company, companyIDs: ["a"]))
        #expect(
            try roundTrip(CreateKeyResponse(key: key, secret: "ik_x")) == CreateKeyResponse(key: key, secret: "ik_x"))
        #expect(try roundTrip(ListKeysRequest(includeRevoked: true)) == ListKeysRequest(includeRevoked: true))
        #expect(try roundTrip(ListKeysResponse(keys: [key, key])) == ListKeysResponse(keys: [key, key]))
        #expect(try roundTrip(RevokeKeyRequest(id: "key-1")) == RevokeKeyRequest(id: "key-1"))
        #expect(try roundTrip(BackupRequest()) == BackupRequest())
        let chunk = BackupChunk(
            file: "keys.json", data: [0, 1, 2, 255], sequence: 1 << 40, interviewCount: 3, storeEpoch: .max)
        #expect(try roundTrip(chunk) == chunk)
    }

    @Test("RPC control payloads")
    func control() throws {
        let md = [RPCMetadataEntry(key: "authorization", value: "Bearer ik_abc")]
        let headers = RPCCallHeaders(
            method: "/interviews.v1.Interviews/GetInterview", metadata: md, timeoutMicros: 1_000_000, initialWindow: 16)
        #expect(try roundTrip(headers) == headers)
        let settings = RPCSettings(
            protocolVersion: 1, maxFrameSize: 4 << 20, maxConcurrentCalls: 100, initialWindow: 64,
            agent: "interviews/test")
        #expect(try roundTrip(settings) == settings)
        #expect(
            try roundTrip(RPCStatus(code: 5, message: "id: not found", metadata: md))
                == RPCStatus(code: 5, message: "id: not found", metadata: md))
        #expect(try roundTrip(RPCWindowUpdate(credit: 10)) == RPCWindowUpdate(credit: 10))
        #expect(try roundTrip(RPCCancel(reason: "bye")) == RPCCancel(reason: "bye"))
        #expect(
            try roundTrip(RPCGoAway(lastCallID: 7, code: 14, message: "draining"))
                == RPCGoAway(lastCallID: 7, code: 14, message: "draining"))
        #expect(try roundTrip(RPCPing(opaque: .max)) == RPCPing(opaque: .max))
    }

    @Test("empty messages encode to zero bytes and decode to defaults")
    func empty() throws {
        #expect(try Interview().encodedBytes().isEmpty)
        #expect(try Interview.decode([]) == Interview())
        #expect(try ListRequest.decode([]) == ListRequest())
        #expect(try Page.decode([]) == Page())
        #expect(try HealthRequest.decode([]) == HealthRequest())
    }

    @Test("timestamps at both ends of the protobuf range")
    func timestampExtremes() throws {
        let i = Interview(startAt: .min, endAt: .max)
        #expect(try roundTrip(i) == i)
    }

    @Test("a message exactly at the 4 MiB limit decodes; one byte more is refused")
    func maximumSize() throws {
        let limit = WireLimits.defaultMaxMessageSize
        // remote_data is field 24: a 2-byte tag, then a 3-byte length for payloads under 2 MiB..4 MiB.
        var probe = Interview(remoteData: [UInt8](repeating: 0x7B, count: limit - 2 - 4))
        var bytes = try probe.encodedBytes()
        let overhead = bytes.count - probe.remoteData.count
        probe.remoteData = [UInt8](repeating: 0x7B, count: limit - overhead)
        bytes = try probe.encodedBytes()
        #expect(bytes.count == limit)
        #expect(try Interview.decode(bytes) == probe)

        bytes.append(0x08)  // field 1, varint: one more byte than the limit
        let error = #expect(throws: WireError.self) { try Interview.decode(bytes) }
        #expect(error?.kind == .tooLarge)
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message.contains("\(limit)") == true)
    }

    @Test("fields from a newer writer are skipped")
    func unknownFields() throws {
        var bytes = try Fixtures.interview().encodedBytes()
        // field 1000 (varint), field 1001 (length-delimited), field 1002 (fixed64), field 1003 (fixed32)
        bytes += [0xC0, 0x3E, 0x96, 0x01]
        bytes += [0xCA, 0x3E, 0x03, 0x61, 0x62, 0x63]
        bytes += [0xD1, 0x3E] + [UInt8](repeating: 1, count: 8)
        bytes += [0xDD, 0x3E] + [UInt8](repeating: 2, count: 4)
        #expect(try Interview.decode(bytes) == Fixtures.interview())
    }

    @Test("custom fields encode in key order, so equal records encode to equal bytes")
    func deterministicMaps() throws {
        var a = Interview()
        var b = Interview()
        for k in 0..<50 { a.customFields["k\(k)"] = "v" }
        for k in (0..<50).reversed() { b.customFields["k\(k)"] = "v" }
        #expect(try a.encodedBytes() == b.encodedBytes())
    }

    @Test("decoding from a ByteBuffer reads its readable bytes")
    func byteBuffer() throws {
        var buffer = ByteBuffer()
        buffer.writeString("junk")
        buffer.moveReaderIndex(forwardBy: 4)
        try Fixtures.interview().encode(into: &buffer)
        #expect(try Interview.decode(buffer) == Fixtures.interview())
    }
}
