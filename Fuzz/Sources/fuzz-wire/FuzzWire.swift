// Decodes the input as one message of the protocol: the first byte picks the
// type (every request, response and control message), the rest is the body.
// A body that decodes must re-encode, decode to the same value and encode to
// the same bytes; an Interview that decodes must also pass
// Interview.validateEncoding (the check stored records get instead of a decode).

import FuzzSupport
import InterviewsModel
import InterviewsWire

/// One message type: its name and a check of one body.
struct MessageCheck: Sendable {
    let name: String
    let check: @Sendable (UnsafeRawBufferPointer) -> Void
    let seeds: @Sendable () -> [[UInt8]]
}

func message<M: WireCodable & Equatable>(_ type: M.Type, seeds: [M]) -> MessageCheck {
    MessageCheck(
        name: "\(M.self)",
        check: { body in
            let value: M
            do { value = try M.decode(from: body, maxSize: WireLimits.defaultMaxMessageSize) } catch { return }
            let once: [UInt8]
            do { once = try value.encodedBytes() } catch {
                fuzzFailure("\(M.self) decoded but does not encode: \(error)")
            }
            let again: M
            do { again = try M.decode(once) } catch {
                fuzzFailure("\(M.self) re-encoded does not decode: \(error)")
            }
            let twice: [UInt8]
            do { twice = try again.encodedBytes() } catch { fuzzFailure("\(M.self) second encode failed: \(error)") }
            // A NaN score is unequal to itself, and a map's entries may be
            // encoded in another order: one of the two must agree.
            guard again == value || once == twice else {
                fuzzFailure("\(M.self) changed in a decode-encode-decode round trip")
            }
            if M.self == Interview.self {
                do { try Interview.validateEncoding(body) } catch {
                    fuzzFailure("Interview decodes but validateEncoding refuses it: \(error)")
                }
            }
        },
        seeds: { [[]] + seeds.compactMap { try? $0.encodedBytes() } })
}

let interview = FuzzFixtures.interview()

let checks: [MessageCheck] = [
    // Control messages (interviews.rpc.v1).
    message(
        RPCSettings.self,
        seeds: [
            RPCSettings(
                protocolVersion: 1, maxFrameSize: 1 << 22, maxConcurrentCalls: 100, initialWindow: 64,
                agent: "interviews-swift/1")
        ]),
    message(
        RPCCallHeaders.self,
        seeds: [
            RPCCallHeaders(
                method: "/interviews.v1.Interviews/GetInterview",
                metadata: [RPCMetadataEntry(key: "authorization", value: "Bearer ik_secret")], timeoutMicros: 5_000_000,
                initialWindow: 8)
        ]),
    message(
        RPCStatus.self,
        seeds: [
            RPCStatus(
                code: 5, message: "interview 42 not found", metadata: [RPCMetadataEntry(key: "retry", value: "no")])
        ]),
    message(RPCWindowUpdate.self, seeds: [RPCWindowUpdate(credit: 64)]),
    message(RPCCancel.self, seeds: [RPCCancel(reason: "client gave up")]),
    message(RPCGoAway.self, seeds: [RPCGoAway(lastCallID: 7, code: 14, message: "the server is shutting down")]),
    message(RPCPing.self, seeds: [RPCPing(opaque: 0x0102_0304_0506_0708)]),
    message(RPCMetadataEntry.self, seeds: [RPCMetadataEntry(key: "x-request-id", value: "r-1")]),
    // Interviews and their parts.
    message(Interview.self, seeds: [interview, Interview(id: "x", title: "t")]),
    message(Participant.self, seeds: [interview.organizer].compactMap { $0 }),
    message(Location.self, seeds: [interview.location].compactMap { $0 }),
    message(Analysis.self, seeds: [interview.analysis].compactMap { $0 }),
    message(Score.self, seeds: [Score(name: "coding", value: 4.75, maxValue: 5)]),
    message(
        TranscriptSegment.self, seeds: [TranscriptSegment(speaker: "a", text: "b", startOffsetMs: 1, endOffsetMs: 2)]),
    // Requests and responses of interviews.v1.Interviews.
    message(ListRequest.self, seeds: [FuzzFixtures.listRequest()]),
    message(Page.self, seeds: [FuzzFixtures.page()]),
    message(
        GetInterviewRequest.self,
        seeds: [GetInterviewRequest(companyID: "acme", id: "id-1", includeRemoteData: true, includeDeleted: true)]),
    message(
        CreateInterviewRequest.self,
        seeds: [CreateInterviewRequest(companyID: "acme", interview: interview, requestID: "req-1")]),
    message(
        UpdateInterviewRequest.self,
        seeds: [
            UpdateInterviewRequest(
                companyID: "acme", interview: interview, updateMask: ["title", "status"], expectedRevision: 3)
        ]),
    message(
        DeleteInterviewRequest.self, seeds: [DeleteInterviewRequest(companyID: "acme", id: "id-1", expectedRevision: 2)]
    ),
    message(
        UpsertInterviewsRequest.self,
        seeds: [UpsertInterviewsRequest(companyID: "acme", interviews: [interview, FuzzFixtures.interview(2)])]),
    message(
        UpsertResult.self,
        seeds: [UpsertResult(index: 1, outcome: .created, interview: interview, errorCode: 0, errorMessage: "")]),
    message(
        UpsertInterviewsResponse.self,
        seeds: [
            UpsertInterviewsResponse(results: [
                UpsertResult(index: 0, outcome: .created, interview: interview),
                UpsertResult(index: 1, errorCode: 3, errorMessage: "bad"),
            ])
        ]),
    message(
        WatchRequest.self,
        seeds: [
            WatchRequest(
                companyID: "acme", afterSequence: 1200, includeRemoteData: true, storeEpoch: 9_147_483_620_557_371_241)
        ]),
    message(
        WatchEvent.self,
        seeds: [WatchEvent(sequence: 1201, kind: .updated, interview: interview, storeEpoch: 9_147_483_620_557_371_241)]
    ),
    message(HealthRequest.self, seeds: [HealthRequest()]),
    message(HealthResponse.self, seeds: [HealthResponse(status: .serving)]),
    message(ServerInfoRequest.self, seeds: [ServerInfoRequest(companyID: "acme")]),
    message(
        ServerInfoResponse.self,
        seeds: [
            ServerInfoResponse(
                version: "1.0.0", backend: "file", uptimeSeconds: 5, startedAt: Timestamp(seconds: 1_700_000_000),
                interviewCount: 10, deletedCount: 1, lastSequence: 11, protocolVersion: 1, writable: true,
                storeEpoch: 42)
        ]),
    // interviews.v1.Admin.
    message(
        APIKey.self,
        seeds: [
            APIKey(
                id: "key-1", label: "me", kind: .partner, companyIDs: ["acme", "globex"],
                createdAt: Timestamp(seconds: 1), lastUsedAt: Timestamp(seconds: 2), revokedAt: Timestamp(seconds: 3))
        ]),
    message(CreateKeyRequest.self, seeds: [CreateKeyRequest(label: "me", kind: .company, companyIDs: ["acme"])]),
    message(
        CreateKeyResponse.self,
        seeds: [
            CreateKeyResponse(
                key: APIKey(id: "key-1", label: "me", kind: .company, companyIDs: ["acme"]), secret: "ik_secret")
        ]),
    message(ListKeysRequest.self, seeds: [ListKeysRequest(includeRevoked: true)]),
    message(
        ListKeysResponse.self,
        seeds: [ListKeysResponse(keys: [APIKey(id: "key-1", label: "me", kind: .company, companyIDs: ["acme"])])]),
    message(RevokeKeyRequest.self, seeds: [RevokeKeyRequest(id: "key-1")]),
    message(BackupRequest.self, seeds: [BackupRequest()]),
    message(
        BackupChunk.self,
        seeds: [
            BackupChunk(
                file: "snapshot-0000000000000001.snap", data: [0x49, 0x56, 0x53, 0x4E], sequence: 1, interviewCount: 1,
                storeEpoch: 7)
        ]),
]

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    writeSeedsIfAsked {
        checks.enumerated().flatMap { index, check in
            check.seeds().enumerated().map { n, body in
                (name: "\(check.name)-\(n)", bytes: [UInt8(index)] + body)
            }
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let check = checks[Int(selector) % checks.count]
    check.check(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[1...])))
    return 0
}
