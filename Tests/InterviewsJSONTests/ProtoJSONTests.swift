import InterviewsJSON
import InterviewsModel
import Testing

@Suite("Interviews survive proto3 JSON unchanged")
struct ProtoJSONRoundTripTests {
    @Test("an interview with every field set, non-ASCII and control characters included")
    func everyField() throws {
        let interview = Fixtures.fullInterview()
        let json = interview.protoJSON
        #expect(!json.contains("\n"))
        #expect(try ProtoJSON.decodeInterview(json).interview == interview)
    }

    @Test("an empty interview is {} and reads back empty")
    func empty() throws {
        #expect(Interview().protoJSON == "{}")
        #expect(try ProtoJSON.decodeInterview("{}").interview == Interview())
    }

    @Test("present but empty messages stay present")
    func emptyMessages() throws {
        let interview = Interview(organizer: Participant(), location: Location(), analysis: Analysis())
        #expect(interview.protoJSON == #"{"organizer":{},"location":{},"analysis":{}}"#)
        #expect(try ProtoJSON.decodeInterview(interview.protoJSON).interview == interview)
    }

    @Test("encoding is deterministic: field-number order, sorted map keys, defaults omitted")
    func golden() {
        let interview = Interview(
            id: "i1", remoteID: "r1", title: "T", startAt: Timestamp(seconds: 1_687_789_800), status: .scheduled,
            customFields: ["b": "2", "a": "1"], remoteData: [1, 2, 3], revision: 3)
        #expect(
            interview.protoJSON
                == #"{"id":"i1","remoteId":"r1","title":"T","startAt":"2023-06-26T14:30:00Z","#
                + #""status":"INTERVIEW_STATUS_SCHEDULED","customFields":{"a":"1","b":"2"},"remoteData":"AQID","#
                + #""revision":"3"}"#)
    }

    @Test("location parts use protoc's JSON names")
    func locationNames() {
        let json = Interview(location: Location(street1: "a", street2: "b", zipCode: "c")).protoJSON
        #expect(json == #"{"location":{"street1":"a","street2":"b","zipCode":"c"}}"#)
    }

    @Test("special doubles are strings and read back")
    func specialDoubles() throws {
        let interview = Interview(
            analysis: Analysis(scores: [Score(name: "n", value: .infinity, maxValue: -.infinity)]))
        #expect(interview.protoJSON.contains(#""value":"Infinity","maxValue":"-Infinity""#))
        #expect(try ProtoJSON.decodeInterview(interview.protoJSON).interview == interview)
        let nan = try ProtoJSON.decodeInterview(#"{"analysis":{"overallScore":"NaN"}}"#).interview
        #expect(nan.analysis?.overallScore.isNaN == true)
    }
}

@Suite("Other printed messages encode as proto3 JSON")
struct ProtoJSONMessageTests {
    @Test("a page")
    func page() {
        let page = Page(
            interviews: [Interview(id: "a"), Interview(id: "b")], nextPageToken: "n", totalSize: 2, page: 1,
            pageSize: 20)
        #expect(
            page.protoJSON
                == #"{"interviews":[{"id":"a"},{"id":"b"}],"nextPageToken":"n","totalSize":"2","page":1,"pageSize":20}"#
        )
    }

    @Test("upsert results")
    func upsert() {
        let response = UpsertInterviewsResponse(results: [
            UpsertResult(index: 0, outcome: .created, interview: Interview(id: "a", revision: 1)),
            UpsertResult(index: 1, outcome: .error, errorCode: 3, errorMessage: "remote_id: is empty"),
        ])
        #expect(
            response.protoJSON
                == #"{"results":[{"outcome":"UPSERT_OUTCOME_CREATED","interview":{"id":"a","revision":"1"}},"#
                + #"{"index":1,"outcome":"UPSERT_OUTCOME_ERROR","errorCode":3,"errorMessage":"remote_id: is empty"}]}"#)
    }

    @Test("a watch event")
    func watch() {
        let event = WatchEvent(sequence: 42, kind: .deleted, interview: Interview(id: "a"))
        #expect(event.protoJSON == #"{"sequence":"42","kind":"CHANGE_KIND_DELETED","interview":{"id":"a"}}"#)
    }

    @Test("health and server info")
    func health() {
        #expect(HealthResponse(status: .serving).protoJSON == #"{"status":"SERVING_STATUS_SERVING"}"#)
        #expect(HealthResponse().protoJSON == "{}")
        let info = ServerInfoResponse(
            version: "0.1.0", backend: "file", uptimeSeconds: 61, startedAt: Timestamp(seconds: 0),
            interviewCount: 12, lastSequence: 99, protocolVersion: 1, writable: true)
        #expect(
            info.protoJSON
                == #"{"version":"0.1.0","backend":"file","uptimeSeconds":"61","startedAt":"1970-01-01T00:00:00Z","#
                + #""interviewCount":"12","lastSequence":"99","protocolVersion":1,"writable":true}"#)
    }

    @Test("API keys, created and listed")
    func keys() {
        let key = APIKey(
            id: "k1", label: "sidecar", kind: .partner, companyIDs: ["a", "b"],
            createdAt: Timestamp(seconds: 1_700_000_000))
        let keyJSON =
            #"{"id":"k1","label":"sidecar","kind":"KEY_KIND_PARTNER","companyIds":["a","b"],"#
            + #""createdAt":"2023-11-14T22:13:20Z"}"#
        #expect(key.protoJSON == keyJSON)
        #expect(
            CreateKeyResponse(key: key, secret: "ik_k1_x").protoJSON == #"{"key":"# + keyJSON + #","secret":"ik_k1_x"}"#
        )
        #expect(ListKeysResponse(keys: [key]).protoJSON == #"{"keys":["# + keyJSON + "]}")
    }
}

@Suite("Decoding accepts every proto3 JSON spelling")
struct ProtoJSONLenientDecodingTests {
    @Test("snake_case proto field names")
    func snakeCase() throws {
        let decoded = try ProtoJSON.decodeInterview(
            #"{"remote_id":"r","job_interview_stage_id":"s","location":{"street_1":"x","zip_code":"9"},"#
                + #""start_at":"2023-06-26T16:30:00+02:00","custom_fields":{"k":"v"},"remote_data":"AQID","#
                + #""analysis":{"overall_score":1.5,"transcript":[{"start_offset_ms":"7"}]}}"#)
        let i = decoded.interview
        #expect(i.remoteID == "r")
        #expect(i.jobInterviewStageID == "s")
        #expect(i.location == Location(street1: "x", zipCode: "9"))
        #expect(i.startAt == Timestamp(seconds: 1_687_789_800))
        #expect(i.customFields == ["k": "v"])
        #expect(i.remoteData == [1, 2, 3])
        #expect(i.analysis?.overallScore == 1.5)
        #expect(i.analysis?.transcript.first?.startOffsetMs == 7)
    }

    @Test(
        "enums by full name, short name or number", arguments: [#""INTERVIEW_STATUS_CANCELLED""#, #""CANCELLED""#, "6"])
    func enums(_ status: String) throws {
        #expect(try ProtoJSON.decodeInterview(#"{"status":"# + status + "}").interview.status == .cancelled)
    }

    @Test("64-bit integers as strings or numbers")
    func integers() throws {
        #expect(try ProtoJSON.decodeInterview(#"{"revision":"18446744073709551615"}"#).interview.revision == .max)
        #expect(try ProtoJSON.decodeInterview(#"{"revision":18446744073709551615}"#).interview.revision == .max)
    }

    @Test("null means the default")
    func nulls() throws {
        let i = try ProtoJSON.decodeInterview(
            #"{"title":null,"organizer":null,"interviewers":null,"startAt":null,"status":null,"customFields":null}"#
        ).interview
        #expect(i == Interview())
    }

    @Test("base64 in the URL-safe alphabet and without padding")
    func base64() throws {
        #expect(try ProtoJSON.decodeInterview(#"{"remoteData":"-_8"}"#).interview.remoteData == [0xFB, 0xFF])
        #expect(try ProtoJSON.decodeInterview(#"{"remoteData":"+/8="}"#).interview.remoteData == [0xFB, 0xFF])
    }

    @Test("field names come back as snake_case, in field-number order, for an update mask")
    func fieldNames() throws {
        let decoded = try ProtoJSON.decodeInterview(#"{"status":"SCHEDULED","title":null,"remoteId":"r"}"#)
        #expect(decoded.fieldNames == ["remote_id", "title", "status"])
    }

    @Test("unknown fields can be skipped when asked")
    func unknownSkipped() throws {
        let decoded = try ProtoJSON.decodeInterview(#"{"id":"a","future":{"x":[1]}}"#, ignoringUnknownFields: true)
        #expect(decoded.interview == Interview(id: "a"))
        #expect(decoded.fieldNames == ["id"])
    }

    @Test("escapes, surrogate pairs and a byte order mark")
    func escapes() throws {
        let json: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"title":"\u00e9\ud83d\ude80\/\b\f\n\r\t"}"#.utf8)
        #expect(try ProtoJSON.decodeInterview(json).interview.title == "é🚀/\u{8}\u{C}\n\r\t")
    }
}

@Suite("Bad JSON is rejected with the path and the problem")
struct ProtoJSONErrorTests {
    static let cases: [(String, String)] = [
        (#"{"interviewers":[{"id":"a"},{"email":5}]}"#, "interviewers[1].email: expected a string, got a number"),
        (#"{"startAt":"2023-13-01"}"#, #"startAt: "2023-13-01" is not an RFC 3339 timestamp"#),
        (#"{"start_at":5}"#, "start_at: expected an RFC 3339 timestamp string, got a number"),
        (#"{"status":"NOPE"}"#, #"status: "NOPE" is not an InterviewStatus name"#),
        (#"{"status":42}"#, "status: 42 is not an InterviewStatus number"),
        (#"{"revision":"-1"}"#, #"revision: "-1" is not an unsigned 64-bit integer"#),
        (#"{"revision":1.5}"#, #"revision: "1.5" is not an unsigned 64-bit integer"#),
        (#"{"remote_data":"%%%"}"#, "remote_data: not valid base64"),
        (#"{"customFields":{"k":1}}"#, "customFields.k: expected a string, got a number"),
        (#"{"location":{"street_9":"x"}}"#, "location.street_9: unknown field"),
        (#"{"remoteId":"a","remote_id":"b"}"#, "remote_id: duplicate field (also given as remoteId)"),
        (#"{"analysis":{"scores":[{"value":"x"}]}}"#, #"analysis.scores[0].value: "x" is not a number"#),
        (#"{"organizer":3}"#, "organizer: expected an object, got a number"),
        (#"{"interviewers":[null]}"#, "interviewers[0]: expected an object, got null"),
        ("[1]", "expected an object, got an array"),
        (#"{"id": }"#, "invalid JSON at byte offset 7: unexpected character '}'"),
        (#"{"id":"a",}"#, "invalid JSON at byte offset 10: expected a string"),
        (#"{"id":"a"} x"#, "invalid JSON at byte offset 11: unexpected text after the JSON value"),
        ("{\"id\":\"a\nb\"}", "invalid JSON at byte offset 8: control character 0xa in a string; escape it"),
        (#"{"id":"\ud800"}"#, #"invalid JSON at byte offset 13: \u escape of a lone high surrogate"#),
        (#"{"n":01}"#, "invalid JSON at byte offset 6: a number cannot have a leading zero"),
    ]

    @Test("each bad input names its path", arguments: cases)
    func rejected(_ input: String, _ message: String) {
        #expect(throws: JSONDecodingError.self) { try ProtoJSON.decodeInterview(input) }
        do {
            _ = try ProtoJSON.decodeInterview(input)
        } catch {
            #expect(error.message == message)
            #expect(error.code == .invalidArgument)
        }
    }

    @Test("invalid UTF-8 in a string")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"id":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(
            throws: JSONDecodingError(path: "", problem: "invalid JSON at byte offset 9: a string is not valid UTF-8")
        ) {
            try ProtoJSON.decodeInterview(bytes)
        }
    }

    @Test("nesting at the limit parses; one level deeper is rejected")
    func depth() throws {
        func nested(_ arrays: Int) -> String {
            #"{"x":"# + String(repeating: "[", count: arrays) + String(repeating: "]", count: arrays) + "}"
        }
        let limit = JSONLimits.maximumDepth
        #expect(try ProtoJSON.decodeInterview(nested(limit - 1), ignoringUnknownFields: true).interview == Interview())
        #expect(throws: JSONDecodingError.self) {
            try ProtoJSON.decodeInterview(nested(limit), ignoringUnknownFields: true)
        }
    }
}
