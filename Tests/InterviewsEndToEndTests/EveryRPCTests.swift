import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Each RPC of `interviews.v1.Interviews`, called through InterviewsClient on
/// the real server process. Every test works in its own company, so they run
/// in parallel against one process.
@Suite(
    "Every RPC works through InterviewsClient against the server process", .serverProcess(),
    .timeLimit(.minutes(2)))
struct EveryRPCTests {
    /// A client with a new company key for a new company.
    private func freshCompany(_ prefix: String, initialWindow: Int? = nil) async throws -> (
        company: String, client: InterviewsClient
    ) {
        let server = try ServerProcess.shared
        let company = Company.unique(prefix)
        let key = try await server.companyKey(company)
        return (company, try await server.client(apiKey: key.secret, initialWindow: initialWindow))
    }

    @Test("create sets the server-owned fields, keeps every client field, and ignores company_id in the body")
    func createKeepsEveryField() async throws {
        let (company, client) = try await freshCompany("create")
        var input = Sample.full(1, remoteID: "remote-1")
        input.id = "chosen-by-client"
        input.companyID = "someone-else"
        input.revision = 99
        input.deletedAt = Timestamp(seconds: 5)
        let created = try await client.create(CreateInterviewRequest(interview: input))
        #expect(created.id != "chosen-by-client" && created.id.count == 36)
        #expect(created.companyID == company)
        #expect(created.revision == 1)
        #expect(created.deletedAt == nil)
        #expect(created.createdAt != nil && created.updatedAt == created.createdAt)
        var expected = input
        expected.id = created.id
        expected.companyID = company
        expected.revision = 1
        expected.deletedAt = nil
        expected.createdAt = created.createdAt
        expected.updatedAt = created.updatedAt
        #expect(created == expected)

        let second = try await client.create(CreateInterviewRequest(interview: Sample.small(2)))
        #expect(second.id > created.id, "ids are time-ordered UUIDv7 text")
    }

    @Test("a create retried with the same request id returns the first record; other fields are ALREADY_EXISTS")
    func createIsIdempotent() async throws {
        let (_, client) = try await freshCompany("idem")
        let request = CreateInterviewRequest(interview: Sample.small(1), requestID: "req-42")
        let first = try await client.create(request)
        let retried = try await client.create(request)
        #expect(retried == first)
        #expect(try await client.list(ListRequest()).totalSize == 1)

        var different = request
        different.interview?.title = "not the same request"
        let error = await #expect(throws: RPCError.self) { try await client.create(different) }
        #expect(error?.code == .alreadyExists)
        #expect(error?.message.contains("request_id") == true)

        let other = try await client.create(CreateInterviewRequest(interview: Sample.small(1), requestID: "req-43"))
        #expect(other.id != first.id)
        #expect(try await client.list(ListRequest()).totalSize == 2)
    }

    @Test("get returns one record, with remote_data only when asked for; a missing id is NOT_FOUND")
    func getByID() async throws {
        let (_, client) = try await freshCompany("get")
        let created = try await client.create(CreateInterviewRequest(interview: Sample.full(3)))
        let plain = try await client.get(GetInterviewRequest(id: created.id))
        var withoutRemoteData = created
        withoutRemoteData.remoteData = []
        #expect(plain == withoutRemoteData)
        #expect(try await client.get(GetInterviewRequest(id: created.id, includeRemoteData: true)) == created)

        let missing = await #expect(throws: RPCError.self) {
            try await client.get(GetInterviewRequest(id: "0190b7e2-0000-7000-8000-000000000000"))
        }
        #expect(missing?.code == .notFound)
        #expect(missing?.message == "interview \"0190b7e2-0000-7000-8000-000000000000\" not found")
    }

    @Test("list filters AND across fields and OR within a list, orders, and reports total_size")
    func listFilters() async throws {
        let (_, client) = try await freshCompany("filters")
        var records: [(n: Int, interview: Interview)] = []
        for n in 0..<12 {
            var interview = Sample.small(
                n, candidate: ["cand-a", "cand-b", "cand-c"][n % 3], status: n % 2 == 0 ? .completed : .scheduled)
            interview.interviewers = [Participant(id: n < 6 ? "iv-early" : "iv-late")]
            records.append((n, try await client.create(CreateInterviewRequest(interview: interview))))
        }
        func ids(_ include: (Int) -> Bool) -> Set<String> {
            Set(records.filter { include($0.n) }.map(\.interview.id))
        }
        func check(_ request: ListRequest, _ include: (Int) -> Bool, sourceLocation: SourceLocation = #_sourceLocation)
            async throws
        {
            var request = request
            request.pageSize = 100
            let page = try await client.list(request)
            #expect(Set(page.interviews.map(\.id)) == ids(include), sourceLocation: sourceLocation)
            #expect(page.totalSize == UInt64(ids(include).count), sourceLocation: sourceLocation)
        }
        try await check(ListRequest(), { _ in true })
        try await check(ListRequest(candidateIDs: ["cand-a", "cand-b"]), { $0 % 3 != 2 })
        try await check(
            ListRequest(candidateIDs: ["cand-a", "cand-b"], statuses: [.completed]), { $0 % 3 != 2 && $0 % 2 == 0 })
        try await check(ListRequest(jobID: "job-1", interviewerID: "iv-late"), { $0 % 2 == 1 && $0 >= 6 })
        try await check(
            ListRequest(
                startAfter: Timestamp(seconds: 1_700_000_003), startBefore: Timestamp(seconds: 1_700_000_007)),
            { (3..<7).contains($0) })
        try await check(ListRequest(ids: [records[5].interview.id, records[7].interview.id]), { $0 == 5 || $0 == 7 })
        try await check(ListRequest(candidateIDs: ["nobody"]), { _ in false })

        let descending = try await client.list(ListRequest(pageSize: 3, orderBy: .startAt, direction: .descending))
        #expect(descending.interviews.map(\.title) == ["small 11", "small 10", "small 9"])
        #expect(descending.totalSize == 12)
    }

    @Test("page numbers and page tokens walk every record once, in order, while others insert")
    func pagination() async throws {
        let (_, client) = try await freshCompany("pages")
        var created: [Interview] = []
        for n in 0..<25 {
            created.append(try await client.create(CreateInterviewRequest(interview: Sample.small(n))))
        }
        let inOrder = created.map(\.id)

        var byNumber: [String] = []
        for number in UInt32(1)...4 {
            let page = try await client.list(ListRequest(page: number, pageSize: 10))
            #expect(page.page == number && page.pageSize == 10 && page.totalSize == 25)
            #expect(page.interviews.count == [10, 10, 5, 0][Int(number) - 1])
            byNumber += page.interviews.map(\.id)
        }
        #expect(byNumber == inOrder)

        var walked: [String] = []
        var token = ""
        var pages = 0
        repeat {
            let page = try await client.list(ListRequest(pageSize: 7, pageToken: token))
            walked += page.interviews.map(\.id)
            token = page.nextPageToken
            pages += 1
            if pages == 1 {
                for n in 100..<103 {
                    created.append(try await client.create(CreateInterviewRequest(interview: Sample.small(n))))
                }
            }
        } while !token.isEmpty && pages < 20
        #expect(walked == created.map(\.id), "no record skipped or repeated; the ones inserted behind the cursor too")

        let first = try await client.list(ListRequest(pageSize: 5))
        let second = try await client.list(ListRequest(pageSize: 5, pageToken: first.nextPageToken))
        #expect(second.interviews.map(\.id) == Array(inOrder[5..<10]))
        #expect(second.totalSize == 28)
        let back = try await client.list(ListRequest(pageSize: 5, pageToken: second.previousPageToken))
        #expect(back.interviews.map(\.id) == first.interviews.map(\.id))

        let otherFilter = await #expect(throws: RPCError.self) {
            try await client.list(ListRequest(candidateIDs: ["cand-x"], pageSize: 5, pageToken: first.nextPageToken))
        }
        #expect(otherFilter?.code == .invalidArgument)
        #expect(otherFilter?.message.hasPrefix("page_token") == true)
        var altered = Array(first.nextPageToken)
        altered[altered.count / 2] = altered[altered.count / 2] == "A" ? "B" : "A"
        let tampered = await #expect(throws: RPCError.self) {
            try await client.list(ListRequest(pageSize: 5, pageToken: String(altered)))
        }
        #expect(tampered?.code == .invalidArgument)
        #expect(tampered?.message.hasPrefix("page_token") == true)
    }

    @Test(
        "field selection leaves out or asks for remote_data, custom_fields and analysis; a read mask keeps its fields")
    func fieldSelection() async throws {
        let (_, client) = try await freshCompany("fields")
        let created = try await client.create(CreateInterviewRequest(interview: Sample.full(7)))
        func only(_ request: ListRequest) async throws -> Interview {
            let page = try await client.list(request)
            return try #require(page.interviews.first)
        }
        let plain = try await only(ListRequest())
        #expect(plain.remoteData.isEmpty && !plain.customFields.isEmpty && plain.analysis != nil)
        #expect(try await only(ListRequest(includeRemoteData: true)) == created)
        let lean = try await only(ListRequest(excludeCustomFields: true, excludeAnalysis: true))
        #expect(lean.customFields.isEmpty && lean.analysis == nil && lean.title == created.title)
        let masked = try await only(ListRequest(readMask: ["title", "status"]))
        #expect(masked == Interview(id: created.id, title: created.title, status: created.status))

        let badMask = await #expect(throws: RPCError.self) {
            try await client.list(ListRequest(readMask: ["nope"]))
        }
        #expect(badMask?.code == .invalidArgument)
        #expect(badMask?.message.hasPrefix("read_mask") == true)
    }

    @Test("stream delivers 1000 records in order through a small flow-control window")
    func streamThousand() async throws {
        let (_, client) = try await freshCompany("stream", initialWindow: 4)
        let items = (0..<1000).map { Sample.small($0, remoteID: "r-\($0)") }
        let upserted = try await client.upsert(UpsertInterviewsRequest(interviews: items))
        #expect(upserted.results.allSatisfy { $0.outcome == .created })

        let streamed = try await client.stream(ListRequest()) { stream in
            var all: [Interview] = []
            for try await interview in stream { all.append(interview) }
            return all
        }
        #expect(streamed.count == 1000)
        #expect(Set(streamed.map(\.id)) == Set(upserted.results.compactMap { $0.interview?.id }))
        let keys = streamed.map { ($0.createdAt ?? Timestamp(seconds: 0), $0.id) }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 < $1 }, "created_at order, ties broken by id")

        let filtered = try await client.stream(ListRequest(remoteIDs: ["r-1", "r-999"])) { stream in
            var all: [String] = []
            for try await interview in stream { all.append(interview.remoteID) }
            return all
        }
        #expect(Set(filtered) == ["r-1", "r-999"])
    }

    @Test("returning early from a stream cancels it on the server; 150 of them leave the connection usable")
    func streamEarlyExit() async throws {
        let (_, client) = try await freshCompany("early", initialWindow: 2)
        let items = (0..<300).map { Sample.small($0, remoteID: "r-\($0)") }
        _ = try await client.upsert(UpsertInterviewsRequest(interviews: items))
        // More early exits than the 100 calls a connection may have open: a
        // stream the server did not end would take a slot for good.
        for _ in 0..<150 {
            let first = try await client.stream(ListRequest()) { stream -> Interview? in
                for try await interview in stream { return interview }
                return nil
            }
            #expect(first?.title == "small 0")
        }
        #expect(try await client.list(ListRequest()).totalSize == 300)
        let count = try await client.stream(ListRequest()) { stream in
            var count = 0
            for try await _ in stream { count += 1 }
            return count
        }
        #expect(count == 300)
    }

    @Test("update changes only the masked fields and bumps the revision; a stale expected revision is rejected")
    func update() async throws {
        let (company, client) = try await freshCompany("update")
        let created = try await client.create(CreateInterviewRequest(interview: Sample.full(1)))
        var changes = Interview(id: created.id, companyID: "elsewhere", jobID: "not-in-mask", title: "Renamed")
        changes.status = .completed
        let updated = try await client.update(
            UpdateInterviewRequest(interview: changes, updateMask: ["title", "status"]))
        #expect(updated.title == "Renamed" && updated.status == .completed)
        #expect(updated.jobID == created.jobID && updated.companyID == company)
        #expect(updated.analysis == created.analysis && updated.customFields == created.customFields)
        #expect(updated.revision == 2)
        #expect(try #require(updated.updatedAt) >= (try #require(created.updatedAt)))
        #expect(updated.createdAt == created.createdAt)

        let stale = await #expect(throws: RPCError.self) {
            try await client.update(
                UpdateInterviewRequest(interview: changes, updateMask: ["title"], expectedRevision: 1))
        }
        #expect(stale?.code == .failedPrecondition)
        changes.title = "Again"
        let current = try await client.update(
            UpdateInterviewRequest(interview: changes, updateMask: ["title"], expectedRevision: 2))
        #expect(current.revision == 3 && current.title == "Again")
        #expect(try await client.get(GetInterviewRequest(id: created.id)).title == "Again")

        let missing = await #expect(throws: RPCError.self) {
            try await client.update(
                UpdateInterviewRequest(
                    interview: Interview(id: "0190b7e2-0000-7000-8000-000000000001", title: "x"), updateMask: ["title"])
            )
        }
        #expect(missing?.code == .notFound)
        let badMask = await #expect(throws: RPCError.self) {
            try await client.update(UpdateInterviewRequest(interview: changes, updateMask: ["colour"]))
        }
        #expect(badMask?.code == .invalidArgument)
    }

    @Test("delete is soft: the record is hidden from get and list unless include_deleted")
    func softDelete() async throws {
        let (_, client) = try await freshCompany("delete")
        let kept = try await client.create(CreateInterviewRequest(interview: Sample.small(1)))
        let doomed = try await client.create(CreateInterviewRequest(interview: Sample.small(2)))
        let stale = await #expect(throws: RPCError.self) {
            try await client.delete(DeleteInterviewRequest(id: doomed.id, expectedRevision: 7))
        }
        #expect(stale?.code == .failedPrecondition)

        let deleted = try await client.delete(DeleteInterviewRequest(id: doomed.id, expectedRevision: 1))
        #expect(deleted.deletedAt != nil && deleted.revision == 2)
        let hidden = await #expect(throws: RPCError.self) {
            try await client.get(GetInterviewRequest(id: doomed.id))
        }
        #expect(hidden?.code == .notFound)
        let shown = try await client.get(GetInterviewRequest(id: doomed.id, includeDeleted: true))
        #expect(shown.deletedAt == deleted.deletedAt)

        #expect(try await client.list(ListRequest()).interviews.map(\.id) == [kept.id])
        let all = try await client.list(ListRequest(includeDeleted: true))
        #expect(all.interviews.map(\.id) == [kept.id, doomed.id] && all.totalSize == 2)
        let info = try await client.serverInfo()
        #expect(info.interviewCount == 1 && info.deletedCount == 1)
    }

    @Test("upsert reports created, updated, unchanged and error for each item, in order")
    func upsertOutcomes() async throws {
        let (_, client) = try await freshCompany("upsert")
        let first = try await client.upsert(
            UpsertInterviewsRequest(interviews: [
                Sample.small(1, remoteID: "ats-1"), Sample.small(2, remoteID: "ats-2"),
            ])
        )
        #expect(first.results.map(\.outcome) == [.created, .created])
        #expect(first.results.map(\.index) == [0, 1])

        var changed = Sample.small(2, remoteID: "ats-2")
        changed.title = "moved"
        var backwards = Sample.small(5, remoteID: "ats-5")
        backwards.endAt = Timestamp(seconds: 1)
        let second = try await client.upsert(
            UpsertInterviewsRequest(interviews: [
                Sample.small(1, remoteID: "ats-1"), changed, Sample.small(3, remoteID: "ats-3"), Sample.small(4),
                backwards,
            ]))
        #expect(second.results.map(\.outcome) == [.unchanged, .updated, .created, .error, .error])
        #expect(second.results.map(\.index) == [0, 1, 2, 3, 4])
        #expect(second.results[0].interview?.revision == 1)
        #expect(second.results[1].interview?.revision == 2 && second.results[1].interview?.title == "moved")
        #expect(second.results[1].interview?.id == first.results[1].interview?.id)
        #expect(second.results[3].errorCode == StatusCode.invalidArgument.rawValue)
        #expect(second.results[3].errorMessage.contains("remote_id"))
        #expect(second.results[4].errorCode == StatusCode.invalidArgument.rawValue)
        #expect(second.results[4].errorMessage.hasPrefix("end_at"))
        #expect(try await client.list(ListRequest()).totalSize == 3)
    }

    @Test("watch replays the changes after a sequence, then follows live ones")
    func watch() async throws {
        let (_, client) = try await freshCompany("watch")
        let start = try await client.serverInfo().lastSequence
        var records: [Interview] = []
        for n in 0..<3 {
            records.append(try await client.create(CreateInterviewRequest(interview: Sample.full(n))))
        }
        let writer = client
        let events = try await client.watch(WatchRequest(afterSequence: start)) { stream in
            var events: [WatchEvent] = []
            for try await event in stream {
                events.append(event)
                if events.count == 3 {
                    // Caught up with the backlog: these arrive live.
                    _ = try await writer.update(
                        UpdateInterviewRequest(
                            interview: Interview(id: records[0].id, title: "live"), updateMask: ["title"]))
                    _ = try await writer.delete(DeleteInterviewRequest(id: records[1].id))
                }
                if events.count == 5 { break }
            }
            return events
        }
        #expect(events.map(\.kind) == [.created, .created, .created, .updated, .deleted])
        #expect(
            events.map { $0.interview?.id } == [
                records[0].id, records[1].id, records[2].id, records[0].id, records[1].id,
            ])
        #expect(events.allSatisfy { $0.sequence > start })
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        #expect(events.allSatisfy { $0.interview?.remoteData.isEmpty == true })
        #expect(events[3].interview?.title == "live")

        let fromSecond = try await client.watch(
            WatchRequest(afterSequence: events[0].sequence, includeRemoteData: true)
        ) {
            stream in
            var iterator = stream.makeAsyncIterator()
            return try await iterator.next()
        }
        #expect(fromSecond?.interview?.id == records[1].id)
        #expect(fromSecond?.interview?.remoteData == records[1].remoteData)
    }

    @Test("the socket file and the key file are owner-only (0600)")
    func ownerOnlyFiles() async throws {
        let server = try ServerProcess.shared
        _ = try await server.companyKey(Company.unique("files"))
        for path in [server.socketPath, server.dataDirectory + "/keys.json"] {
            var status = stat()
            #expect(stat(path, &status) == 0, "\(path)")
            #expect(status.st_mode & 0o777 == 0o600, "\(path)")
        }
    }

    @Test("Health answers SERVING to a caller without a key")
    func health() async throws {
        let client = try await ServerProcess.shared.client(apiKey: nil)
        #expect(try await client.health().status == .serving)
    }

    @Test("ServerInfo reports the version, the backend and the counts of the caller's company")
    func serverInfo() async throws {
        let (_, client) = try await freshCompany("info")
        let empty = try await client.serverInfo()
        #expect(empty.interviewCount == 0 && empty.deletedCount == 0)
        for n in 0..<3 { _ = try await client.create(CreateInterviewRequest(interview: Sample.small(n))) }
        let first = try await client.list(ListRequest(pageSize: 1)).interviews[0]
        _ = try await client.delete(DeleteInterviewRequest(id: first.id))

        let info = try await client.serverInfo()
        #expect(info.interviewCount == 2 && info.deletedCount == 1)
        #expect(info.backend == (try ServerProcess.shared.backend.rawValue))
        #expect(!info.version.isEmpty)
        #expect(info.protocolVersion == 1)
        #expect(info.writable)
        #expect(info.lastSequence >= empty.lastSequence + 4)
        #expect(info.startedAt != nil && info.uptimeSeconds < 3600)
    }
}
