import Foundation
import Testing

@Suite("Every subcommand does its job", .runningServer())
struct SubcommandTests {
    @Test("health reports SERVING, with no key")
    func health() async throws {
        let server = try ServerProcess.current()
        let table = try await server.run("health", "--output", "table")
        #expect(table.status == 0, "\(table)")
        #expect(table.stdout == "SERVING\n")
        let json = try await server.run("health", "--output", "json")
        #expect(try json.json()["status"] as? String == "SERVING_STATUS_SERVING")
    }

    @Test("info reports the version, the backend and the caller's counts")
    func info() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        _ = try await acme.create("--title", "One")
        _ = try await acme.create("--title", "Two")
        let info = try await acme.succeed("info", "--output", "json").json()
        #expect(info["version"] as? String == "0.1.0")
        #expect(info["backend"] as? String == server.backend.rawValue)
        #expect(info["interviewCount"] as? String == "2")
        #expect(info["writable"] as? Bool == true)
        let table = try await acme.succeed("info", "--output", "table")
        #expect(table.stdout.contains("backend     \(server.backend.rawValue)"))
        #expect(table.stdout.contains("interviews  2 live, 0 deleted"))
    }

    @Test("create stores the given fields and assigns id, timestamps and revision 1")
    func create() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create(
            "--title", "Onsite", "--remote-id", "gh-1", "--candidate", "cand-1", "--application", "app-1",
            "--job", "job-1", "--agent", "agent-1", "--stage", "stage-1", "--status", "scheduled",
            "--remote-status", "Booked", "--start", "2026-02-01T09:00:00Z", "--end", "2026-02-01T10:00:00Z",
            "--location", "Room 4", "--custom", "level=senior", "--custom", "team=core")
        #expect(UUID(uuidString: created["id"] as? String ?? "") != nil, "a UUIDv7 id")
        #expect(created["companyId"] as? String == acme.company, "the company comes from the key")
        #expect(created["title"] as? String == "Onsite")
        #expect(created["remoteId"] as? String == "gh-1")
        #expect(created["candidateId"] as? String == "cand-1")
        #expect(created["applicationId"] as? String == "app-1")
        #expect(created["jobId"] as? String == "job-1")
        #expect(created["agentId"] as? String == "agent-1")
        #expect(created["jobInterviewStageId"] as? String == "stage-1")
        #expect(created["status"] as? String == "INTERVIEW_STATUS_SCHEDULED")
        #expect(created["remoteStatus"] as? String == "Booked")
        #expect(created["startAt"] as? String == "2026-02-01T09:00:00Z")
        #expect(created["endAt"] as? String == "2026-02-01T10:00:00Z")
        #expect((created["location"] as? [String: Any])?["raw"] as? String == "Room 4")
        #expect(created["customFields"] as? [String: String] == ["level": "senior", "team": "core"])
        #expect(created["createdAt"] is String)
        #expect(created["updatedAt"] is String)
        #expect(created["revision"] as? String == "1")
    }

    @Test("create --json takes the whole record, and --request-id makes a retry return the first result")
    func createFromJSONIdempotently() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let json = #"{"title":"Screen","candidateId":"cand-2","status":"INTERVIEW_STATUS_DRAFT"}"#
        let first = try await acme.create("--json", json, "--request-id", "retry-1")
        let again = try await acme.create("--json", json, "--request-id", "retry-1")
        #expect(first["title"] as? String == "Screen")
        #expect(first["status"] as? String == "INTERVIEW_STATUS_DRAFT")
        #expect(again["id"] as? String == first["id"] as? String)
        let piped = try await acme.succeed("create", "--json", "-", "--output", "json", input: json).json()
        #expect(piped["candidateId"] as? String == "cand-2")
        #expect(piped["id"] as? String != first["id"] as? String)
    }

    @Test("get shows one interview by id")
    func get() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let id = try #require(try await acme.create("--title", "Onsite")["id"] as? String)
        let got = try await acme.succeed("get", id, "--output", "json").json()
        #expect(got["id"] as? String == id)
        #expect(got["title"] as? String == "Onsite")
    }

    @Test("list filters, orders and pages")
    func list() async throws {
        let acme = try await ServerProcess.current().newTenant()
        for (n, status) in ["scheduled", "completed", "scheduled", "cancelled", "scheduled"].enumerated() {
            _ = try await acme.create(
                "--title", "T\(n)", "--status", status, "--candidate", "cand-\(n % 2)",
                "--start", "2026-03-0\(5 - n)T09:00:00Z")
        }
        let scheduled = try await acme.succeed("list", "--status", "scheduled", "--output", "json").json()
        #expect(titles(scheduled) == ["T0", "T2", "T4"])
        #expect(scheduled["totalSize"] as? String == "3")
        let either = try await acme.succeed(
            "list", "--status", "completed", "--status", "CANCELLED", "--output", "json"
        ).json()
        #expect(titles(either) == ["T1", "T3"], "a repeated filter is an OR")
        let both = try await acme.succeed(
            "list", "--status", "scheduled", "--candidate", "cand-0", "--output", "json"
        ).json()
        #expect(titles(both) == ["T0", "T2", "T4"], "filters combine with AND")
        let byStart = try await acme.succeed("list", "--order-by", "start_at", "--output", "json").json()
        #expect(titles(byStart) == ["T4", "T3", "T2", "T1", "T0"])
        let newest = try await acme.succeed("list", "--desc", "--output", "json").json()
        #expect(titles(newest) == ["T4", "T3", "T2", "T1", "T0"])
        let window = try await acme.succeed(
            "list", "--start-after", "2026-03-02T00:00:00Z", "--start-before", "2026-03-04T00:00:00Z", "--output",
            "json"
        ).json()
        #expect(titles(window) == ["T2", "T3"])
        let page2 = try await acme.succeed("list", "--page", "2", "--page-size", "2", "--output", "json").json()
        #expect(titles(page2) == ["T2", "T3"])
        let all = try await acme.succeed("list", "--page-size", "2", "--all", "--output", "jsonl").jsonLines()
        #expect(all.map { $0["title"] as? String } == ["T0", "T1", "T2", "T3", "T4"], "--all follows the tokens")
    }

    @Test("list pages with the token a previous page printed")
    func listWithPageToken() async throws {
        let acme = try await ServerProcess.current().newTenant()
        for n in 0..<3 { _ = try await acme.create("--title", "T\(n)") }
        let first = try await acme.succeed("list", "--page-size", "2", "--output", "json").json()
        let token = try #require(first["nextPageToken"] as? String)
        let second = try await acme.succeed(
            "list", "--page-size", "2", "--page-token", token, "--output", "json"
        ).json()
        #expect(titles(second) == ["T2"])
        let table = try await acme.succeed("list", "--page-size", "2", "--output", "table")
        #expect(table.lines.last == "3 matching; next page: --page-token \(token)")
    }

    @Test("update changes only the given fields and bumps the revision")
    func update() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let created = try await acme.create("--title", "Onsite", "--candidate", "cand-1", "--status", "scheduled")
        let id = try #require(created["id"] as? String)
        let updated = try await acme.succeed(
            "update", id, "--status", "completed", "--if-revision", "1", "--output", "json"
        ).json()
        #expect(updated["status"] as? String == "INTERVIEW_STATUS_COMPLETED")
        #expect(updated["title"] as? String == "Onsite", "fields not given are kept")
        #expect(updated["candidateId"] as? String == "cand-1")
        #expect(updated["revision"] as? String == "2")
        let analysed = try await acme.succeed(
            "update", id, "--json", #"{"analysis":{"summary":"Strong."}}"#, "--output", "json"
        ).json()
        #expect((analysed["analysis"] as? [String: Any])?["summary"] as? String == "Strong.")
        #expect(analysed["status"] as? String == "INTERVIEW_STATUS_COMPLETED")
    }

    @Test("delete hides the record unless --include-deleted")
    func delete() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let id = try #require(try await acme.create("--title", "Gone")["id"] as? String)
        let deleted = try await acme.succeed("delete", id, "--output", "json").json()
        #expect(deleted["deletedAt"] is String)
        #expect(try await acme.succeed("list", "--output", "json").json()["interviews"] == nil)
        let listed = try await acme.succeed("list", "--include-deleted", "--output", "json").json()
        #expect(titles(listed) == ["Gone"])
        let got = try await acme.succeed("get", id, "--include-deleted", "--output", "json").json()
        #expect(got["deletedAt"] is String)
    }

    @Test("upsert creates, then updates by remote_id, and prints each result")
    func upsert() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let batch = """
            {"remoteId":"gh-1","title":"Onsite"}
            {"remoteId":"gh-2","title":"Screen"}

            """
        let first = try await acme.succeed("upsert", "--output", "jsonl", input: batch).jsonLines()
        #expect(first.map { $0["outcome"] as? String } == ["UPSERT_OUTCOME_CREATED", "UPSERT_OUTCOME_CREATED"])
        let second = try await acme.succeed(
            "upsert", "--output", "json", input: #"{"remoteId":"gh-1","title":"Final"}"#
        ).json()
        let results = try #require(second["results"] as? [[String: Any]])
        #expect(results.first?["outcome"] as? String == "UPSERT_OUTCOME_UPDATED")
        let listed = try await acme.succeed("list", "--remote-id", "gh-1", "--output", "json").json()
        #expect(titles(listed) == ["Final"])
    }

    @Test("upsert applies the good records, prints every result and fails when a record failed")
    func upsertWithAFailure() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let batch = """
            {"remoteId":"ok-1","title":"Good"}

            {"title":"No remote id"}
            """
        let result = try await acme.run("upsert", "--output", "jsonl", input: batch)
        #expect(result.status == 65, "\(result)")
        #expect(
            try result.jsonLines().map { $0["outcome"] as? String } == [
                "UPSERT_OUTCOME_CREATED", "UPSERT_OUTCOME_ERROR",
            ])
        #expect(
            result.stderr.hasPrefix("error: INVALID_ARGUMENT: 1 of 2 record(s) failed, the first on line 3: remote_id"),
            "\(result)")
        #expect(titles(try await acme.succeed("list", "--output", "json").json()) == ["Good"])
    }

    @Test("stream writes every match, past any page size")
    func stream() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let lines = (0..<150).map { #"{"remoteId":"r-\#($0)","title":"T\#($0)","candidateId":"c-\#($0 % 3)"}"# }
        _ = try await acme.succeed("upsert", input: lines.joined(separator: "\n"))
        let all = try await acme.succeed("stream", "--output", "jsonl").jsonLines()
        #expect(all.count == 150)
        let some = try await acme.succeed("stream", "--candidate", "c-1", "--output", "jsonl").jsonLines()
        #expect(some.count == 50)
        #expect(some.allSatisfy { $0["candidateId"] as? String == "c-1" })
    }

    @Test("export writes JSON lines that import reads back")
    func exportAndImport() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        _ = try await acme.create("--title", "Onsite", "--remote-id", "gh-1", "--candidate", "cand-1")
        _ = try await acme.create("--title", "No remote id")
        let exported = try await acme.succeed("export")
        #expect(exported.lines.count == 2)
        #expect(exported.stderr.contains("2 records in"), "the closing progress line: \(exported.stderr)")
        let other = try await server.newTenant()
        let imported = try await other.succeed("import", input: exported.stdout)
        #expect(imported.stderr.contains("2 records in"), "\(imported.stderr)")
        let listed = try await other.succeed("list", "--output", "json").json()
        #expect(titles(listed) == ["Onsite", "No remote id"])
        let again = try await other.succeed("import", input: exported.stdout)
        #expect(again.status == 0)
        let relisted = try await other.succeed("list", "--output", "json").json()
        #expect(titles(relisted) == ["Onsite", "No remote id"], "importing twice changes nothing")
    }

    @Test("upsert applies the other lines when one does not parse, and its table numbers results by line")
    func upsertWithAnUnparsableLine() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let batch = """
            {"remoteId":"t-1","title":"First"}
            not json
            {"title":"No remote id"}
            {"remoteId":"t-2","title":"Second"}
            """
        let result = try await acme.run("upsert", "--output", "table", input: batch)
        #expect(result.status == 65, "\(result)")
        let rows = result.stdout.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false)
        }
        #expect(rows.first == ["LINE", "OUTCOME", "ID", "ERROR"])
        #expect(rows.dropFirst().map { $0.first.map(String.init) } == ["1", "2", "3", "4"])
        #expect(rows[2][1] == "ERROR" && rows[2][3].hasPrefix("INVALID_ARGUMENT: invalid JSON"), "\(result)")
        #expect(rows[3][3].hasPrefix("INVALID_ARGUMENT: remote_id"), "a code name, not a number: \(result)")
        #expect(
            result.stderr.hasPrefix(
                "error: INVALID_ARGUMENT: 2 of 4 record(s) failed, the first on line 2: invalid JSON"),
            "\(result)")
        #expect(Set(titles(try await acme.succeed("list", "--output", "json").json())) == ["First", "Second"])
    }

    @Test("export includes remote_data; --without-remote-data leaves it out")
    func exportRemoteData() async throws {
        let acme = try await ServerProcess.current().newTenant()
        _ = try await acme.succeed("create", "--json", #"{"title":"With payload","remoteData":"eyJ2IjoxfQ=="}"#)
        let full = try await acme.succeed("export")
        #expect(full.stdout.contains(#""remoteData":"eyJ2IjoxfQ==""#), "\(full)")
        let lean = try await acme.succeed("export", "--without-remote-data")
        #expect(lean.lines.count == 1 && !lean.stdout.contains("remoteData"), "\(lean)")
    }

    @Test("deletions survive export --include-deleted then import; a deleted remote id never gets a second record")
    func exportAndImportKeepDeletions() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        _ = try await acme.create("--title", "Kept", "--remote-id", "gh-kept")
        let gone = try #require(try await acme.create("--title", "Gone", "--remote-id", "gh-gone")["id"] as? String)
        let local = try #require(try await acme.create("--title", "Gone, no remote id")["id"] as? String)
        #expect(try await acme.run("delete", gone).status == 0)
        #expect(try await acme.run("delete", local).status == 0)
        let exported = try await acme.succeed("export", "--include-deleted")
        #expect(exported.lines.count == 3)

        // Into an empty company: the same live and deleted records.
        let other = try await server.newTenant()
        _ = try await other.succeed("import", input: exported.stdout)
        func state(_ tenant: Tenant) async throws -> [String] {
            let page = try await tenant.succeed("list", "--include-deleted", "--output", "json").json()
            return ((page["interviews"] as? [[String: Any]]) ?? []).map {
                "\($0["title"] as? String ?? ""): \($0["deletedAt"] == nil ? "live" : "deleted")"
            }.sorted()
        }
        let expected = ["Gone, no remote id: deleted", "Gone: deleted", "Kept: live"]
        #expect(try await state(other) == expected)
        #expect(titles(try await other.succeed("list", "--output", "json").json()) == ["Kept"])
        // Again: nothing changes, no revision moves.
        let before = try await other.succeed("list", "--include-deleted", "--output", "json").stdout
        _ = try await other.succeed("import", input: exported.stdout)
        #expect(try await other.succeed("list", "--include-deleted", "--output", "json").stdout == before)

        // Back into the source, whose lines are live for a record now deleted there:
        // the record is updated in place and stays deleted; no second "Kept".
        let kept =
            try #require(
                try await acme.succeed("list", "--output", "json").json()["interviews"] as? [[String: Any]]
            ).first?["id"] as? String
        let liveLines = try await acme.succeed("export").stdout
        #expect(try await acme.run("delete", try #require(kept)).status == 0)
        _ = try await acme.succeed("import", input: liveLines)
        #expect(try await state(acme) == ["Gone, no remote id: deleted", "Gone: deleted", "Kept: deleted"])
    }

    @Test("version shows the client's and the server's version and protocol, with no key")
    func version() async throws {
        let server = try ServerProcess.current()
        let table = try await CommandLineTool.run(["version", "--socket", server.socket, "--output", "table"])
        #expect(table.status == 0, "\(table)")
        #expect(table.lines == ["client  0.1.0 (protocol 1)", "server  0.1.0 (protocol 1) at \(server.socket)"])
        let json = try await CommandLineTool.run(["version", "--socket", server.socket, "-o", "json"])
        let object = try json.json()
        #expect((object["client"] as? [String: Any])?["version"] as? String == "0.1.0")
        #expect((object["server"] as? [String: Any])?["agent"] as? String == "interviews/0.1.0")
        #expect((object["server"] as? [String: Any])?["socket"] as? String == server.socket)
        let alone = try await CommandLineTool.run(["version", "--socket", server.socket + ".none", "--output", "table"])
        #expect(alone.status == 69, "\(alone)")
        #expect(alone.lines == ["client  0.1.0 (protocol 1)"], "the client's line, then the error: \(alone)")
        #expect(alone.stderr.hasPrefix("error: UNAVAILABLE: no server at"), "\(alone)")
    }

    @Test("-o is --output and -f is --file; --no-headers leaves tables' header out")
    func shortFlags() async throws {
        let acme = try await ServerProcess.current().newTenant()
        let file = acme.server.directory.file("short-\(acme.company).jsonl")
        try Data(#"{"remoteId":"s-1","title":"Short"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let imported = try await acme.run("import", "-f", file, "-o", "json")
        #expect(imported.status == 0, "\(imported)")
        #expect(try imported.json()["imported"] as? Int == 1)
        let upserted = try await acme.run("upsert", "-f", file, "-o", "jsonl")
        #expect(try upserted.jsonLines().first?["outcome"] as? String == "UPSERT_OUTCOME_UNCHANGED", "\(upserted)")
        #expect(titles(try await acme.succeed("list", "-o", "json").json()) == ["Short"])
        let table = try await acme.succeed("list", "-o", "table")
        let bare = try await acme.succeed("list", "-o", "table", "--no-headers")
        #expect(table.lines.first?.hasPrefix("ID") == true, "\(table)")
        #expect(bare.lines == Array(table.lines.dropFirst()), "the same rows without the header: \(bare)")
        let keys = try await acme.server.run("keys", "list", "-o", "table", "--no-headers")
        #expect(keys.lines.allSatisfy { !$0.hasPrefix("ID ") } && !keys.lines.isEmpty, "\(keys)")
    }

    @Test("keys create, list and revoke; a revoked key stops working")
    func keys() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        let listed = try await server.run("keys", "list", "--output", "json")
        let keys = try #require(try listed.json()["keys"] as? [[String: Any]])
        let key = try #require(keys.first { ($0["companyIds"] as? [String]) == [acme.company] })
        #expect(key["label"] as? String == "x")
        #expect(key["kind"] as? String == "KEY_KIND_COMPANY")
        #expect(!listed.stdout.contains(acme.key), "secrets are never listed")
        let id = try #require(key["id"] as? String)
        #expect(try await acme.run("list").status == 0)
        let revoked = try await server.run("keys", "revoke", id)
        #expect(revoked.status == 0, "\(revoked)")
        let refused = try await acme.run("list")
        #expect(refused.status == 77)
        #expect(refused.stderr.hasPrefix("error: UNAUTHENTICATED:"), "\(refused)")
        let all = try await server.run("keys", "list", "--include-revoked", "--output", "table")
        #expect(all.lines.contains { $0.hasPrefix(id) && $0.contains("revoked") }, "\(all)")
        let header = try #require(all.lines.first)
        #expect(
            header.split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "KIND", "STATE", "LABEL", "COMPANIES",
            ])
        let row = try #require(all.lines.first { $0.hasPrefix(id) })
        #expect(
            row.range(of: "revoked")?.lowerBound.utf16Offset(in: row)
                == header.range(of: "STATE")?.lowerBound.utf16Offset(in: header), "columns line up: \(all)")
    }

    @Test("a key may come from --api-key-file instead of the environment")
    func apiKeyFile() async throws {
        let server = try ServerProcess.current()
        let acme = try await server.newTenant()
        _ = try await acme.create("--title", "Onsite")
        let file = server.directory.file("key-\(acme.company)")
        try Data((acme.key + "\n").utf8).write(to: URL(fileURLWithPath: file))
        let listed = try await server.run("list", "--api-key-file", file, "--output", "json")
        #expect(listed.status == 0, "\(listed)")
        #expect(titles(try listed.json()) == ["Onsite"])
    }
}

/// The titles of a printed Page's interviews, in order.
func titles(_ page: [String: Any]) -> [String] {
    ((page["interviews"] as? [[String: Any]]) ?? []).map { $0["title"] as? String ?? "" }
}
