import InterviewsJSON
import InterviewsModel
import Testing

/// Imports `record` and checks that the format was detected as `expected`.
func importDetected(_ record: [UInt8], as expected: ImportFormat) throws -> Interview {
    #expect(try InterviewImporter.detectFormat(of: record) == expected)
    let imported = try InterviewImporter.importRecord(record)
    #expect(imported.format == expected)
    if expected != .ours { #expect(imported.interview.id.isEmpty, "our id is the server's to assign") }
    return imported.interview
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("Merge ScheduledInterview imports")
struct MergeImportTests {
    @Test("the sample maps field by field")
    func sample() throws {
        let record = try Fixtures.bytes("merge.json")
        let i = try importDetected(record, as: .merge)
        #expect(i.remoteID == "b8faf072-98b9-4445-8a9a-6b4950efca19")
        #expect(i.applicationID == "92e8a369-fffe-430d-b93a-f7e8a16563f1")
        #expect(i.jobInterviewStageID == "2f7adb59-3fe6-4b5b-aef6-563f72bd13dc")
        #expect(i.organizer == Participant(id: "52bf9b5e-0beb-4f6f-8a72-cd4dca7ca633"))
        #expect(
            i.interviewers == [
                Participant(id: "f9813dd5-e70b-484c-91d8-00acd6065b07"),
                Participant(id: "89a86fcf-d540-4e6b-ac3d-ce07c4ec9b3c"),
            ])
        #expect(i.location == Location(raw: "Embarcadero Center 2"))
        #expect(i.startAt == (try Fixtures.time("2021-10-15T00:00:00Z")))
        #expect(i.endAt == (try Fixtures.time("2021-10-15T02:00:00Z")))
        #expect(i.remoteCreatedAt == (try Fixtures.time("2021-10-15T00:00:00Z")))
        #expect(i.remoteUpdatedAt == (try Fixtures.time("2021-10-15T00:00:00Z")))
        #expect(i.status == .scheduled)
        #expect(i.remoteStatus.isEmpty)
        #expect(i.remoteDeletedAt == i.remoteUpdatedAt, "remote_was_deleted dates the deletion at the last update")
        #expect(i.remoteData == Array(record.dropLast()), "the payload as given, trailing newline trimmed")
    }

    @Test("an unmapped status is kept in remoteStatus", arguments: ["Canceled by candidate", "NO_SHOW"])
    func unknownStatus(_ status: String) throws {
        let record = bytes(#"{"id":"m1","status":"\#(status)","remote_was_deleted":false}"#)
        let i = try importDetected(record, as: .merge)
        #expect(i.status == .unspecified)
        #expect(i.remoteStatus == status)
        #expect(i.remoteDeletedAt == nil)
    }

    @Test("AWAITING_FEEDBACK and COMPLETE map to our statuses")
    func statuses() throws {
        let a = try importDetected(bytes(#"{"id":"m1","status":"AWAITING_FEEDBACK","field_mappings":{}}"#), as: .merge)
        #expect(a.status == .awaitingFeedback)
        let c = try importDetected(bytes(#"{"id":"m1","status":"COMPLETE","field_mappings":null}"#), as: .merge)
        #expect(c.status == .completed)
    }

    @Test("field_mappings flatten to string custom fields")
    func fieldMappings() throws {
        let record = bytes(
            #"{"id":"m1","field_mappings":{"organization_defined_targets":{"level":"L4","score":3,"remote":true},"#
                + #""linked_account_defined_targets":{"tags":["a","b"],"none":null}}}"#)
        let i = try importDetected(record, as: .merge)
        #expect(
            i.customFields == [
                "organization_defined_targets.level": "L4", "organization_defined_targets.score": "3",
                "organization_defined_targets.remote": "true", "linked_account_defined_targets.tags": #"["a","b"]"#,
            ])
    }

    @Test("a deletion without remote_updated_at is dated by the record's own times, never the clock")
    func deletedWithoutDate() throws {
        let bare = bytes(#"{"id":"m1","remote_was_deleted":true}"#)
        let first = try importDetected(bare, as: .merge)
        #expect(first.remoteDeletedAt == Timestamp(seconds: 0), "no time at all: the epoch, time unknown")
        #expect(try importDetected(bare, as: .merge) == first, "a second import maps to the same record")
        let modified = try InterviewImporter.importRecord(
            bytes(
                #"{"id":"m1","remote_was_deleted":true,"modified_at":"2021-10-16T00:00:00Z","created_at":"2021-10-01T00:00:00Z","remote_created_at":"2021-09-01T00:00:00Z"}"#
            ), format: .merge
        ).interview
        #expect(modified.remoteDeletedAt == Timestamp(seconds: 1_634_342_400), "Merge's modified_at")
        let created = try importDetected(
            bytes(#"{"id":"m1","remote_was_deleted":true,"created_at":"2021-10-01T00:00:00Z"}"#), as: .merge)
        #expect(created.remoteDeletedAt == Timestamp(seconds: 1_633_046_400), "Merge's created_at")
        let remoteCreated = try importDetected(
            bytes(#"{"id":"m1","remote_was_deleted":true,"remote_created_at":"2021-09-01T00:00:00Z"}"#), as: .merge)
        #expect(remoteCreated.remoteDeletedAt == Timestamp(seconds: 1_630_454_400), "remote_created_at")
    }

    @Test("an expanded application gives the candidate and the job")
    func expandedApplication() throws {
        let record = bytes(
            #"{"id":"m1","application":{"id":"a1","candidate":"c1","job":{"id":"j1"}},"remote_was_deleted":false}"#)
        let i = try importDetected(record, as: .merge)
        #expect(i.applicationID == "a1")
        #expect(i.candidateID == "c1")
        #expect(i.jobID == "j1")
    }
}

@Suite("Kombo interviews import")
struct KomboImportTests {
    @Test("the sample maps field by field")
    func sample() throws {
        let records = try JSONEnvelope.records(in: try Fixtures.bytes("kombo-list.json"))
        try #require(records.count == 1)
        let i = try importDetected(records[0], as: .kombo)
        #expect(i.remoteID == "26vafvWSRmbhNcxJYqjCzuJg")
        #expect(i.title == "Interview with John Doe")
        #expect(i.startAt == (try Fixtures.time("2023-06-26T14:30:00Z")))
        #expect(i.endAt == (try Fixtures.time("2023-06-26T15:30:00Z")))
        #expect(
            i.location
                == Location(
                    raw: "Berlin, Germany", street1: "Lohmühlenstraße 65", street2: "", city: "Berlin",
                    state: "Berlin", zipCode: "12435", country: "DE"))
        #expect(i.applicationID == "H77fDF8uvEzGNPRubiz5DvQ7")
        #expect(i.jobInterviewStageID == "H5daSm8e85Dmvmne3wLeCPhX")
        #expect(i.candidateID == "26vafvWSRmbhNcxJYqjCzuJg")
        #expect(i.jobID == "26vafvWSRmbhNcxJYqjCzuJg")
        #expect(i.status == .scheduled, "canceled: false")
        #expect(
            i.interviewers == [
                Participant(
                    id: "26vafvWSRmbhNcxJYqjCzuJg", remoteID: "32", firstName: "John", lastName: "Doe",
                    email: "john.doe@kombo.dev")
            ])
        #expect(i.organizer == nil)
        #expect(i.remoteCreatedAt == (try Fixtures.time("2022-08-07T14:01:29.196Z")))
        #expect(i.remoteUpdatedAt == (try Fixtures.time("2022-08-07T14:01:29.196Z")))
        #expect(i.remoteDeletedAt == nil)
        #expect(i.remoteData == records[0])
    }

    @Test("canceled, changed_at and remote_deleted_at")
    func cancelled() throws {
        let record = bytes(
            #"{"id":"k1","canceled":true,"changed_at":"2024-01-02T03:04:05Z","remote_deleted_at":"2024-02-01T00:00:00Z"}"#
        )
        let i = try importDetected(record, as: .kombo)
        #expect(i.status == .cancelled)
        #expect(i.remoteUpdatedAt == (try Fixtures.time("2024-01-02T03:04:05Z")))
        #expect(i.remoteDeletedAt == (try Fixtures.time("2024-02-01T00:00:00Z")))
        let unknown = try importDetected(bytes(#"{"remote_id":"32","canceled":null}"#), as: .kombo)
        #expect(unknown.status == .unspecified)
        #expect(unknown.remoteID == "32", "remote_id stands in when there is no id")
    }
}

@Suite("Truto unified interviews import")
struct TrutoImportTests {
    @Test("the sample maps field by field; an unknown status is kept")
    func sample() throws {
        let records = try JSONEnvelope.records(in: try Fixtures.bytes("truto-list.json"))
        try #require(records.count == 2)
        let i = try importDetected(records[0], as: .truto)
        #expect(i.remoteID == "4821")
        #expect(i.applicationID == "app-77")
        #expect(i.candidateID == "cand-12")
        #expect(i.jobInterviewStageID == "stage-3")
        #expect(i.organizer == Participant(id: "u-9"))
        #expect(i.interviewers == [Participant(id: "u-1"), Participant(id: "u-2")])
        #expect(i.location == Location(raw: "Zoom"))
        #expect(i.startAt == (try Fixtures.time("2024-03-05T14:00:00Z")))
        #expect(i.endAt == (try Fixtures.time("2024-03-05T15:00:00Z")))
        #expect(i.status == .scheduled)
        #expect(i.remoteCreatedAt == (try Fixtures.time("2024-03-01T09:00:00Z")))
        #expect(i.remoteUpdatedAt == (try Fixtures.time("2024-03-02T10:30:00Z")))
        #expect(i.remoteData == records[0])

        let second = try importDetected(records[1], as: .truto)
        #expect(second.status == .unspecified)
        #expect(second.remoteStatus == "no_show")
    }
}

@Suite("Bindbee scheduled interviews import")
struct BindbeeImportTests {
    @Test("the sample maps field by field")
    func sample() throws {
        let record = try Fixtures.bytes("bindbee.json")
        let i = try importDetected(record, as: .bindbee)
        let ref = "018b4bfb-5ece-70b1-ad5e-862a9433aa65"
        #expect(i.remoteID == "3c90c3cc-0d44-4b50-8888-8dd25736052a")
        #expect(i.applicationID == ref)
        #expect(i.jobInterviewStageID == ref)
        #expect(i.organizer == Participant(id: ref))
        #expect(i.interviewers == [Participant(id: ref)], "a single id where the schema says array")
        #expect(i.location == Location(raw: "123 Main St, Anytown, USA"))
        #expect(i.startAt == (try Fixtures.time("2021-01-01T00:00:00Z")))
        #expect(i.remoteUpdatedAt == (try Fixtures.time("2021-01-01T00:00:00Z")))
        #expect(i.status == .scheduled)
        #expect(
            i.customFields == [
                "category_group": "REG", "disability_type": "ASBERG", "hire_date": "1991-03-16T00:00:00",
                "hire_source": "REFER", "nationality": "USA", "original_hire_date": "1991-03-16T00:00:00",
            ])
        #expect(i.remoteData == Array(record.dropLast()))
        let raw = try ProtoJSON.decodeInterview(i.protoJSON).interview.remoteData
        #expect(String(decoding: raw, as: UTF8.self).contains("Platform dependent data 1"), "raw_data is kept")
    }

    @Test("an unmapped status is kept in remoteStatus")
    func unknownStatus() throws {
        let i = try importDetected(bytes(#"{"id":"b1","raw_data":{},"status":"RESCHEDULED"}"#), as: .bindbee)
        #expect(i.status == .unspecified)
        #expect(i.remoteStatus == "RESCHEDULED")
    }
}

@Suite("AI-interview platform interviews import")
struct PlatformImportTests {
    @Test("the sample maps field by field, analysis included")
    func sample() throws {
        let record = try Fixtures.bytes("platform.json")
        let i = try importDetected(record, as: .platform)
        #expect(i.remoteID == "123e4567-e89b-12d3-a456-426614174000")
        #expect(i.candidateID == "987e6543-e21b-12d3-a456-426614174000")
        #expect(i.agentID == "456e7890-e12b-34d5-a678-901234567890")
        #expect(i.jobID == "123e4567-e89b-12d3-a456-426614174000")
        #expect(i.status == .completed)
        #expect(i.startAt == (try Fixtures.time("2025-11-20T10:00:00Z")))
        #expect(i.endAt == (try Fixtures.time("2025-11-20T10:15:00Z")))
        #expect(i.remoteCreatedAt == (try Fixtures.time("2024-11-16T10:30:00Z")))
        #expect(i.customFields == ["externalInterviewId": "INT-789"])
        let analysis = try #require(i.analysis)
        #expect(
            analysis.summary
                == "Strong candidate with relevant experience\nGood cultural fit for the team\nRecommended for next round"
        )
        #expect(analysis.recommendation == "HIGH")
        #expect(analysis.overallScore == 85)
        #expect(
            analysis.scores == [
                Score(name: "pronunciationScores.accuracy", value: 88),
                Score(name: "pronunciationScores.fluency", value: 92.5),
            ])
        #expect(
            analysis.transcript == [
                TranscriptSegment(
                    speaker: "agent", text: "Dobrý deň, povedzte mi o sebe.", startOffsetMs: 0, endOffsetMs: 3200),
                TranscriptSegment(
                    speaker: "candidate", text: "Volám sa Ján a programujem 5 rokov.", startOffsetMs: 3500,
                    endOffsetMs: 7900),
            ])
        #expect(i.remoteData == Array(record.dropLast()))
    }

    @Test(
        "UNDEFINED is unspecified; other statuses map by name",
        arguments: [
            ("UNDEFINED", InterviewStatus.unspecified), ("SCHEDULED", .scheduled), ("IN_PROGRESS", .inProgress),
            ("CANCELLED", .cancelled), ("FAILED", .failed),
        ])
    func statuses(_ name: String, _ status: InterviewStatus) throws {
        let i = try importDetected(bytes(#"{"id":"p1","candidateId":"c","status":"\#(name)"}"#), as: .platform)
        #expect(i.status == status)
        #expect(i.remoteStatus.isEmpty)
    }

    @Test("a transcript in seconds")
    func seconds() throws {
        let record = bytes(
            #"{"id":"p1","agentId":"a","transcript":[{"role":"ai","content":"Hi","startTime":1.5,"endTime":2}]}"#)
        let i = try importDetected(record, as: .platform)
        #expect(
            i.analysis?.transcript == [
                TranscriptSegment(speaker: "ai", text: "Hi", startOffsetMs: 1500, endOffsetMs: 2000)
            ])
    }
}

@Suite("Our own export imports back unchanged")
struct OursImportTests {
    @Test("an exported interview is detected and read back")
    func ours() throws {
        let interview = Fixtures.fullInterview()
        #expect(try importDetected(bytes(interview.protoJSON), as: .ours) == interview)
    }

    @Test(
        "a minimal record of ours is told from the platform's",
        arguments: [
            #"{"remoteId":"r1"}"#, #"{"candidate_id":"c","status":"INTERVIEW_STATUS_SCHEDULED"}"#, #"{"status":2}"#,
        ])
    func minimal(_ record: String) throws {
        #expect(try InterviewImporter.detectFormat(of: bytes(record)) == .ours)
    }
}

@Suite("Import errors say where and what")
struct ImportErrorTests {
    @Test(
        "each bad record names its path",
        arguments: [
            (
                #"{"foo":1}"#, ImportFormat.auto,
                "cannot tell the record's format (ours, merge, kombo, truto, bindbee or platform); name it"
            ),
            (
                #"{"id":"k","starting_at":"nope"}"#, .auto,
                #"starting_at: "nope" is not an RFC 3339 timestamp (read as kombo)"#
            ),
            (#"{"starting_at":"2023-06-26T14:30:00Z"}"#, .kombo, "id: missing; a record needs an id"),
            (
                #"{"id":"m","interviewers":["a",true]}"#, .merge,
                "interviewers[1]: expected a user id or a user object, got a boolean"
            ),
            (
                #"{"id":"k","users":[{"id":"u","email":["x"]}]}"#, .kombo,
                "users[0].email: expected a string, got an array"
            ),
            (#"{"id":"t","location":7}"#, .truto, "location: expected a string or an object, got a number"),
            (
                #"{"id":"p","analysis":{"transcript":[{"startMs":-5}]}}"#, .platform,
                "analysis.transcript[0].startMs: -5.0 is not a non-negative offset"
            ),
            (
                #"{"id":"b","remote_was_deleted":"yes"}"#, .bindbee,
                "remote_was_deleted: expected a boolean, got a string"
            ),
            (#"{"id":"a","bogus":1}"#, .ours, "bogus: unknown field"),
            ("[]", .merge, "expected an object, got an array"),
        ])
    func rejected(_ record: String, _ format: ImportFormat, _ message: String) {
        do {
            _ = try InterviewImporter.importRecord(bytes(record), format: format)
            Issue.record("accepted \(record)")
        } catch {
            #expect(error.message == message)
        }
    }

    @Test("vendor timestamps without an offset are UTC; bare dates are midnight")
    func lenientTimes() throws {
        let i = try InterviewImporter.importRecord(
            bytes(#"{"id":"m","start_at":"2021-10-15T08:00:00","end_at":"2021-10-16"}"#), format: .merge
        ).interview
        #expect(i.startAt == (try Fixtures.time("2021-10-15T08:00:00Z")))
        #expect(i.endAt == (try Fixtures.time("2021-10-16T00:00:00Z")))
    }
}

@Suite("List envelopes give up their records")
struct EnvelopeTests {
    @Test(
        "each vendor's list response",
        arguments: [
            ("kombo-list.json", ImportFormat.kombo, 1), ("merge-list.json", .merge, 1), ("truto-list.json", .truto, 2),
            ("bindbee-list.json", .bindbee, 1), ("platform-list.json", .platform, 1),
        ])
    func vendors(_ file: String, _ format: ImportFormat, _ count: Int) throws {
        for given in [ImportFormat.auto, format] {
            let records = try JSONEnvelope.records(in: try Fixtures.bytes(file), format: given)
            #expect(records.count == count, "\(given)")
            for record in records {
                #expect(record.first == UInt8(ascii: "{") && record.last == UInt8(ascii: "}"))
                #expect(try InterviewImporter.detectFormat(of: record) == format)
            }
        }
    }

    @Test("Bindbee's list response gives up its items")
    func bindbee() throws {
        let document = try Fixtures.bytes("bindbee-list.json")
        let records = try JSONEnvelope.records(in: document, format: .bindbee)
        try #require(records.count == 1)
        let mapped = try InterviewImporter.importRecord(records[0], format: .bindbee)
        #expect(mapped.interview.remoteID == "3c90c3cc-0d44-4b50-8888-8dd25736052a")
        #expect(try JSONEnvelope.records(in: bytes(#"{"cursor": "c", "page_size": 2, "items": []}"#)) == [])
    }

    @Test(
        "a list response whose records member is missing or not an array is an error naming the member",
        arguments: [
            (#"{"cursor": "c", "page_size": 50}"#, ImportFormat.auto, "items", "missing"),
            (#"{"cursor": "c", "page_size": 50, "items": {"id": "x"}}"#, .bindbee, "items", "an object"),
            (#"{"cursor": null, "item": []}"#, .bindbee, "items", "missing"),
            (#"{"items": null}"#, .auto, "items", "null"),
            (#"{"next": "n", "previous": null}"#, .auto, "results", "missing"),
            (#"{"next": "n", "results": "x"}"#, .merge, "results", "a string"),
            (#"{"status": "success", "data": {"next": null}}"#, .auto, "data.results", "missing"),
            (#"{"status": "success", "data": null}"#, .auto, "data.results", "missing"),
            (#"{"data": {"results": 3}}"#, .kombo, "data.results", "a number"),
            (#"{"next_cursor": "c"}"#, .auto, "result", "missing"),
            (#"{"result": {"a": 1}}"#, .truto, "result", "an object"),
            (#"{"pagination": {"page": 1}}"#, .auto, "data", "missing"),
            (#"{"data": {"id": "x"}}"#, .platform, "data", "an object"),
            (#"{"nextPageToken": "t"}"#, .auto, "interviews", "missing"),
        ])
    func brokenListResponse(_ document: String, _ format: ImportFormat, _ key: String, _ problem: String) {
        do throws(JSONDecodingError) {
            let records = try JSONEnvelope.records(in: bytes(document), format: format)
            Issue.record("\(document) gave \(records.count) record(s)")
        } catch {
            #expect(error.path == key, "\(error)")
            if problem == "missing" {
                #expect(error.problem.hasPrefix("missing; "), "\(error)")
                #expect(error.problem.hasSuffix("holds its records in \"\(key)\""), "\(error)")
            } else {
                #expect(error.problem.hasPrefix("expected an array of records ("), "\(error)")
                #expect(error.problem.hasSuffix("got \(problem)"), "\(error)")
            }
        }
    }

    @Test("the exact message for Bindbee's list response without items")
    func bindbeeMessage() {
        #expect(
            throws: JSONDecodingError(
                path: "items", problem: #"missing; a Bindbee list response holds its records in "items""#)
        ) {
            try JSONEnvelope.records(in: bytes(#"{"cursor": "c", "page_size": 50}"#), format: .bindbee)
        }
    }

    @Test("with a format, a single record is still returned whole")
    func singleWithFormat() throws {
        let records = try JSONEnvelope.records(in: try Fixtures.bytes("bindbee.json"), format: .bindbee)
        try #require(records.count == 1)
        #expect(records[0].first == UInt8(ascii: "{") && records[0].last == UInt8(ascii: "}"))
        #expect(try InterviewImporter.detectFormat(of: records[0]) == .bindbee)
    }

    @Test(
        "records keep their exact bytes",
        arguments: [
            #"[ {"a": 1} , {"b":[2, "]"]} ]"#, #"{"result": [ {"a": 1} , {"b":[2, "]"]} ], "next_cursor": "c"}"#,
            #"{"data": [{"a": 1}, {"b":[2, "]"]}], "pagination": {"page": 1}}"#,
            #"{"status": "success", "data": {"next": null, "results": [{"a": 1},{"b":[2, "]"]}]}}"#,
            #"{"next": "x", "results": [{"a": 1},  {"b":[2, "]"]}]}"#, #"{"interviews": [{"a": 1}, {"b":[2, "]"]}]}"#,
            #"{"cursor": "c", "page_size": 2, "items": [{"a": 1}, {"b":[2, "]"]}]}"#,
        ])
    func exactBytes(_ document: String) throws {
        #expect(try JSONEnvelope.records(in: bytes(document)) == [bytes(#"{"a": 1}"#), bytes(#"{"b":[2, "]"]}"#)])
    }

    @Test("a single record is returned whole, trimmed")
    func single() throws {
        #expect(try JSONEnvelope.records(in: bytes(" {\"id\": \"x\"}\r\n")) == [bytes("{\"id\": \"x\"}")])
        #expect(try JSONEnvelope.records(in: bytes("[]")) == [])
    }

    @Test("neither an object nor an array is an error")
    func scalar() {
        #expect(throws: JSONDecodingError(path: "", problem: "expected an object or an array of records, got a string"))
        {
            try JSONEnvelope.records(in: bytes(#""x""#))
        }
    }
}
