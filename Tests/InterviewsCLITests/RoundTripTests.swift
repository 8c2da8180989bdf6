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

    /// Record `n` as a line of our proto3 JSON, with a varying set of fields
    /// filled in. Built as text: the generator must be cheap next to the
    /// commands under test.
    static func line(_ n: Int) -> String {
        var fields = [#""remoteId":"rt-\#(n)""#]
        fields.append(#""title":"\#(n % 7 == 0 ? "Entretien \(n) — 東京 🚀" : "Interview \(n)")""#)
        fields.append(#""candidateId":"cand-\#(n % 97)""#)
        if n % 2 == 0 { fields.append(#""applicationId":"app-\#(n % 13)""#) }
        if n % 3 == 0 { fields.append(#""jobId":"job-\#(n % 5)""#) }
        if n % 5 == 0 { fields.append(#""agentId":"agent-\#(n % 3)""#) }
        if n % 4 == 0 { fields.append(#""jobInterviewStageId":"stage-\#(n % 4)""#) }
        if let status = statuses[n % statuses.count] { fields.append(#""status":"\#(status)""#) }
        if n % 11 == 0 { fields.append(#""remoteStatus":"vendor status \#(n)""#) }
        let start = 1_767_225_600 + n * 3_600
        if n % 10 != 9 {
            fields.append(#""startAt":"\#(rfc3339(start))""#)
            fields.append(#""endAt":"\#(rfc3339(start + 1_800 + n % 3 * 900))""#)
        }
        if n % 6 == 0 { fields.append(#""remoteCreatedAt":"\#(rfc3339(start - 86_400))""#) }
        if n % 6 == 1 { fields.append(#""remoteUpdatedAt":"\#(rfc3339(start - 3_600))""#) }
        if n % 50 == 0 { fields.append(#""remoteDeletedAt":"\#(rfc3339(start - 60))""#) }
        if n % 3 == 1 {
            fields.append(
                #""organizer":{"id":"u-\#(n % 17)","firstName":"Zoë","lastName":"Ørsted","email":"zoe@example.com"}"#)
            fields.append(
                #""interviewers":[{"id":"u-\#(n % 19)"},{"remoteId":"ext-\#(n)","email":"i\#(n)@example.com"}]"#)
        }
        if n % 8 == 2 {
            fields.append(
                #""location":{"raw":"Lohmühlenstraße 65, Berlin","street1":"Lohmühlenstraße 65","city":"Berlin","zipCode":"12435","country":"DE"}"#
            )
        }
        if n % 9 == 4 { fields.append(#""customFields":{"level":"L\#(n % 7)","ключ":"значение \#(n)"}"#) }
        if n % 12 == 5 { fields.append(#""remoteData":"\#(Data("{\"vendor\":\(n)}".utf8).base64EncodedString())""#) }
        if n % 10 == 3 {
            fields.append(
                #""analysis":{"summary":"Summary \#(n)","recommendation":"YES","overallScore":\#(n % 100).5,"#
                    + #""scores":[{"name":"communication","value":4.25,"maxValue":5}],"#
                    + #""transcript":[{"speaker":"candidate","text":"Grüß Gott \#(n)","startOffsetMs":"\#(n % 7 + 1)","endOffsetMs":"\#(n + 10)"}]}"#
            )
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Whole seconds since 1970 as RFC 3339 in UTC, e.g. `2026-01-01T00:00:00Z`.
    static func rfc3339(_ seconds: Int) -> String {
        // Howard Hinnant's civil_from_days.
        let z = seconds / 86_400 + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let time = seconds % 86_400
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(time / 3_600)):\(two(time / 60 % 60)):\(two(time % 60))Z"
    }

    @Test("10,000 records exported and imported into an empty second server come back identical")
    func tenThousand() async throws {
        let server = try ServerProcess.current()
        let source = try await server.newTenant()
        let count = 10_000
        let lines = (0..<count).map(Self.line)
        let inputFile = server.directory.file("generated-\(source.company).jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: inputFile))

        let imported = try await source.run("import", "--file", inputFile, limit: .seconds(120))
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.stderr.contains("10,000 records in"), "\(imported.stderr)")
        let exported = try await source.succeed("export", limit: .seconds(120))
        let first = try ClientOwnedRecords(exported.lines)
        #expect(first.count == count)
        var expected = try ClientOwnedRecords(lines)
        expected.set("companyId", to: source.company)
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
            let again = try ClientOwnedRecords(try await target.succeed("export", limit: .seconds(120)).lines)
            #expect(again.count == count)
            expectSame(again, first, "the second server's records")
        })
        #expect(await second.stop() == 0)
        try outcome.get()
    }
}

/// Exported records keyed by remote id, without the fields the service owns
/// (``RoundTripTests/serverOwned``).
struct ClientOwnedRecords {
    private(set) var records: [String: [String: Any]] = [:]

    var count: Int { records.count }

    /// Parses JSON lines, each a record with a remote id.
    init(_ lines: [String]) throws {
        for line in lines {
            guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let remoteID = record["remoteId"] as? String
            else {
                throw ServerFailure("a record without remoteId: \(line)")
            }
            records[remoteID] = record.filter { !RoundTripTests.serverOwned.contains($0.key) }
        }
    }

    /// Sets `field` of every record.
    mutating func set(_ field: String, to value: String) {
        for key in records.keys { records[key]?[field] = value }
    }

    /// The record of `remoteID` as canonical JSON (sorted keys), or "absent".
    func text(_ remoteID: String) -> String {
        guard let record = records[remoteID],
            let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        else { return "absent" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The remote ids whose records differ between `self` and `other`, or
    /// that only one of them has, sorted.
    func differences(from other: ClientOwnedRecords) -> [String] {
        Set(records.keys).union(other.records.keys).filter { !Self.equal(records[$0], other.records[$0]) }.sorted()
    }

    /// Whether two parsed JSON values are equal.
    static func equal(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): true
        case (let a as String, let b as String): a == b
        case (let a as NSNumber, let b as NSNumber): a == b
        case (let a as [Any], let b as [Any]): a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (let a as [String: Any], let b as [String: Any]):
            a.count == b.count && a.allSatisfy { equal($0.value, b[$0.key]) }
        case (is NSNull, is NSNull): true
        default: false
        }
    }
}

/// Expects `actual` to hold exactly `expected`'s records; a difference
/// shows the count and the first record that differs.
func expectSame(
    _ actual: ClientOwnedRecords, _ expected: ClientOwnedRecords, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let differing = actual.differences(from: expected)
    guard let first = differing.first else { return }
    Issue.record(
        """
        \(what): \(differing.count) records differ; \(first) should be
        \(expected.text(first))
        but is
        \(actual.text(first))
        """, sourceLocation: sourceLocation)
}
