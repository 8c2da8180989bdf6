import InterviewsModel
import InterviewsRepository
import Testing

extension ConformanceCheck {
    /// A create of `Fixtures.full()` changed by `change`.
    private static func creating(_ change: @escaping @Sendable (inout Interview) -> Void)
        -> @Sendable (any InterviewRepository) async throws -> Void
    {
        { repo in
            var interview = Fixtures.full()
            change(&interview)
            _ = try await repo.create(interview, requestID: "", tenant: Tenants.acme)
        }
    }

    /// A list of `request`.
    private static func listing(_ request: ListRequest) -> @Sendable (any InterviewRepository) async throws -> Void {
        { repo in _ = try await repo.list(request, tenant: Tenants.acme) }
    }

    /// An update of a fresh record with `changes` (id filled in) and `mask`.
    private static func updating(_ changes: Interview, mask: [String])
        -> @Sendable (any InterviewRepository) async throws -> Void
    {
        { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            var changes = changes
            changes.id = created.id
            _ = try await repo.update(changes, mask: mask, expectedRevision: 0, tenant: Tenants.acme)
        }
    }

    private static let idRule = "must be printable ASCII"
    private static let timestampRange = "must be 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z"

    /// (what is wrong, the exact message, the call).
    private static let invalidInputs: [(String, String, @Sendable (any InterviewRepository) async throws -> Void)] = [
        ("page_size above 100", "page_size: 101 is out of range; must be 1..100", listing(ListRequest(pageSize: 101))),
        ("page above 10000", "page: 10001 is out of range; must be 1..10000", listing(ListRequest(page: 10_001))),
        (
            "a page token over 512 bytes", "page_token: is 513 bytes; must be at most 512",
            listing(ListRequest(pageToken: String(repeating: "a", count: 513)))
        ),
        (
            "a page token this server never issued",
            "page_token: is not a token this server issued; pass a next_page_token or previous_page_token unchanged",
            listing(ListRequest(pageToken: "!!!"))
        ),
        (
            "101 candidate ids", "candidate_ids: 101 values; must be at most 100",
            listing(ListRequest(candidateIDs: (0...100).map { "c\($0)" }))
        ),
        (
            "101 statuses", "statuses: 101 values; must be at most 100",
            listing(ListRequest(statuses: Array(repeating: .draft, count: 101)))
        ),
        (
            "an id filter with a space", "ids[0]: \"a b\" contains a space or a non-printable character; \(idRule)",
            listing(ListRequest(ids: ["a b"]))
        ),
        (
            "an empty remote id filter", "remote_ids[0]: is empty; must be 1..128 bytes of printable ASCII",
            listing(ListRequest(remoteIDs: [""]))
        ),
        (
            "a job id filter over 128 bytes", "job_id: is 129 bytes; must be at most 128",
            listing(ListRequest(jobID: String(repeating: "j", count: 129)))
        ),
        (
            "a time bound outside protobuf's range",
            "created_after: seconds 9223372036854775807 nanos 0 is out of range; \(timestampRange)",
            listing(ListRequest(createdAfter: Timestamp(seconds: .max)))
        ),
        (
            "an unknown read mask path",
            "read_mask: \"bogus\" is not a top-level Interview field; must be a snake_case field name",
            listing(ListRequest(readMask: ["bogus"]))
        ),
        (
            "a title over 1024 bytes", "title: is 1025 bytes; must be at most 1024",
            creating { $0.title = String(repeating: "t", count: 1025) }
        ),
        ("a title with NUL", "title: contains U+0000; strings must not contain NUL", creating { $0.title = "a\u{0}b" }),
        (
            "a remote id over 128 bytes", "remote_id: is 129 bytes; must be at most 128",
            creating { $0.remoteID = String(repeating: "r", count: 129) }
        ),
        (
            "a candidate id with a tab",
            "candidate_id: \"a\\tb\" contains a space or a non-printable character; \(idRule)",
            creating { $0.candidateID = "a\tb" }
        ),
        (
            "101 custom fields", "custom_fields: 101 entries; must be at most 100",
            creating { $0.customFields = Dictionary(uniqueKeysWithValues: (0...100).map { ("k\($0)", "v") }) }
        ),
        (
            "a custom field value over 4096 bytes", "custom_fields[\"k\"]: is 4097 bytes; must be at most 4096",
            creating { $0.customFields = ["k": String(repeating: "v", count: 4097)] }
        ),
        (
            "an empty custom field key", "custom_fields: key \"\" is 0 bytes; keys must be 1..128",
            creating { $0.customFields = ["": "v"] }
        ),
        (
            "101 interviewers", "interviewers: 101 entries; must be at most 100",
            creating { $0.interviewers = Array(repeating: Participant(id: "i"), count: 101) }
        ),
        (
            "an interviewer email over 256 bytes", "interviewers[1].email: is 257 bytes; must be at most 256",
            creating { $0.interviewers[1].email = String(repeating: "e", count: 257) }
        ),
        (
            "an organizer id with a space",
            "organizer.id: \"o 1\" contains a space or a non-printable character; \(idRule)",
            creating { $0.organizer?.id = "o 1" }
        ),
        (
            "a city over 256 bytes", "location.city: is 257 bytes; must be at most 256",
            creating { $0.location?.city = String(repeating: "c", count: 257) }
        ),
        (
            "remote_data over 1 MiB", "remote_data: is 1048577 bytes; must be at most 1048576 (1 MiB)",
            creating { $0.remoteData = [UInt8](repeating: 0x20, count: 1_048_577) }
        ),
        (
            "10001 transcript segments", "analysis.transcript: 10001 segments; must be at most 10000",
            creating { $0.analysis?.transcript = Array(repeating: TranscriptSegment(text: "x"), count: 10_001) }
        ),
        (
            "transcript text over 1 MiB in all",
            "analysis.transcript: text is 1114112 bytes in all (speakers included); must be at most 1048576 (1 MiB)",
            creating {
                $0.analysis?.transcript = Array(
                    repeating: TranscriptSegment(text: String(repeating: "w", count: 65_536)), count: 17)
            }
        ),
        (
            "a summary over 64 KiB", "analysis.summary: is 65537 bytes; must be at most 65536",
            creating { $0.analysis?.summary = String(repeating: "s", count: 65_537) }
        ),
        (
            "a NaN score", "analysis.overall_score: nan is not finite; must be a finite number",
            creating { $0.analysis?.overallScore = .nan }
        ),
        (
            "101 scores", "analysis.scores: 101 entries; must be at most 100",
            creating { $0.analysis?.scores = Array(repeating: Score(name: "s"), count: 101) }
        ),
        (
            "end_at before start_at",
            "end_at: 2024-01-01T09:00:00Z is before start_at 2024-01-01T10:00:00Z; must be >= start_at",
            creating {
                $0.startAt = Fixtures.time(hours: 10)
                $0.endAt = Fixtures.time(hours: 9)
            }
        ),
        (
            "a timestamp with negative nanos", "start_at: seconds 0 nanos -1 is out of range; \(timestampRange)",
            creating {
                $0.startAt = Timestamp(seconds: 0, nanos: -1)
                $0.endAt = nil
            }
        ),
        (
            "a request id with a space",
            "request_id: \"r 1\" contains a space or a non-printable character; \(idRule)",
            { repo in _ = try await repo.create(Fixtures.full(), requestID: "r 1", tenant: Tenants.acme) }
        ),
        (
            "an empty company", "company_id: is empty; must be 1..128 bytes of printable ASCII",
            { repo in _ = try await repo.list(ListRequest(), tenant: Tenant("")) }
        ),
        (
            "a company with a space", "company_id: \"a b\" contains a space or a non-printable character; \(idRule)",
            { repo in _ = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenant("a b")) }
        ),
        (
            "a get by an id with a space", "id: \"x y\" contains a space or a non-printable character; \(idRule)",
            { repo in _ = try await repo.get(id: "x y", includeDeleted: false, tenant: Tenants.acme) }
        ),
        (
            "an empty update mask", "update_mask: is empty; must name at least one Interview field",
            updating(Interview(title: "x"), mask: [])
        ),
        (
            "an update mask naming revision",
            "update_mask: \"revision\" is set by the server; must not name id, company_id, created_at, updated_at, deleted_at or revision",
            updating(Interview(revision: 5), mask: ["revision"])
        ),
        (
            "an update mask naming a nested path",
            "update_mask: \"analysis.summary\" is not a top-level Interview field; must be a snake_case field name",
            updating(Interview(), mask: ["analysis.summary"])
        ),
        (
            "an update that makes the title too long", "title: is 1025 bytes; must be at most 1024",
            updating(Interview(title: String(repeating: "t", count: 1025)), mask: ["title"])
        ),
        (
            "an update without an id", "id: is empty; must be 1..128 bytes of printable ASCII",
            { repo in
                _ = try await repo.update(
                    Interview(title: "x"), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            }
        ),
        (
            "an upsert of 1001 items", "interviews: 1001 items; must be at most 1000",
            { repo in
                _ = try await repo.upsert(
                    Array(repeating: Fixtures.plain(remoteID: "r"), count: 1001), tenant: Tenants.acme)
            }
        ),
    ]

    static var validationChecks: [ConformanceCheck] {
        invalidInputs.map { problem, message, call in
            ConformanceCheck(.validation, "rejects \(problem)") { repo in
                await expectFailure(.invalidArgument, message) { try await call(repo) }
                let stats = try await repo.stats(tenant: Tenants.acme)
                #expect(stats.liveCount <= 1)
            }
        } + [
            ConformanceCheck(.validation, "accepts values exactly at every limit") { repo in
                var big = Fixtures.full()
                big.title = String(repeating: "t", count: InterviewLimits.maxTitleBytes)
                big.remoteID = String(repeating: "r", count: InterviewLimits.maxIDBytes)
                big.customFields = Dictionary(
                    uniqueKeysWithValues: (0..<InterviewLimits.maxCustomFields).map { ("k\($0)", "v") })
                big.interviewers = Array(repeating: Participant(id: "i"), count: InterviewLimits.maxInterviewers)
                big.remoteData = [UInt8](repeating: 0x20, count: InterviewLimits.maxRemoteDataBytes)
                big.analysis?.transcript = Array(
                    repeating: TranscriptSegment(text: "x"), count: InterviewLimits.maxTranscriptSegments)
                big.endAt = big.startAt
                let created = try await repo.create(
                    big, requestID: String(repeating: "q", count: 128), tenant: Tenants.acme)
                #expect(created.clientOwnedFields == big.clientOwnedFields)
                let request = ListRequest(
                    candidateIDs: (0..<100).map { "c\($0)" }, page: 10_000, pageSize: 100, readMask: ["title"])
                let page = try await repo.list(request, tenant: Tenants.acme)
                #expect(page.interviews.isEmpty && page.page == 10_000 && page.pageSize == 100)
                let bounds = Fixtures.time(hours: 0)
                _ = try await repo.list(
                    ListRequest(createdAfter: .min, createdBefore: .max, startAfter: bounds), tenant: Tenants.acme)
            },
            ConformanceCheck(.validation, "page 0 means 1 and page_size 0 means 20") { repo in
                for _ in 0..<25 { _ = try await repo.create(Fixtures.plain(), requestID: "", tenant: Tenants.acme) }
                let page = try await repo.list(ListRequest(page: 0, pageSize: 0), tenant: Tenants.acme)
                #expect(page.page == 1 && page.pageSize == 20 && page.interviews.count == 20 && page.totalSize == 25)
            },
        ]
    }
}
