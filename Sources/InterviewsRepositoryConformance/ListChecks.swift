import InterviewsModel
import InterviewsRepository
import Testing

/// A tenant's records of varied shape, created through the backend, and the
/// reference holding what the backend returned.
struct ListFixture {
    var reference = ReferenceModel()
    var created: [Interview] = []

    static let candidates = ["cand-a", "cand-b", "cand-c"]
    static let statuses: [InterviewStatus] = [.scheduled, .completed, .cancelled]

    /// 30 records: candidates, statuses, jobs, stages, participants and
    /// start times cycle with different periods; every 7th is deleted; a
    /// few records of another tenant are mixed in.
    static func make(_ repo: any InterviewRepository, count: Int = 30) async throws -> ListFixture {
        var fixture = ListFixture()
        for n in 0..<count {
            var interview = Interview(
                remoteID: "r\(n)", candidateID: candidates[n % 3], applicationID: "app\(n % 4)", jobID: "job\(n % 5)",
                agentID: n % 2 == 0 ? "agent-even" : "", jobInterviewStageID: "stage\(n % 6)", title: "T\(n)",
                organizer: n % 3 == 0 ? Participant(id: "org\(n % 2)") : nil,
                interviewers: [Participant(id: "int\(n % 4)"), Participant(id: "int-all")],
                startAt: n % 5 == 4 ? nil : Fixtures.time(hours: Int64(n % 8)),
                status: statuses[n % 3], customFields: ["n": "\(n)"], remoteData: [UInt8(n)])
            if n % 4 == 1 { interview.endAt = interview.startAt.map { Timestamp(seconds: $0.seconds + 3600) } }
            let record = try await repo.create(interview, requestID: "", tenant: Tenants.acme)
            fixture.reference.records[record.id] = record
            fixture.created.append(record)
            if n % 10 == 3 { _ = try await repo.create(interview, requestID: "", tenant: Tenants.globex) }
        }
        for index in stride(from: 0, to: count, by: 7) {
            let deleted = try await repo.delete(
                id: fixture.created[index].id, expectedRevision: 0, tenant: Tenants.acme)
            fixture.reference.records[deleted.id] = deleted
        }
        for index in stride(from: 2, to: count, by: 9) where index % 7 != 0 {
            let record = fixture.created[index]
            let updated = try await repo.update(
                Interview(id: record.id, title: "updated"), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            fixture.reference.records[updated.id] = updated
        }
        return fixture
    }

    /// Expects the backend's full walk and first page of `request` to equal the reference's.
    func expectSame(
        _ repo: any InterviewRepository, _ request: ListRequest, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let expected = reference.matches(request, tenant: Tenants.acme).map { ReferenceModel.select($0, request) }
        let walked = try await repo.listAll(request, tenant: Tenants.acme, pageSize: 4)
        #expect(walked.map(\.id) == expected.map(\.id), sourceLocation: sourceLocation)
        #expect(walked == expected, sourceLocation: sourceLocation)
        var firstPage = request
        firstPage.pageSize = 100
        let page = try await repo.list(firstPage, tenant: Tenants.acme)
        #expect(page.totalSize == UInt64(expected.count), sourceLocation: sourceLocation)
        #expect(page.interviews.map(\.id) == expected.map(\.id), sourceLocation: sourceLocation)
    }
}

extension ConformanceCheck {
    private static func filterCheck(_ name: String, _ requests: @escaping @Sendable (ListFixture) -> [ListRequest])
        -> ConformanceCheck
    {
        ConformanceCheck(.filters, name) { repo in
            let fixture = try await ListFixture.make(repo)
            for request in requests(fixture) { try await fixture.expectSame(repo, request) }
        }
    }

    static let filterChecks: [ConformanceCheck] = [
        filterCheck("no filter lists the tenant's live records, include_deleted adds the deleted") { _ in
            [ListRequest(), ListRequest(includeDeleted: true)]
        },
        filterCheck("candidate_ids match any of the listed candidates") { _ in
            [
                ListRequest(candidateIDs: ["cand-a"]), ListRequest(candidateIDs: ["cand-a", "cand-c"]),
                ListRequest(candidateIDs: ["cand-b", "nobody"], includeDeleted: true),
                ListRequest(candidateIDs: ["nobody"]),
            ]
        },
        filterCheck("statuses match any of the listed statuses") { _ in
            [
                ListRequest(statuses: [.completed]),
                ListRequest(statuses: [.scheduled, .cancelled], includeDeleted: true),
                ListRequest(statuses: [.draft]),
            ]
        },
        filterCheck("ids and remote_ids select exactly the named records of the tenant") { fixture in
            let ids = fixture.created.prefix(9).map(\.id)
            return [
                ListRequest(ids: Array(ids)), ListRequest(ids: Array(ids), includeDeleted: true),
                ListRequest(remoteIDs: ["r1", "r3", "r7", "r20", "nope"]),
                ListRequest(remoteIDs: ["r1", "r7"], includeDeleted: true),
                ListRequest(ids: Array(ids), remoteIDs: ["r1", "r2", "r5"]),
                ListRequest(ids: [UUIDv7.generate().description, "not-a-uuid"]),
            ]
        },
        filterCheck("application, job, agent and stage filters match exactly") { _ in
            [
                ListRequest(applicationID: "app1"), ListRequest(jobID: "job3", includeDeleted: true),
                ListRequest(agentID: "agent-even"), ListRequest(jobInterviewStageID: "stage5"),
                ListRequest(jobID: "job-none"),
            ]
        },
        filterCheck("organizer_id matches the organizer and interviewer_id any interviewer") { _ in
            [
                ListRequest(organizerID: "org1"), ListRequest(interviewerID: "int2"),
                ListRequest(interviewerID: "int-all", includeDeleted: true),
            ]
        },
        filterCheck("filters on different fields combine with AND") { _ in
            [
                ListRequest(candidateIDs: ["cand-a", "cand-b"], statuses: [.scheduled, .completed]),
                ListRequest(candidateIDs: ["cand-a"], jobID: "job0"),
                ListRequest(applicationID: "app2", jobID: "job2", agentID: "agent-even"),
                ListRequest(statuses: [.completed], startAfter: Fixtures.time(hours: 2)),
                ListRequest(jobInterviewStageID: "stage1", interviewerID: "int1", includeDeleted: true),
            ]
        },
        filterCheck("time bounds are half-open: after is inclusive, before exclusive") { fixture in
            let middle = fixture.created[10]
            let later = fixture.created[20]
            return [
                ListRequest(createdAfter: middle.createdAt), ListRequest(createdBefore: middle.createdAt),
                ListRequest(createdAfter: middle.createdAt, createdBefore: later.createdAt),
                ListRequest(updatedAfter: middle.updatedAt, includeDeleted: true, orderBy: .updatedAt),
                ListRequest(updatedBefore: later.updatedAt, orderBy: .createdAt),
                ListRequest(startAfter: Fixtures.time(hours: 3)), ListRequest(startBefore: Fixtures.time(hours: 3)),
                ListRequest(
                    startAfter: Fixtures.time(hours: 2), startBefore: Fixtures.time(hours: 5), orderBy: .startAt),
                ListRequest(startBefore: Fixtures.time(hours: 3), orderBy: .startAt, direction: .descending),
                ListRequest(endAfter: Fixtures.time(hours: 1)), ListRequest(endBefore: Fixtures.time(hours: 5)),
                ListRequest(candidateIDs: ["cand-b"], createdAfter: middle.createdAt, orderBy: .createdAt),
            ]
        },
        ConformanceCheck(.filters, "a bound equal to a record's time includes it as after and excludes it as before") {
            repo in
            let fixture = try await ListFixture.make(repo)
            let record = fixture.created[10]
            let after = try await repo.listAll(ListRequest(createdAfter: record.createdAt), tenant: Tenants.acme)
            let before = try await repo.listAll(ListRequest(createdBefore: record.createdAt), tenant: Tenants.acme)
            #expect(after.first?.id == record.id)
            #expect(!before.contains { $0.id == record.id })
            let exact = try await repo.list(
                ListRequest(startAfter: Fixtures.time(hours: 2), startBefore: Fixtures.time(hours: 2)),
                tenant: Tenants.acme)
            #expect(exact.interviews.isEmpty && exact.totalSize == 0)
        },
    ]

    static let orderChecks: [ConformanceCheck] = OrderBy.allCases.flatMap { order in
        [OrderDirection.unspecified, .ascending, .descending].map { direction in
            ConformanceCheck(.orders, "orders by \(order) \(direction), ties broken by id") { repo in
                let fixture = try await ListFixture.make(repo)
                for request in [
                    ListRequest(orderBy: order, direction: direction),
                    ListRequest(includeDeleted: true, orderBy: order, direction: direction),
                    ListRequest(statuses: [.scheduled, .completed], orderBy: order, direction: direction),
                    ListRequest(candidateIDs: ["cand-c"], organizerID: "org0", orderBy: order, direction: direction),
                ] {
                    try await fixture.expectSame(repo, request)
                }
                if order == .startAt {
                    // Records share start times, so the id decides among them.
                    let all = try await repo.listAll(
                        ListRequest(orderBy: order, direction: direction), tenant: Tenants.acme)
                    for (left, right) in zip(all, all.dropFirst()) where left.startAt == right.startAt {
                        #expect(direction == .descending ? left.id > right.id : left.id < right.id)
                    }
                }
            }
        }
    }

    static let pageNumberChecks: [ConformanceCheck] = [
        ConformanceCheck(.pageNumbers, "page numbers split the matches into consecutive pages with an exact total") {
            repo in
            let fixture = try await ListFixture.make(repo, count: 45)
            for base in [
                ListRequest(), ListRequest(direction: .descending),
                ListRequest(candidateIDs: ["cand-a", "cand-b"], orderBy: .startAt),
                ListRequest(interviewerID: "int1", includeDeleted: true, orderBy: .updatedAt, direction: .descending),
                ListRequest(statuses: [.completed, .cancelled], includeDeleted: true, direction: .descending),
            ] {
                let expected = fixture.reference.matches(base, tenant: Tenants.acme).map(\.id)
                for size in [1, 3, 7, 100] as [UInt32] {
                    var collected: [String] = []
                    var pageNumber: UInt32 = 1
                    while true {
                        var request = base
                        request.page = pageNumber
                        request.pageSize = size
                        let page = try await repo.list(request, tenant: Tenants.acme)
                        #expect(page.totalSize == UInt64(expected.count))
                        #expect(page.page == pageNumber && page.pageSize == size)
                        #expect(page.previousPageToken.isEmpty == (pageNumber == 1 || page.interviews.isEmpty))
                        if page.interviews.isEmpty { break }
                        collected += page.interviews.map(\.id)
                        #expect(page.nextPageToken.isEmpty == (collected.count == expected.count))
                        pageNumber += 1
                    }
                    #expect(collected == expected)
                }
            }
        },
        ConformanceCheck(.pageNumbers, "a page past the end is empty and still reports the total") { repo in
            for _ in 0..<5 { _ = try await repo.create(Fixtures.plain(), requestID: "", tenant: Tenants.acme) }
            let page = try await repo.list(ListRequest(page: 3, pageSize: 5), tenant: Tenants.acme)
            #expect(page.interviews.isEmpty && page.totalSize == 5 && page.nextPageToken.isEmpty)
        },
    ]

    static let pageTokenChecks: [ConformanceCheck] = [
        ConformanceCheck(.pageTokens, "next tokens walk to the end and previous tokens walk back") { repo in
            let fixture = try await ListFixture.make(repo, count: 40)
            for base in [
                ListRequest(), ListRequest(direction: .descending),
                ListRequest(includeDeleted: true, orderBy: .updatedAt),
                ListRequest(candidateIDs: ["cand-a", "cand-c"], orderBy: .startAt, direction: .descending),
                ListRequest(jobInterviewStageID: "stage2", interviewerID: "int-all"),
            ] {
                let expected = fixture.reference.matches(base, tenant: Tenants.acme).map(\.id)
                var request = base
                request.pageSize = 6
                var pages: [[String]] = []
                var page = try await repo.list(request, tenant: Tenants.acme)
                #expect(page.previousPageToken.isEmpty)
                pages.append(page.interviews.map(\.id))
                while !page.nextPageToken.isEmpty {
                    request.pageToken = page.nextPageToken
                    page = try await repo.list(request, tenant: Tenants.acme)
                    #expect(page.page == 0 && page.totalSize == UInt64(expected.count))
                    pages.append(page.interviews.map(\.id))
                }
                #expect(pages.flatMap { $0 } == expected)
                var back: [[String]] = [page.interviews.map(\.id)]
                while !page.previousPageToken.isEmpty {
                    request.pageToken = page.previousPageToken
                    page = try await repo.list(request, tenant: Tenants.acme)
                    back.insert(page.interviews.map(\.id), at: 0)
                }
                #expect(back == pages)
            }
        },
        ConformanceCheck(.pageTokens, "a token may change page size and field selection but nothing else") { repo in
            _ = try await ListFixture.make(repo)
            let base = ListRequest(candidateIDs: ["cand-a", "cand-b"], pageSize: 3, orderBy: .startAt)
            let first = try await repo.list(base, tenant: Tenants.acme)
            var resized = base
            resized.pageSize = 5
            resized.pageToken = first.nextPageToken
            resized.readMask = ["title"]
            let next = try await repo.list(resized, tenant: Tenants.acme)
            #expect(next.interviews.count == 5 && next.interviews.allSatisfy { $0.candidateID.isEmpty })
            var reordered = ListRequest(candidateIDs: ["cand-b", "cand-a"], pageSize: 3, orderBy: .startAt)
            reordered.pageToken = first.nextPageToken
            _ = try await repo.list(reordered, tenant: Tenants.acme)
            let others: [ListRequest] = [
                ListRequest(candidateIDs: ["cand-a"], orderBy: .startAt),
                ListRequest(candidateIDs: ["cand-a", "cand-b"]),
                ListRequest(candidateIDs: ["cand-a", "cand-b"], orderBy: .startAt, direction: .descending),
                ListRequest(candidateIDs: ["cand-a", "cand-b"], includeDeleted: true, orderBy: .startAt),
                ListRequest(
                    candidateIDs: ["cand-a", "cand-b"], startAfter: Fixtures.time(hours: 1), orderBy: .startAt),
            ]
            for var other in others {
                other.pageToken = first.nextPageToken
                await expectFailure(
                    .invalidArgument,
                    "page_token: belongs to another company, filter or order; use a token only with the query that returned it"
                ) {
                    try await repo.list(other, tenant: Tenants.acme)
                }
            }
        },
        ConformanceCheck(.pageTokens, "an altered token is INVALID_ARGUMENT") { repo in
            _ = try await ListFixture.make(repo)
            let page = try await repo.list(ListRequest(pageSize: 2), tenant: Tenants.acme)
            var token = Array(page.nextPageToken.utf8)
            for index in [0, token.count / 2, token.count - 2] {
                var altered = token
                altered[index] = altered[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                await expectInvalid(field: "page_token") {
                    try await repo.list(
                        ListRequest(pageSize: 2, pageToken: String(decoding: altered, as: UTF8.self)),
                        tenant: Tenants.acme)
                }
            }
            token.removeLast()
            await expectInvalid(field: "page_token") {
                try await repo.list(
                    ListRequest(pageSize: 2, pageToken: String(decoding: token, as: UTF8.self)), tenant: Tenants.acme)
            }
        },
    ]

    static let concurrentWalkChecks: [ConformanceCheck] = [
        ConformanceCheck(.concurrentWalks, "a token walk sees every untouched record once while others write") { repo in
            let fixture = try await ListFixture.make(repo, count: 60)
            for order in [OrderBy.createdAt, .updatedAt, .startAt] {
                for direction in [OrderDirection.ascending, .descending] {
                    let request = ListRequest(pageSize: 5, orderBy: order, direction: direction)
                    let before = Set(try await repo.listAll(request, tenant: Tenants.acme).map(\.id))
                    let touched = try await walkWhileWriting(repo, request, fixture: fixture)
                    var seen: [String: Int] = [:]
                    for id in touched.walked { seen[id, default: 0] += 1 }
                    for id in before.subtracting(touched.changed) {
                        #expect(seen[id] == 1, "\(order) \(direction): \(id) seen \(seen[id] ?? 0) times")
                    }
                }
            }
        },
        ConformanceCheck(
            .concurrentWalks, "in updated_at order a record changed mid-walk shows up again at its new place"
        ) { repo in
            _ = try await ListFixture.make(repo)
            var request = ListRequest(pageSize: 5, orderBy: .updatedAt)
            let first = try await repo.list(request, tenant: Tenants.acme)
            let moved = first.interviews[0]
            _ = try await repo.update(
                Interview(id: moved.id, title: "moved"), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            request.pageToken = first.nextPageToken
            let rest = try await repo.listAll(request, tenant: Tenants.acme, pageSize: 5)
            #expect(rest.last?.id == moved.id && rest.last?.title == "moved")
        },
    ]

    /// Walks `request` by tokens while another task creates, updates and
    /// deletes records; returns the walked ids and the ids the writer touched.
    private static func walkWhileWriting(
        _ repo: any InterviewRepository, _ request: ListRequest, fixture: ListFixture
    ) async throws -> (walked: [String], changed: Set<String>) {
        let targets = fixture.created.map(\.id)
        return try await withThrowingTaskGroup(of: (walked: [String], changed: Set<String>).self) { group in
            group.addTask {
                var changed = Set<String>()
                var random = SeededGenerator(seed: 7)
                for step in 0..<40 {
                    let id = targets[Int(random.next() % UInt64(targets.count))]
                    switch step % 3 {
                    case 0:
                        _ = try await repo.create(
                            Fixtures.plain(start: Fixtures.time(hours: 3)), requestID: "", tenant: Tenants.acme)
                    case 1:
                        changed.insert(id)
                        _ = try? await repo.update(
                            Interview(id: id, startAt: Fixtures.time(hours: Int64(step))),
                            mask: ["start_at", "end_at"],
                            expectedRevision: 0, tenant: Tenants.acme)
                    default:
                        changed.insert(id)
                        _ = try? await repo.delete(id: id, expectedRevision: 0, tenant: Tenants.acme)
                    }
                    await Task.yield()
                }
                return ([], changed)
            }
            group.addTask {
                var walked: [String] = []
                var request = request
                while true {
                    let page = try await repo.list(request, tenant: Tenants.acme)
                    walked += page.interviews.map(\.id)
                    await Task.yield()
                    if page.nextPageToken.isEmpty { return (walked, []) }
                    request.pageToken = page.nextPageToken
                }
            }
            var result: (walked: [String], changed: Set<String>) = ([], [])
            for try await part in group {
                result.walked += part.walked
                result.changed.formUnion(part.changed)
            }
            return result
        }
    }

    static let fieldSelectionChecks: [ConformanceCheck] = [
        ConformanceCheck(.fieldSelection, "remote_data is returned only when asked for") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let plain = try await repo.list(ListRequest(), tenant: Tenants.acme).interviews[0]
            #expect(plain.remoteData.isEmpty && !plain.customFields.isEmpty && plain.analysis != nil)
            let raw = try await repo.list(ListRequest(includeRemoteData: true), tenant: Tenants.acme).interviews[0]
            #expect(raw == created)
        },
        ConformanceCheck(.fieldSelection, "custom_fields and analysis can be left out") { repo in
            _ = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let page = try await repo.list(
                ListRequest(excludeCustomFields: true, excludeAnalysis: true), tenant: Tenants.acme)
            let record = page.interviews[0]
            #expect(record.customFields.isEmpty && record.analysis == nil && record.title == Fixtures.full().title)
        },
        ConformanceCheck(.fieldSelection, "a read mask keeps only the named fields and the id") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let masked = try await repo.list(
                ListRequest(readMask: ["title", "status", "remote_data"]), tenant: Tenants.acme)
            #expect(
                masked.interviews == [
                    Interview(
                        id: created.id, title: created.title, status: created.status, remoteData: created.remoteData)
                ])
            let idOnly = try await repo.list(ListRequest(readMask: ["id"]), tenant: Tenants.acme)
            #expect(idOnly.interviews == [Interview(id: created.id)])
        },
    ]
}
