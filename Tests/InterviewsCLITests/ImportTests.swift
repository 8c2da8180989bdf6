import Foundation
import Testing

/// The vendor samples the import adapters are tested with, shared with InterviewsJSONTests.
enum VendorSamples {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("InterviewsJSONTests/Fixtures")

    /// The path of sample `name`, which must exist.
    static func path(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try #require(
            FileManager.default.fileExists(atPath: path), "missing fixture \(path)", sourceLocation: sourceLocation)
        return path
    }
}

@Suite("Import reads our export and every vendor's records", .runningServer())
struct ImportTests {
    /// Imports `fixture` with `--envelope` (and `--format` when given) into a
    /// new company and returns what `list --output json` then shows.
    func importSample(_ fixture: String, format: String? = nil) async throws -> [[String: Any]] {
        let acme = try await ServerProcess.current().newTenant()
        var arguments = ["import", "--envelope", "--file", try VendorSamples.path(fixture), "--on-error", "abort"]
        if let format { arguments += ["--format", format] }
        let imported = try await acme.run(arguments)
        #expect(imported.status == 0, "\(imported)")
        let page = try await acme.succeed("list", "--output", "json").json()
        return page["interviews"] as? [[String: Any]] ?? []
    }

    @Test("a Merge list response maps to interviews")
    func merge() async throws {
        let listed = try await importSample("merge-list.json")
        try #require(listed.count == 1)
        let i = listed[0]
        #expect(i["remoteId"] as? String == "b8faf072-98b9-4445-8a9a-6b4950efca19")
        #expect(i["applicationId"] as? String == "92e8a369-fffe-430d-b93a-f7e8a16563f1")
        #expect(i["jobInterviewStageId"] as? String == "2f7adb59-3fe6-4b5b-aef6-563f72bd13dc")
        #expect((i["organizer"] as? [String: Any])?["id"] as? String == "52bf9b5e-0beb-4f6f-8a72-cd4dca7ca633")
        #expect(
            (i["interviewers"] as? [[String: Any]])?.map { $0["id"] as? String } == [
                "f9813dd5-e70b-484c-91d8-00acd6065b07", "89a86fcf-d540-4e6b-ac3d-ce07c4ec9b3c",
            ])
        #expect((i["location"] as? [String: Any])?["raw"] as? String == "Embarcadero Center 2")
        #expect(i["startAt"] as? String == "2021-10-15T00:00:00Z")
        #expect(i["endAt"] as? String == "2021-10-15T02:00:00Z")
        #expect(i["status"] as? String == "INTERVIEW_STATUS_SCHEDULED")
        #expect(i["remoteDeletedAt"] as? String == "2021-10-15T00:00:00Z", "remote_was_deleted")
        #expect(i["remoteData"] == nil, "remote_data only when asked for")
    }

    @Test("re-importing a Merge deletion that carries no time changes nothing: same record, same revision")
    func reimportDeletionWithoutTime() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString).json")
        try Data(#"{"id":"m-bare","remote_was_deleted":true,"status":"SCHEDULED"}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await acme.succeed("import", "--format", "merge", "--file", file.path)
        let first = try await acme.succeed("list", "--output", "jsonl").jsonLines()
        _ = try await acme.succeed("import", "--format", "merge", "--file", file.path)
        let second = try await acme.succeed("list", "--output", "jsonl").jsonLines()
        try #require(first.count == 1 && second.count == 1, "\(first) \(second)")
        let revision = try #require(first[0]["revision"] as? String)
        #expect(second[0]["revision"] as? String == revision)
        #expect(second[0]["remoteDeletedAt"] as? String == "1970-01-01T00:00:00Z")
        #expect(second[0]["updatedAt"] as? String == first[0]["updatedAt"] as? String)
    }

    @Test("a single Merge object imports the same way, and get shows its payload on request")
    func mergeObject() async throws {
        let acme = try await ServerProcess.current().newTenant()
        _ = try await acme.succeed("import", "--envelope", "--file", try VendorSamples.path("merge.json"))
        let listed = try await acme.succeed("list", "--output", "jsonl").jsonLines()
        let id = try #require(listed.first?["id"] as? String)
        let got = try await acme.succeed("get", id, "--include-remote-data", "--output", "json").json()
        let payload = try #require(Data(base64Encoded: got["remoteData"] as? String ?? ""))
        let original = try Data(contentsOf: URL(fileURLWithPath: try VendorSamples.path("merge.json")))
        #expect(
            String(decoding: payload, as: UTF8.self)
                == String(decoding: original, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("a Kombo list response maps to interviews")
    func kombo() async throws {
        let listed = try await importSample("kombo-list.json")
        try #require(listed.count == 1)
        let i = listed[0]
        #expect(i["remoteId"] as? String == "26vafvWSRmbhNcxJYqjCzuJg")
        #expect(i["title"] as? String == "Interview with John Doe")
        #expect(i["startAt"] as? String == "2023-06-26T14:30:00Z")
        #expect(i["endAt"] as? String == "2023-06-26T15:30:00Z")
        let location = try #require(i["location"] as? [String: Any])
        #expect(location["city"] as? String == "Berlin")
        #expect(location["street1"] as? String == "Lohmühlenstraße 65")
        #expect(location["zipCode"] as? String == "12435")
        #expect(i["applicationId"] as? String == "H77fDF8uvEzGNPRubiz5DvQ7")
        #expect(i["jobInterviewStageId"] as? String == "H5daSm8e85Dmvmne3wLeCPhX")
        #expect(i["status"] as? String == "INTERVIEW_STATUS_SCHEDULED")
        let interviewers = try #require(i["interviewers"] as? [[String: Any]])
        #expect(interviewers.first?["email"] as? String == "john.doe@kombo.dev")
        #expect(interviewers.first?["firstName"] as? String == "John")
    }

    @Test("a Truto list response maps to interviews; an unknown status is kept as remote_status")
    func truto() async throws {
        let listed = try await importSample("truto-list.json")
        try #require(listed.count == 2)
        let i = try #require(listed.first { $0["remoteId"] as? String == "4821" })
        #expect(i["applicationId"] as? String == "app-77")
        #expect(i["candidateId"] as? String == "cand-12")
        #expect(i["jobInterviewStageId"] as? String == "stage-3")
        #expect((i["organizer"] as? [String: Any])?["id"] as? String == "u-9")
        #expect(i["startAt"] as? String == "2024-03-05T14:00:00Z")
        #expect(i["status"] as? String == "INTERVIEW_STATUS_SCHEDULED")
        #expect(i["remoteCreatedAt"] as? String == "2024-03-01T09:00:00Z")
        let other = try #require(listed.first { $0["remoteId"] as? String == "4822" })
        #expect(other["status"] == nil, "UNSPECIFIED is proto3's default, left out")
        #expect(other["remoteStatus"] as? String == "no_show")
    }

    @Test("a Bindbee record maps to an interview")
    func bindbee() async throws {
        let listed = try await importSample("bindbee.json")
        try #require(listed.count == 1)
        let i = listed[0]
        let ref = "018b4bfb-5ece-70b1-ad5e-862a9433aa65"
        #expect(i["remoteId"] as? String == "3c90c3cc-0d44-4b50-8888-8dd25736052a")
        #expect(i["applicationId"] as? String == ref)
        #expect((i["interviewers"] as? [[String: Any]])?.map { $0["id"] as? String } == [ref])
        #expect((i["customFields"] as? [String: String])?["hire_source"] == "REFER")
        #expect(i["status"] as? String == "INTERVIEW_STATUS_SCHEDULED")
    }

    @Test(
        "each vendor's list response imports every record, with and without --format",
        arguments: [
            ("merge-list.json", "merge", ["b8faf072-98b9-4445-8a9a-6b4950efca19"]),
            ("kombo-list.json", "kombo", ["26vafvWSRmbhNcxJYqjCzuJg"]),
            ("truto-list.json", "truto", ["4821", "4822"]),
            ("bindbee-list.json", "bindbee", ["3c90c3cc-0d44-4b50-8888-8dd25736052a"]),
            ("platform-list.json", "platform", ["123e4567-e89b-12d3-a456-426614174000"]),
        ])
    func listResponses(_ fixture: String, _ format: String, _ remoteIDs: [String]) async throws {
        for given in [nil, format] {
            let listed = try await importSample(fixture, format: given)
            #expect(Set(listed.compactMap { $0["remoteId"] as? String }) == Set(remoteIDs), "\(given ?? "auto")")
        }
    }

    @Test("a Bindbee list response without items is an error naming items, not 0 imported")
    func bindbeeWithoutItems() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run(
            "import", "--format", "bindbee", "--envelope", input: #"{"cursor": null, "page_size": 50, "results": 3}"#)
        #expect(result.status == 65, "\(result)")
        #expect(
            result.stderr
                == "error: INVALID_ARGUMENT: standard input: items: missing; "
                + "a Bindbee list response holds its records in \"items\"\n",
            "\(result)")
        #expect(try await acme.succeed("list", "--output", "jsonl").jsonLines().isEmpty)
    }

    @Test("an AI-interview platform record maps to an interview with its analysis")
    func platform() async throws {
        let listed = try await importSample("platform.json", format: "platform")
        try #require(listed.count == 1)
        let i = listed[0]
        #expect(i["remoteId"] as? String == "123e4567-e89b-12d3-a456-426614174000")
        #expect(i["candidateId"] as? String == "987e6543-e21b-12d3-a456-426614174000")
        #expect(i["agentId"] as? String == "456e7890-e12b-34d5-a678-901234567890")
        #expect(i["status"] as? String == "INTERVIEW_STATUS_COMPLETED")
        #expect(i["startAt"] as? String == "2025-11-20T10:00:00Z")
        #expect(i["endAt"] as? String == "2025-11-20T10:15:00Z")
        #expect((i["customFields"] as? [String: String])?["externalInterviewId"] == "INT-789")
        let analysis = try #require(i["analysis"] as? [String: Any])
        #expect(analysis["recommendation"] as? String == "HIGH")
        #expect(analysis["overallScore"] as? Double == 85)
        let transcript = try #require(analysis["transcript"] as? [[String: Any]])
        #expect(transcript.first?["text"] as? String == "Dobrý deň, povedzte mi o sebe.")
    }

    @Test("get and the table show an imported vendor record's mapped fields")
    func tableOfImported() async throws {
        let acme = try await ServerProcess.current().newTenant()
        _ = try await acme.succeed("import", "--envelope", "--file", try VendorSamples.path("kombo-list.json"))
        let table = try await acme.succeed("list", "--output", "table")
        #expect(
            table.lines.first?.split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "STATUS", "TITLE", "CANDIDATE", "START", "REVISION",
            ])
        #expect(
            table.lines[1].contains("SCHEDULED  Interview with John Doe  26vafvWSRmbhNcxJYqjCzuJg  2023-06-26T14:30Z"))
    }

    /// Three good lines around a bad one (line 3), and one after it.
    static let withBadLine = """
        {"remoteId":"l1","title":"one"}
        {"remoteId":"l2","title":"two"}
        {"remoteId":"l3","title":
        {"remoteId":"l4","title":"four"}

        """

    @Test("--on-error skip reports the bad line by number, imports the rest and exits 65 (0 with --allow-skipped)")
    func skipBadLine() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("import", "--on-error", "skip", input: Self.withBadLine)
        #expect(result.status == 65, "a skipped line is a failure unless allowed: \(result)")
        #expect(result.stderr.contains("line 3: "), "\(result)")
        #expect(result.stderr.contains("1 line(s) skipped"), "\(result)")
        let listed = try await acme.succeed("list", "--output", "json").json()
        #expect(Set(titles(listed)) == ["one", "two", "four"])
        let allowed = try await acme.run("import", "--allow-skipped", input: Self.withBadLine)
        #expect(allowed.status == 0, "\(allowed)")
        #expect(allowed.stderr.contains("1 line(s) skipped"), "\(allowed)")
    }

    @Test("--output json prints a report: counts and every bad line with its number and reason")
    func jsonReport() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("import", "--output", "json", input: Self.withBadLine)
        #expect(result.status == 65, "\(result)")
        let report = try result.json()
        #expect(report["imported"] as? Int == 3)
        #expect(report["failed"] as? Int == 1)
        let errors = try #require(report["errors"] as? [[String: Any]])
        #expect(errors.count == 1)
        #expect(errors.first?["line"] as? Int == 3)
        #expect((errors.first?["message"] as? String)?.isEmpty == false)
        let clean = try await acme.succeed("import", "--output", "json", input: #"{"remoteId":"l9","title":"nine"}"#)
        #expect(try clean.json()["failed"] as? Int == 0)
    }

    @Test("--on-error abort stops at the bad line: what came before is in, nothing after it")
    func abortAtBadLine() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("import", "--on-error", "abort", input: Self.withBadLine)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("line 3: "), "\(result)")
        #expect(result.stderr.contains("imported 2 record(s) before line 3"), "\(result)")
        let listed = try await acme.succeed("list", "--output", "json").json()
        #expect(Set(titles(listed)) == ["one", "two"])
    }

    @Test("a record the server would refuse is reported by its line number too")
    func invalidRecordLine() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let input = """
            {"remoteId":"l1","title":"one"}
            {"remoteId":"l2","startAt":"2026-01-02T00:00:00Z","endAt":"2026-01-01T00:00:00Z"}
            {"remoteId":"l3","title":"three"}
            """
        let skipped = try await acme.run("import", input: input)
        #expect(skipped.status == 65, "\(skipped)")
        #expect(skipped.stderr.contains("line 2: "), "\(skipped)")
        #expect(skipped.stderr.contains("end_at"), "\(skipped)")
        let other = try await ServerProcess.current().newTenant()
        let aborted = try await other.run("import", "--on-error", "abort", input: input)
        #expect(aborted.status == 65, "\(aborted)")
        #expect(aborted.stderr.contains("line 2: "), "\(aborted)")
        let listed = try await other.succeed("list", "--output", "json").json()
        #expect(titles(listed) == ["one"], "nothing after the bad line")
    }

    @Test("with --envelope a bad record is reported by its position in the list, not a line number")
    func badRecordInEnvelope() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let document = """
            {"results": [
              {"remoteId": "e1", "title": "one"},
              {"foo": 1},
              {"remoteId": "e3", "title": "three"}
            ]}
            """
        let result = try await acme.run("import", "--envelope", input: document)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("record 2: "), "\(result)")
        #expect(result.stderr.contains("1 record(s) skipped"), "\(result)")
        #expect(Set(titles(try await acme.succeed("list", "--output", "json").json())) == ["one", "three"])
    }

    @Test("a record too sparse to tell its format asks for --format")
    func undetectableFormat() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("import", input: #"{"foo":1}"# + "\n")
        #expect(result.stderr.contains("line 1: "), "\(result)")
        #expect(result.stderr.contains("name it"), "\(result)")
    }

    @Test("a file that is not JSON with --envelope names the file")
    func badEnvelope() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let file = server.directory.file("bad-\(acme.company).json")
        try Data("not json".utf8).write(to: URL(fileURLWithPath: file))
        let result = try await acme.run("import", "--envelope", "--file", file)
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.hasPrefix("error: INVALID_ARGUMENT: \(file): "), "\(result)")
    }

    @Test("a missing --file is named in the error")
    func missingFile() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run("import", "--file", "/nonexistent/records.jsonl")
        #expect(result.status == 65, "\(result)")
        #expect(
            result.stderr
                == "error: INVALID_ARGUMENT: --file: cannot read /nonexistent/records.jsonl: No such file or directory\n"
        )
    }

    @Test("a --file that cannot be read says why (a directory: EISDIR)")
    func unreadableFile() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let result = try await acme.run("import", "--file", server.directory.path)
        #expect(result.status == 65, "\(result)")
        #expect(
            result.stderr == "error: INVALID_ARGUMENT: --file: cannot read \(server.directory.path): Is a directory\n")
    }

    @Test("--file reads a FIFO (as process substitution gives) as a stream")
    func fifo() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let path = server.directory.file("fifo-\(acme.company)")
        try #require(mkfifo(path, 0o600) == 0, "mkfifo: \(String(cString: strerror(errno)))")
        defer { unlink(path) }
        let lines = #"{"remoteId": "f1", "title": "one"}"# + "\n" + #"{"remoteId": "f2", "title": "two"}"# + "\n"
        let writer = Thread {
            // Blocks until the import opens the FIFO for reading.
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            handle.write(Data(lines.utf8))
            try? handle.close()
        }
        writer.start()
        let result = try await acme.run("import", "--file", path)
        #expect(result.status == 0, "\(result)")
        #expect(Set(titles(try await acme.succeed("list", "--output", "json").json())) == ["one", "two"])
    }
}

@Suite("import --dry-run maps and checks, and stores nothing", .runningServer())
struct ImportDryRunTests {
    static let lines = [
        #"{"remoteId":"r-1","title":"First"}"#,
        #"{"title":"No remote id"}"#,
        #"{"remoteId":"r-3","title":"#,
        #"{"remoteId":"r-4","title":"Fourth","status":"INTERVIEW_STATUS_SCHEDULED"}"#,
    ].joined(separator: "\n")

    @Test("it reports what an import would do, prints the mapped records, and the store stays empty")
    func reportsAndStoresNothing() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let result = try await acme.run(
            ["import", "--dry-run", "--format", "ours", "--output", "jsonl"], input: Self.lines)
        #expect(result.status == 65, "a bad line makes it 65: \(result)")
        let records = try result.jsonLines()
        #expect(records.map { $0["title"] as? String } == ["First", "No remote id", "Fourth"])
        #expect(records[2]["status"] as? String == "INTERVIEW_STATUS_SCHEDULED")
        #expect(result.stderr.contains("line 3: "), "\(result)")
        #expect(
            result.stderr.contains(
                "dry run: 3 record(s) would be imported (2 upserted by remote_id, 1 created), 1 line(s) would be skipped; nothing was stored"
            ), "\(result)")
        let page = try await acme.succeed("list", "--output", "json").json()
        #expect((page["interviews"] as? [Any] ?? []).isEmpty, "nothing stored: \(page)")
    }

    @Test("--output json is a report; --allow-skipped exits 0; --on-error abort stops at the bad line")
    func reportAndExitStatus() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let report = try await acme.run(
            ["import", "--dry-run", "--format", "ours", "--output", "json", "--allow-skipped"], input: Self.lines)
        #expect(report.status == 0, "\(report)")
        let object = try report.json()
        #expect(object["dryRun"] as? Bool == true)
        #expect(object["valid"] as? Int == 3 && object["upserts"] as? Int == 2 && object["creates"] as? Int == 1)
        #expect(object["failed"] as? Int == 1)
        #expect((object["errors"] as? [[String: Any]])?.first?["line"] as? Int == 3)
        let aborted = try await acme.run(
            ["import", "--dry-run", "--format", "ours", "--on-error", "abort"], input: Self.lines)
        #expect(aborted.status == 65, "\(aborted)")
        #expect(aborted.stderr.contains("dry run: stopped at line 3; nothing was stored"), "\(aborted)")
        #expect(aborted.stderr.contains("error: INVALID_ARGUMENT: line 3: "), "\(aborted)")
    }

    @Test("no server and no key are needed; a vendor envelope maps like the real import")
    func offline() async throws {
        let result = try await CommandLineTool.run(
            [
                "import", "--dry-run", "--envelope", "--format", "kombo", "--file",
                try VendorSamples.path("kombo-list.json"), "--output", "jsonl",
            ], environment: ["INTERVIEWS_SOCKET": "/nonexistent/s.sock"])
        #expect(result.status == 0, "\(result)")
        let records = try result.jsonLines()
        #expect(records.map { $0["remoteId"] as? String } == ["26vafvWSRmbhNcxJYqjCzuJg"], "\(result)")
        #expect(result.stderr.contains("dry run: 1 record(s) would be imported (1 upserted by remote_id"), "\(result)")
    }
}
