import Foundation
import Testing

@Suite("Export and import carry every client-owned field", .runningServer())
struct RoundTripTests {
    /// Fields the service owns; every other field is the client's and must survive a round trip.
    static let serverOwned: Set<String> = ["id", "createdAt", "updatedAt", "revision"]

    static let statuses = [
        nil, "INTERVIEW_STATUS_DRAFT", "INTERVIEW_STATUS_SCHEDULED", "INTERVIEW_STATUS_IN_PROGRESS",
        "INTERVIEW_STATUS_AWAITING_FEEDBACK", "INTERVIEW_STATUS_COMPLETED", "INTERVIEW_STATUS_CANCELLED",
        "INTERVIEW_STATUS_FAILED",
    ]

    /// Record `n` in our proto3 JSON, with a varying set of fields filled in.
    static func record(_ n: Int) -> [String: Any] {
        var r: [String: Any] = [
            "remoteId": "rt-\(n)", "title": n % 7 == 0 ? "Entretien \(n) — 東京 🚀" : "Interview \(n)",
        ]
        r["candidateId"] = "cand-\(n % 97)"
        if n % 2 == 0 { r["applicationId"] = "app-\(n % 13)" }
        if n % 3 == 0 { r["jobId"] = "job-\(n % 5)" }
        if n % 5 == 0 { r["agentId"] = "agent-\(n % 3)" }
        if n % 4 == 0 { r["jobInterviewStageId"] = "stage-\(n % 4)" }
        if let status = statuses[n % statuses.count] { r["status"] = status }
        if n % 11 == 0 { r["remoteStatus"] = "vendor status \(n)" }
        let start = 1_767_225_600 + n * 3_600
        if n % 10 != 9 {
            r["startAt"] = RFC3339Text.format(seconds: start)
            r["endAt"] = RFC3339Text.format(seconds: start + 1_800 + n % 3 * 900)
        }
        if n % 6 == 0 { r["remoteCreatedAt"] = RFC3339Text.format(seconds: start - 86_400) }
        if n % 6 == 1 { r["remoteUpdatedAt"] = RFC3339Text.format(seconds: start - 3_600) }
        if n % 50 == 0 { r["remoteDeletedAt"] = RFC3339Text.format(seconds: start - 60) }
        if n % 3 == 1 {
            r["organizer"] = [
                "id": "u-\(n % 17)", "firstName": "Zoë", "lastName": "Ørsted", "email": "zoe@example.com",
            ]
            r["interviewers"] = [["id": "u-\(n % 19)"], ["remoteId": "ext-\(n)", "email": "i\(n)@example.com"]]
        }
        if n % 8 == 2 {
            r["location"] = [
                "raw": "Lohmühlenstraße 65, Berlin", "street1": "Lohmühlenstraße 65", "city": "Berlin",
                "zipCode": "12435", "country": "DE",
            ]
        }
        if n % 9 == 4 { r["customFields"] = ["level": "L\(n % 7)", "ключ": "значение \(n)"] }
        if n % 12 == 5 { r["remoteData"] = Data("{\"vendor\":\(n)}".utf8).base64EncodedString() }
        if n % 10 == 3 {
            r["analysis"] =
                [
                    "summary": "Summary \(n)", "recommendation": "YES", "overallScore": Double(n % 100) + 0.5,
                    "scores": [["name": "communication", "value": 4.25, "maxValue": 5]],
                    "transcript": [
                        [
                            "speaker": "candidate", "text": "Grüß Gott \(n)", "startOffsetMs": "\(n % 7 + 1)",
                            "endOffsetMs": "\(n + 10)",
                        ]
                    ],
                ] as [String: Any]
        }
        return r
    }

    /// `records` keyed by remote id, each without its server-owned fields,
    /// as canonical JSON (sorted keys) so that differences print readably.
    static func clientOwned(_ records: [[String: Any]], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [String: String]
    {
        var out: [String: String] = [:]
        for record in records {
            let remoteID = try #require(
                record["remoteId"] as? String, "a record without remoteId", sourceLocation: sourceLocation)
            let owned = record.filter { !serverOwned.contains($0.key) }
            let data = try JSONSerialization.data(withJSONObject: owned, options: [.sortedKeys])
            out[remoteID] = String(decoding: data, as: UTF8.self)
        }
        return out
    }

    @Test("10,000 records exported and imported into an empty second server come back identical")
    func tenThousand() async throws {
        let server = try ServerProcess.current()
        let source = try await server.newTenant()
        let count = 10_000
        let generated = (0..<count).map(Self.record)
        var input = ""
        for record in generated {
            input += String(
                decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
            input += "\n"
        }
        let inputFile = server.directory.file("generated-\(source.company).jsonl")
        try Data(input.utf8).write(to: URL(fileURLWithPath: inputFile))

        let imported = try await source.run("import", "--file", inputFile, limit: .seconds(120))
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.stderr.contains("10,000 records in"), "\(imported.stderr)")
        let exported = try await source.succeed("export", limit: .seconds(120))
        let first = try Self.clientOwned(try exported.jsonLines())
        #expect(first.count == count)
        let expected = try Self.clientOwned(generated.map { $0.merging(["companyId": source.company]) { $1 } })
        expectSame(first, expected, "the import of the generated file")

        let exportFile = server.directory.file("export-\(source.company).jsonl")
        try Data(exported.stdout.utf8).write(to: URL(fileURLWithPath: exportFile))
        let second = try await ServerProcess.start(backend: server.backend)
        let outcome = await Result(awaiting: {
            let target = try await second.tenant(company: source.company)
            let before = try await target.succeed("info", "--output", "json").json()
            #expect(before["interviewCount"] == nil, "the second server starts empty")
            let reimported = try await target.run("import", "--file", exportFile, limit: .seconds(120))
            #expect(reimported.status == 0, "\(reimported)")
            let again = try Self.clientOwned(try await target.succeed("export", limit: .seconds(120)).jsonLines())
            #expect(again.count == count)
            expectSame(again, first, "the second server's records")
        })
        #expect(await second.stop() == 0)
        try outcome.get()
    }
}

/// Expects `actual` to hold exactly `expected`'s records; a difference
/// shows the count and the first record that differs.
func expectSame(
    _ actual: [String: String], _ expected: [String: String], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let differing = Set(actual.keys).union(expected.keys).filter { actual[$0] != expected[$0] }.sorted()
    guard let first = differing.first else { return }
    Issue.record(
        """
        \(what): \(differing.count) records differ; \(first) should be
        \(expected[first] ?? "absent")
        but is
        \(actual[first] ?? "absent")
        """, sourceLocation: sourceLocation)
}

/// RFC 3339 text for whole seconds, as the service prints it.
enum RFC3339Text {
    static func format(seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
