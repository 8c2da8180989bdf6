import InterviewsClient
import InterviewsModel
import RPCCore
import Testing

/// Two companies write at the same time on one server; neither ever sees the
/// other's records, through any method.
@Suite("Two companies on one server never see each other's records", .serverProcess(), .timeLimit(.minutes(2)))
struct TenancyTests {
    /// Two companies, a client for each, and `perCompany` records each, written interleaved and concurrently.
    private struct Pair {
        let a: String
        let b: String
        let clientA: InterviewsClient
        let clientB: InterviewsClient
        let recordsA: [Interview]
        let recordsB: [Interview]
    }

    private func interleavedPair(_ prefix: String, perCompany: Int = 20) async throws -> Pair {
        let server = try ServerProcess.shared
        let a = Company.unique(prefix + "-a")
        let b = Company.unique(prefix + "-b")
        let clientA = try await server.client(try await server.companyKey(a))
        let clientB = try await server.client(try await server.companyKey(b))
        let (recordsA, recordsB) = try await withThrowingTaskGroup(of: (Bool, Interview).self) { group in
            for n in 0..<perCompany {
                // The body names the other company: it must be ignored.
                group.addTask {
                    var interview = Sample.small(n, remoteID: "shared-\(n)")
                    interview.companyID = b
                    return (true, try await clientA.create(CreateInterviewRequest(interview: interview)))
                }
                group.addTask {
                    var interview = Sample.small(n, remoteID: "shared-\(n)")
                    interview.companyID = a
                    return (false, try await clientB.create(CreateInterviewRequest(interview: interview)))
                }
            }
            var recordsA: [Interview] = []
            var recordsB: [Interview] = []
            for try await (isA, record) in group {
                if isA { recordsA.append(record) } else { recordsB.append(record) }
            }
            return (recordsA, recordsB)
        }
        return Pair(a: a, b: b, clientA: clientA, clientB: clientB, recordsA: recordsA, recordsB: recordsB)
    }

    @Test("company_id in a record body is ignored; the key's company is used")
    func bodyCompanyIgnored() async throws {
        let pair = try await interleavedPair("body", perCompany: 5)
        #expect(pair.recordsA.allSatisfy { $0.companyID == pair.a })
        #expect(pair.recordsB.allSatisfy { $0.companyID == pair.b })
        var upsert = Sample.small(9, remoteID: "via-upsert")
        upsert.companyID = pair.b
        let result = try await pair.clientA.upsert(UpsertInterviewsRequest(interviews: [upsert]))
        #expect(result.results.first?.interview?.companyID == pair.a)
        let renamed = try await pair.clientA.update(
            UpdateInterviewRequest(
                interview: Interview(id: pair.recordsA[0].id, companyID: pair.b, title: "x"),
                updateMask: ["title"]))
        #expect(renamed.companyID == pair.a)
        let moved = await #expect(throws: RPCError.self) {
            try await pair.clientA.update(
                UpdateInterviewRequest(
                    interview: Interview(id: pair.recordsA[0].id, companyID: pair.b), updateMask: ["company_id"]))
        }
        #expect(moved?.code == .invalidArgument)
        #expect(moved?.message.hasPrefix("update_mask") == true)
        #expect(try await pair.clientB.list(ListRequest(remoteIDs: ["via-upsert"])).totalSize == 0)
    }

    @Test("list, stream and counts show only the caller's records")
    func listStreamAndCounts() async throws {
        let pair = try await interleavedPair("list")
        for (client, own) in [(pair.clientA, pair.recordsA), (pair.clientB, pair.recordsB)] {
            let page = try await client.list(ListRequest(pageSize: 100))
            #expect(Set(page.interviews.map(\.id)) == Set(own.map(\.id)))
            #expect(page.totalSize == UInt64(own.count))
            let streamed = try await client.stream(ListRequest()) { stream in
                var ids: [String] = []
                for try await interview in stream { ids.append(interview.id) }
                return ids
            }
            #expect(Set(streamed) == Set(own.map(\.id)))
            let byIDs = try await client.list(ListRequest(ids: (pair.recordsA + pair.recordsB).map(\.id)))
            #expect(Set(byIDs.interviews.map(\.id)) == Set(own.map(\.id)), "naming the other's ids finds nothing")
        }
        let pageOfA = try await pair.clientA.list(ListRequest(pageSize: 5))
        let borrowed = await #expect(throws: RPCError.self) {
            try await pair.clientB.list(ListRequest(pageSize: 5, pageToken: pageOfA.nextPageToken))
        }
        #expect(borrowed?.code == .invalidArgument, "a page token is bound to its tenant")
        _ = try await pair.clientB.delete(DeleteInterviewRequest(id: pair.recordsB[0].id))
        let infoA = try await pair.clientA.serverInfo()
        let infoB = try await pair.clientB.serverInfo()
        #expect(infoA.interviewCount == 20 && infoA.deletedCount == 0)
        #expect(infoB.interviewCount == 19 && infoB.deletedCount == 1)
    }

    @Test("another company's id is NOT_FOUND for get, update and delete, in the words used for a missing id")
    func otherCompanysIDNotFound() async throws {
        let pair = try await interleavedPair("get", perCompany: 3)
        let theirs = pair.recordsB[0].id
        let missing = "0190b7e2-0000-7000-8000-00000000abcd"
        func message(_ call: () async throws -> Void) async -> String? {
            do {
                try await call()
                return nil
            } catch let error as RPCError {
                return error.code == .notFound ? error.message : "\(error)"
            } catch {
                return "\(error)"
            }
        }
        let calls: [(String) async throws -> Void] = [
            { _ = try await pair.clientA.get(GetInterviewRequest(id: $0)) },
            { _ = try await pair.clientA.get(GetInterviewRequest(id: $0, includeDeleted: true)) },
            {
                _ = try await pair.clientA.update(
                    UpdateInterviewRequest(interview: Interview(id: $0, title: "mine now"), updateMask: ["title"]))
            },
            { _ = try await pair.clientA.delete(DeleteInterviewRequest(id: $0)) },
        ]
        for call in calls {
            let forTheirs = await message { try await call(theirs) }
            let forMissing = await message { try await call(missing) }
            #expect(forTheirs == "interview \"\(theirs)\" not found")
            #expect(forMissing == "interview \"\(missing)\" not found")
        }
        let untouched = try await pair.clientB.get(GetInterviewRequest(id: theirs))
        #expect(untouched == pair.recordsB[0])
    }

    @Test("the same remote_id in two companies is two records, and upserts stay in their company")
    func upsertPerCompany() async throws {
        let pair = try await interleavedPair("upsert", perCompany: 2)
        let inA = try await pair.clientA.upsert(
            UpsertInterviewsRequest(interviews: [Sample.small(1, remoteID: "shared-0"), Sample.small(7, remoteID: "x")])
        )
        let inB = try await pair.clientB.upsert(
            UpsertInterviewsRequest(interviews: [Sample.small(1, remoteID: "x")]))
        #expect(inA.results.map(\.outcome) == [.updated, .created])
        #expect(inB.results.map(\.outcome) == [.created])
        let a = try await pair.clientA.list(ListRequest(remoteIDs: ["x", "shared-0"]))
        let b = try await pair.clientB.list(ListRequest(remoteIDs: ["x", "shared-0"]))
        #expect(a.totalSize == 2 && b.totalSize == 2)
        #expect(Set(a.interviews.map(\.id)).isDisjoint(with: b.interviews.map(\.id)))
        #expect(b.interviews.first { $0.remoteID == "shared-0" }?.revision == 1, "A's upsert did not touch B's record")
    }

    @Test("watch delivers only the caller's changes, in the backlog and live")
    func watchIsScoped() async throws {
        let pair = try await interleavedPair("watch", perCompany: 10)
        // A marker written after the interleaved writes: once A's watch reaches
        // it, every earlier change of both companies has been considered.
        let marker = try await pair.clientA.create(CreateInterviewRequest(interview: Sample.small(99)))
        let ownIDs = Set((pair.recordsA + [marker]).map(\.id))
        let backlog = try await pair.clientA.watch(WatchRequest()) { stream in
            var seen: [String] = []
            for try await event in stream {
                seen.append(event.interview?.id ?? "")
                if event.interview?.id == marker.id { break }
            }
            return seen
        }
        #expect(Set(backlog) == ownIDs && backlog.count == ownIDs.count)

        let writerA = pair.clientA
        let live = try await pair.clientB.watch(WatchRequest()) {
            stream in
            var seen: [String] = []
            var iterator = stream.makeAsyncIterator()
            for _ in pair.recordsB {
                seen.append(try await iterator.next()?.interview?.companyID ?? "")
            }
            // Caught up: A writes, then B; B's watch sees only its own.
            _ = try await writerA.create(CreateInterviewRequest(interview: Sample.small(100)))
            let own = try await pair.clientB.create(CreateInterviewRequest(interview: Sample.small(101)))
            let next = try await iterator.next()
            seen.append(next?.interview?.id == own.id ? pair.b : "unexpected \(String(describing: next))")
            return seen
        }
        #expect(live == Array(repeating: pair.b, count: pair.recordsB.count + 1))
    }
}
