import Foundation
import Testing

@Suite("Output formats: proto3 JSON, JSON lines and tables", .runningServer())
struct OutputFormatTests {
    /// Every Interview field's proto3 JSON name.
    static let interviewFields: Set<String> = [
        "id", "remoteId", "companyId", "candidateId", "applicationId", "jobId", "agentId", "jobInterviewStageId",
        "title", "organizer", "interviewers", "location", "startAt", "endAt", "status", "remoteStatus", "createdAt",
        "updatedAt", "remoteCreatedAt", "remoteUpdatedAt", "deletedAt", "remoteDeletedAt", "customFields",
        "remoteData", "analysis", "revision",
    ]

    static let fullRecord = """
        {"remoteId":"gh-7","candidateId":"cand-7","applicationId":"app-7","jobId":"job-7","agentId":"agent-7",\
        "jobInterviewStageId":"stage-7","title":"Entretien — 東京 🚀","organizer":{"id":"u1","firstName":"Zoë"},\
        "interviewers":[{"id":"u2","email":"li@example.com"}],"location":{"raw":"Berlin","city":"Berlin"},\
        "startAt":"2026-02-01T09:00:00.500Z","endAt":"2026-02-01T10:00:00Z","status":"INTERVIEW_STATUS_AWAITING_FEEDBACK",\
        "remoteStatus":"Feedback pending","remoteCreatedAt":"2025-12-01T00:00:00Z","customFields":{"a":"1"},\
        "remoteData":"eyJyYXciOnRydWV9","analysis":{"summary":"Strong","overallScore":87.5,\
        "scores":[{"name":"communication","value":4.5,"maxValue":5}],\
        "transcript":[{"speaker":"candidate","text":"こんにちは","startOffsetMs":"0","endOffsetMs":"1200"}]}}
        """

    @Test("--output json is one document with proto3 JSON names")
    func json() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.succeed("create", "--json", Self.fullRecord, "--output", "json")
        let record = try created.json()
        #expect(Set(record.keys).isSubset(of: Self.interviewFields), "\(record.keys.sorted())")
        #expect(record["remoteId"] as? String == "gh-7")
        #expect(record["startAt"] as? String == "2026-02-01T09:00:00.500Z")
        #expect(record["status"] as? String == "INTERVIEW_STATUS_AWAITING_FEEDBACK")
        #expect((record["organizer"] as? [String: Any])?["firstName"] as? String == "Zoë")
        let id = try #require(record["id"] as? String)
        let got = try await acme.succeed("get", id, "--include-remote-data", "--output", "json").json()
        #expect(got["remoteData"] as? String == "eyJyYXciOnRydWV9")
        #expect(got["title"] as? String == "Entretien — 東京 🚀")
        let page = try await acme.succeed("list", "--output", "json").json()
        #expect(
            Set(page.keys).isSubset(of: [
                "interviews", "nextPageToken", "previousPageToken", "totalSize", "page", "pageSize",
            ]))
        #expect((page["interviews"] as? [[String: Any]])?.count == 1)
    }

    @Test("--output jsonl is one object a line", arguments: ["list", "stream", "export"])
    func jsonl(_ command: String) async throws {
        let acme = try await ServerProcess.current().newTenant()
        for n in 0..<3 { _ = try await acme.create("--title", "T\(n)\nsecond line", "--remote-id", "r\(n)") }
        let result = try await acme.succeed(command, "--output", "jsonl")
        let records = try result.jsonLines()
        #expect(records.count == 3)
        #expect(records.map { $0["title"] as? String } == ["T0\nsecond line", "T1\nsecond line", "T2\nsecond line"])
    }

    @Test("without --output, a pipe gets JSON lines")
    func defaultIsJSONLines() async throws {
        let acme = try await ServerProcess.current().newTenant()
        for n in 0..<2 { _ = try await acme.create("--title", "T\(n)") }
        let records = try await acme.succeed("list").jsonLines()
        #expect(records.map { $0["title"] as? String } == ["T0", "T1"])
    }

    @Test("--output json of list --all and stream is one Page document")
    func jsonPages() async throws {
        let acme = try await ServerProcess.current().newTenant()
        for n in 0..<5 { _ = try await acme.create("--title", "T\(n)") }
        let all = try await acme.succeed("list", "--all", "--page-size", "2", "--output", "json").json()
        #expect(titles(all) == ["T0", "T1", "T2", "T3", "T4"])
        #expect(all["totalSize"] as? String == "5")
        let streamed = try await acme.succeed("stream", "--output", "json").json()
        #expect(titles(streamed) == ["T0", "T1", "T2", "T3", "T4"])
    }

    @Test("the table has a header, one row per record and a footer, with aligned columns")
    func table() async throws {
        let acme = try await ServerProcess.current().newTenant()
        _ = try await acme.create(
            "--title", "Onsite", "--candidate", "cand-1", "--status", "scheduled", "--start", "2026-02-01T09:00:00Z")
        _ = try await acme.create("--title", "東京 interview")
        let table = try await acme.succeed("list", "--output", "table")
        let lines = table.lines
        try #require(lines.count == 4, "\(table)")
        #expect(lines[0].split(separator: " ") == ["ID", "STATUS", "TITLE", "CANDIDATE", "START", "REVISION"])
        #expect(
            lines[1].split(separator: " ").dropFirst().map(String.init) == [
                "SCHEDULED", "Onsite", "cand-1", "2026-02-01T09:00Z", "1",
            ])
        #expect(
            lines[2].split(separator: " ").dropFirst().map(String.init) == [
                "UNSPECIFIED", "東京", "interview", "-", "-", "1",
            ])
        #expect(lines[3] == "2 matching")
        let statusColumn = try #require(lines[0].range(of: "STATUS")).lowerBound.utf16Offset(in: lines[0])
        #expect(lines[1].dropFirst(statusColumn).hasPrefix("SCHEDULED"))
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
    }
}

@Suite("get shows one interview's every set field", .runningServer())
struct DetailViewTests {
    @Test("get --output table lists set fields with aligned labels, and leaves unset ones out")
    func detail() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create("--json", OutputFormatTests.fullRecord, "--output", "json")
        let id = try #require(created["id"] as? String)
        let shown = try await acme.succeed("get", id, "--include-remote-data", "--output", "table")
        let lines = shown.stdout.split(separator: "\n").map { String($0) }
        let expected = [
            "ID:              \(id)",
            "Title:           Entretien — 東京 🚀",
            "Status:          AWAITING_FEEDBACK (source: Feedback pending)",
            "Candidate:       cand-7",
            "Remote ID:       gh-7",
            "Start:           2026-02-01T09:00:00.500Z",
            "End:             2026-02-01T10:00:00Z",
            "Location:        Berlin",
            "Organizer:       Zoë (id u1)",
            "Interviewers:    <li@example.com> (id u2)",
            "Custom fields:   a: 1",
            "Summary:         Strong",
            "Overall score:   87.5",
            "Scores:          communication: 4.5 / 5",
            "Transcript:      1 segment (--output json shows them)",
            "Remote data:     12 bytes",
            "Source created:  2025-12-01T00:00:00Z",
            "Revision:        1",
        ]
        for line in expected { #expect(lines.contains(line), "missing \(line.debugDescription) in:\n\(shown.stdout)") }
        for label in ["Deleted:", "Recommendation:", "Source deleted:", "Application:     -"] {
            #expect(!shown.stdout.contains(label), "\(label) is not set:\n\(shown.stdout)")
        }
        for line in lines {
            let characters = Array(line)
            #expect(
                characters.count > 17 && characters[16] == " " && characters[17] != " ",
                "values start in column 18: \(line.debugDescription)")
        }

        _ = try await acme.succeed("delete", id)
        let deleted = try await acme.succeed("get", id, "--include-deleted", "--output", "table").stdout
        #expect(
            deleted.contains("Status:          AWAITING_FEEDBACK (source: Feedback pending), deleted"), "\(deleted)")
        #expect(deleted.contains("\nDeleted:         20"), "\(deleted)")
    }

    @Test("a control character in a value shows as a space; the table quotes remote_status when status is unspecified")
    func controlCharactersAndRemoteStatus() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let record = try await acme.create(
            "--json", #"{"title":"red\u001b[31mtext","remoteStatus":"Phone screen booked"}"#, "--output", "json")
        let id = try #require(record["id"] as? String)
        let shown = try await acme.succeed("get", id, "--output", "table").stdout
        #expect(shown.contains("\nTitle:     red [31mtext\n"), "\(shown.debugDescription)")
        #expect(!shown.contains("\u{1B}"))
        let table = try await acme.succeed("list", "--output", "table").stdout
        #expect(table.contains(#"  "Phone screen booked"  "#), "\(table)")
    }
}

@Suite("-o wide, -o csv and --fields", .runningServer())
struct ColumnsTests {
    @Test("wide adds JOB, REMOTE ID and UPDATED and cuts nothing")
    func wide() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create(
            "--title", "A title long enough that a narrow table would cut it short", "--job", "job-9", "--remote-id",
            "gh-1", "--start", "2026-02-01T09:00:00Z")
        let id = try #require(created["id"] as? String)
        let lines = try await acme.succeed("list", "-o", "wide").stdout.split(separator: "\n").map { String($0) }
        try #require(lines.count == 3, "\(lines)")
        #expect(
            lines[0].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                == "ID STATUS TITLE CANDIDATE JOB REMOTE ID START UPDATED REVISION")
        #expect(lines[1].hasPrefix(id + "  UNSPECIFIED  A title long enough that a narrow table would cut it short  -"))
        #expect(lines[1].contains("  job-9  gh-1       2026-02-01T09:00Z  20"), "\(lines[1])")
        #expect(lines[1].hasSuffix(" 1"))
        #expect(lines[2] == "1 matching")
        let headless = try await acme.succeed("get", id, "-o", "wide", "--no-headers").stdout
        #expect(headless.hasPrefix(id) && headless.split(separator: "\n").count == 1, "\(headless)")
    }

    @Test("csv quotes commas, quotes and line breaks, with CRLF line ends and a header of field names")
    func csv() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create(
            "--title", "Onsite, \"final\"\nround two", "--candidate", "cand-1", "--custom", "b=2", "--custom", "a=1")
        let id = try #require(created["id"] as? String)
        let shown = try await acme.succeed("list", "-o", "csv", "--fields", "id,title,customFields,revision").stdout
        #expect(
            shown == "id,title,custom_fields,revision\r\n\(id),\"Onsite, \"\"final\"\"\nround two\",a=1; b=2,1\r\n",
            "\(shown.debugDescription)")
        let streamed = try await acme.succeed("stream", "-o", "csv", "--no-headers", "--fields", "candidate_id")
        #expect(streamed.stdout == "cand-1\r\n")
        let wideCSV = try await acme.succeed("get", id, "-o", "csv").stdout
        #expect(wideCSV.hasPrefix("id,status,title,candidate_id,job_id,remote_id,start_at,updated_at,revision\r\n"))
    }

    @Test("--fields picks a table's columns in the order given and JSON's keys (id kept)")
    func fields() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create("--title", "T", "--job", "job-1", "--candidate", "c-1")
        let id = try #require(created["id"] as? String)
        let table = try await acme.succeed("list", "-o", "table", "--fields", "job_id,title").stdout
        #expect(table == "JOB    TITLE\njob-1  T\n1 matching\n", "\(table.debugDescription)")
        let json = try await acme.succeed("get", id, "-o", "json", "--fields", "title,jobId").json()
        #expect(Set(json.keys) == ["id", "title", "jobId"], "\(json)")
        let lines = try await acme.succeed("stream", "-o", "jsonl", "--fields", "candidate_id").jsonLines()
        #expect(lines.map { Set($0.keys) } == [["id", "candidateId"]])
        let page = try await acme.succeed("list", "-o", "json", "--fields", "title").json()
        let records = try #require(page["interviews"] as? [[String: Any]])
        #expect(records.map { Set($0.keys) } == [["id", "title"]])
        #expect(page["totalSize"] as? String == "1")
    }
}

@Suite("--output yaml", .runningServer())
struct YAMLOutputTests {
    @Test("get, list and the import report print YAML of the same document")
    func yaml() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create("--json", OutputFormatTests.fullRecord, "--output", "json")
        let id = try #require(created["id"] as? String)
        let got = try await acme.succeed("get", id, "-o", "yaml").stdout
        #expect(got.hasPrefix("id: \"\(id)\"\nremoteId: gh-7\n"), "\(got)")
        #expect(got.contains("\norganizer:\n  id: u1\n  firstName: Zoë\ninterviewers:\n- id: u2\n"), "\(got)")
        #expect(got.contains("\nstatus: INTERVIEW_STATUS_AWAITING_FEEDBACK\n"), "\(got)")
        #expect(got.contains("\n  scores:\n  - name: communication\n    value: 4.5\n    maxValue: 5\n"), "\(got)")
        let page = try await acme.succeed("list", "-o", "yaml", "--fields", "title").stdout
        #expect(page.hasPrefix("interviews:\n- id: \"\(id)\"\n  title: Entretien — 東京 🚀\n"), "\(page)")
        let report = try await acme.succeed(
            "import", "--dry-run", "--format", "ours", "-o", "yaml", input: #"{"remoteId":"r","title":"t"}"#
        ).stdout
        #expect(report.contains("dryRun: true\n") && report.contains("valid: 1\n"), "\(report)")
    }
}
