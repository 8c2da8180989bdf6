import Crypto
import InterviewsModel
import Testing

@testable import InterviewsRepository

@Suite("The store engine keeps its bounds, replays and snapshots")
struct InterviewStoreTests {
    let acme = Tenant("acme")

    @Test("the change history keeps its limit and reports truncation exactly past it")
    func historyBound() throws {
        var store = InterviewStore(configuration: .init(changeHistoryLimit: 3))
        for n in 0..<5 { _ = try store.create(Interview(title: "\(n)"), requestID: "", tenant: acme) }
        let all = try store.changes(after: 0, limit: 100, tenant: acme)
        #expect(all.truncated && all.changes.map(\.sequence) == [3, 4, 5])
        let atBound = try store.changes(after: 2, limit: 100, tenant: acme)
        #expect(!atBound.truncated && atBound.changes.count == 3)
        #expect(try store.changes(after: 1, limit: 100, tenant: acme).truncated)
        #expect(try !store.changes(after: 0, limit: 100, tenant: Tenant("quiet")).truncated)
    }

    @Test("idempotency entries are forgotten beyond the count limit")
    func idempotencyCountBound() throws {
        var store = InterviewStore(configuration: .init(idempotencyLimit: 2))
        let first = try store.create(Interview(title: "a"), requestID: "r1", tenant: acme).interview
        _ = try store.create(Interview(title: "a"), requestID: "r2", tenant: acme)
        #expect(try store.create(Interview(title: "a"), requestID: "r1", tenant: acme).interview == first)
        _ = try store.create(Interview(title: "a"), requestID: "r3", tenant: acme)
        let again = try store.create(Interview(title: "a"), requestID: "r1", tenant: acme)
        #expect(again.interview.id != first.id && again.changes.count == 1)
    }

    @Test("idempotency entries expire after the window")
    func idempotencyWindow() throws {
        var store = InterviewStore(configuration: .init(idempotencyWindowSeconds: 0))
        let first = try store.create(Interview(title: "a"), requestID: "r1", tenant: acme).interview
        let second = try store.create(Interview(title: "a"), requestID: "r1", tenant: acme).interview
        #expect(first.id != second.id)
    }

    @Test("replaying the committed changes rebuilds an identical store")
    func replay() throws {
        let secret = InterviewStore.Configuration.randomSecret()
        var store = InterviewStore(configuration: .init(tokenSecret: secret))
        var log: [CommittedChange] = []
        let created = try store.create(Interview(remoteID: "x", title: "a"), requestID: "req", tenant: acme)
        log += created.changes
        log += try store.update(
            Interview(id: created.interview.id, title: "b"), mask: ["title"], expectedRevision: 0, tenant: acme
        ).changes
        log += try store.upsert([Interview(remoteID: "y"), Interview(remoteID: "x", title: "c")], tenant: acme).changes
        log += try store.delete(id: created.interview.id, expectedRevision: 0, tenant: acme).changes
        var replayed = InterviewStore(configuration: .init(tokenSecret: secret))
        let kinds = try log.map {
            try replayed.apply($0.change.interview, sequence: $0.change.sequence, requestID: $0.requestID).kind
        }
        #expect(kinds == [.created, .updated, .created, .updated, .deleted])
        #expect(replayed.snapshot() == store.snapshot())
        let request = ListRequest(includeDeleted: true, pageSize: 1)
        let page = try store.list(request, tenant: acme)
        #expect(try replayed.list(request, tenant: acme) == page)
        var next = request
        next.pageToken = page.nextPageToken
        #expect(try replayed.list(next, tenant: acme) == store.list(next, tenant: acme))
        let retry = try replayed.create(Interview(remoteID: "x", title: "a"), requestID: "req", tenant: acme)
        #expect(retry.changes.isEmpty && retry.interview.id == created.interview.id)
    }

    @Test("replay refuses a sequence that does not advance and a record without a store id")
    func replayRejects() throws {
        var store = InterviewStore()
        let record = try store.create(Interview(), requestID: "", tenant: acme).interview
        #expect(throws: InterviewsError.self) { try store.apply(record, sequence: 1) }
        var foreign = record
        foreign.id = "not-a-uuid"
        #expect(throws: InterviewsError.self) { try store.apply(foreign, sequence: 2) }
    }

    @Test("a store restored from a snapshot lists the same and reports older changes as truncated")
    func snapshotRestore() throws {
        var store = InterviewStore()
        for n in 0..<50 { _ = try store.create(Interview(candidateID: "c\(n % 3)"), requestID: "r\(n)", tenant: acme) }
        let snapshot = store.snapshot()
        var restored = try InterviewStore(snapshot: snapshot)
        #expect(restored.snapshot() == snapshot)
        let request = ListRequest(candidateIDs: ["c1"], direction: .descending)
        #expect(try restored.list(request, tenant: acme).interviews == store.list(request, tenant: acme).interviews)
        #expect(try restored.changes(after: 0, limit: 10, tenant: acme).truncated)
        #expect(try !restored.changes(after: 50, limit: 10, tenant: acme).truncated)
        let next = try restored.create(Interview(), requestID: "", tenant: acme)
        #expect(next.changes.map(\.change.sequence) == [51])
        #expect(next.interview.createdAt! > snapshot.records.compactMap(\.updatedAt).max()!)
    }

    @Test("an index built in bulk (snapshot, or replay with the index deferred) lists exactly as one kept up to date")
    func bulkIndex() throws {
        // Enough records that the companies are built on several threads.
        let companies = [acme, Tenant("globex"), Tenant("initech")]
        var store = InterviewStore()
        var random = TestRandom(state: 11)
        var ids: [(Tenant, String)] = []
        var replayed = InterviewStore()
        replayed.deferIndex()
        func replay(_ write: StoreWrite) throws {
            for committed in write.changes {
                try replayed.apply(
                    committed.change.interview, sequence: committed.change.sequence, requestID: committed.requestID)
            }
        }
        for n in 0..<7500 {
            let tenant = companies[Int(random.next() % 3)]
            switch random.next() % 10 {
            case 0..<6 where true, _ where ids.isEmpty:
                let write = try store.create(
                    Interview(
                        candidateID: "c\(random.next() % 7)", jobID: random.next() % 3 == 0 ? "" : "j\(n % 4)",
                        startAt: random.next() % 8 == 0 ? nil : Timestamp(seconds: Int64(random.next() % 300)),
                        status: random.next() % 2 == 0 ? .scheduled : .completed),
                    requestID: n % 5 == 0 ? "req-\(n)" : "", tenant: tenant)
                ids.append((tenant, write.interview.id))
                try replay(write)
            case 6..<9:
                let (owner, id) = ids[Int(random.next() % UInt64(ids.count))]
                var changes = Interview(id: id, candidateID: "c\(random.next() % 7)")
                changes.startAt = Timestamp(seconds: Int64(random.next() % 300))
                changes.status = .cancelled
                guard
                    let write = try? store.update(
                        changes, mask: ["candidate_id", "start_at", "status"], expectedRevision: 0, tenant: owner)
                else { continue }
                try replay(write)
            default:
                let (owner, id) = ids[Int(random.next() % UInt64(ids.count))]
                guard let write = try? store.delete(id: id, expectedRevision: 0, tenant: owner) else { continue }
                try replay(write)
            }
        }
        // The same replay built with a partition hash under which every
        // candidate collides with every other, every job with every job and
        // every status with every status: the check of large partitions must
        // catch each merge and build those companies one record at a time.
        #expect(store.snapshot().records.count >= CompanyIndexBuilder.parallelThreshold)
        var colliding = replayed
        colliding.buildDeferredIndex(partitionHash: { field, _ in UInt64(field) + 100 })
        replayed.buildDeferredIndex()
        let restored = try InterviewStore(snapshot: store.snapshot())
        var requests: [ListRequest] = []
        for order in [OrderBy.createdAt, .startAt, .updatedAt] {
            for direction in [OrderDirection.ascending, .descending] {
                requests.append(ListRequest(pageSize: 100, orderBy: order, direction: direction))
                requests.append(ListRequest(candidateIDs: ["c3"], pageSize: 50, orderBy: order, direction: direction))
                requests.append(ListRequest(statuses: [.cancelled], includeDeleted: true, pageSize: 50, orderBy: order))
                requests.append(ListRequest(jobID: "j1", page: 3, pageSize: 20, orderBy: order))
            }
        }
        for tenant in companies {
            // Page tokens are signed with each store's own secret: compare the rest.
            func shown(_ page: Page) -> [String] { page.interviews.map(\.id) + ["\(page.totalSize)"] }
            for request in requests {
                let expected = shown(try store.list(request, tenant: tenant))
                #expect(expected.count > 1)
                #expect(shown(try restored.list(request, tenant: tenant)) == expected, "\(request)")
                #expect(shown(try replayed.list(request, tenant: tenant)) == expected, "\(request)")
                #expect(shown(try colliding.list(request, tenant: tenant)) == expected, "\(request)")
            }
            #expect(restored.stats(tenant: tenant) == store.stats(tenant: tenant))
            #expect(replayed.stats(tenant: tenant) == store.stats(tenant: tenant))
        }
        #expect(replayed.snapshot() == store.snapshot())
        // Both keep their index up to date from here on.
        var more = restored
        let write = try store.create(Interview(candidateID: "c3"), requestID: "", tenant: acme)
        try more.apply(write.interview, sequence: write.changes[0].change.sequence)
        try replayed.apply(write.interview, sequence: write.changes[0].change.sequence)
        let request = ListRequest(candidateIDs: ["c3"], pageSize: 100, orderBy: .updatedAt, direction: .descending)
        #expect(try more.list(request, tenant: acme).interviews == store.list(request, tenant: acme).interviews)
        #expect(try replayed.list(request, tenant: acme).interviews == store.list(request, tenant: acme).interviews)
    }

    @Test("deep pages of a large store match a naive sort", arguments: [OrderBy.createdAt, .startAt, .updatedAt])
    func largeStore(order: OrderBy) throws {
        var store = InterviewStore()
        var random = TestRandom(state: 5)
        var records: [String: Interview] = [:]
        for _ in 0..<3000 {
            let interview = Interview(
                candidateID: "c\(random.next() % 3)",
                startAt: random.next() % 10 == 0 ? nil : Timestamp(seconds: Int64(random.next() % 500)),
                status: random.next() % 2 == 0 ? .scheduled : .completed)
            let created = try store.create(interview, requestID: "", tenant: acme).interview
            records[created.id] = created
        }
        for id in records.keys.sorted().prefix(400) {
            let deleted = try store.delete(id: id, expectedRevision: 0, tenant: acme).interview
            records[id] = deleted
        }
        for direction in [OrderDirection.ascending, .descending] {
            for request in [
                ListRequest(orderBy: order, direction: direction),
                ListRequest(includeDeleted: true, orderBy: order, direction: direction),
                ListRequest(
                    statuses: [.scheduled, .completed], includeDeleted: true, orderBy: order, direction: direction),
                ListRequest(candidateIDs: ["c0", "c2"], orderBy: order, direction: direction),
            ] {
                let expected = naive(records.values, request)
                for page in [1, 2, 7, 13, 29] as [UInt32] {
                    var paged = request
                    paged.page = page
                    paged.pageSize = 100
                    let result = try store.list(paged, tenant: acme)
                    #expect(result.totalSize == UInt64(expected.count))
                    let offset = Int(page - 1) * 100
                    #expect(result.interviews.map(\.id) == expected.dropFirst(offset).prefix(100).map(\.id))
                }
            }
        }
    }

    private func naive(_ records: some Sequence<Interview>, _ request: ListRequest) -> [Interview] {
        let order = ListOrder(request)
        let matching = records.filter { record in
            (request.includeDeleted || record.deletedAt == nil)
                && (request.candidateIDs.isEmpty || request.candidateIDs.contains(record.candidateID))
                && (request.statuses.isEmpty || request.statuses.contains(record.status))
        }
        let sorted = matching.sorted { order.key(of: $0, id: UUIDv7($0.id)!) < order.key(of: $1, id: UUIDv7($1.id)!) }
        return order.descending ? sorted.reversed() : sorted
    }
}

@Suite("The change notifier wakes and forgets its waiters")
struct ChangeNotifierTests {
    @Test("a cancelled waiter is removed, and out-of-order publishes keep the highest")
    func cancellation() async throws {
        let notifier = ChangeNotifier()
        let waiter = Task { try await notifier.wait(after: 3) }
        while notifier.waiterCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(notifier.waiterCount == 0)
        notifier.publish(5)
        notifier.publish(4)
        #expect(notifier.lastSequence == 5)
        #expect(try await notifier.wait(after: 4) == 5)
    }
}

@Suite("Page tokens are opaque, bound and tamper-evident")
struct ListCursorTests {
    @Test("every single-character change to a token is rejected")
    func tampering() throws {
        let secret = TokenSigner(secret: InterviewStore.Configuration.randomSecret())
        let binding = [UInt8](repeating: 7, count: 16)
        let cursor = ListCursor(key: IndexKey(seconds: 1_700_000_000, nanos: 5, id: UUIDv7.generate()), backward: true)
        let token = cursor.token(binding: binding, signer: secret)
        #expect(try ListCursor(token: token, binding: binding, signer: secret) == cursor)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for index in token.utf8.indices {
            var bytes = Array(token.utf8)
            let position = token.utf8.distance(from: token.utf8.startIndex, to: index)
            bytes[position] = alphabet.first { $0 != bytes[position] }!
            let altered = String(decoding: bytes, as: UTF8.self)
            #expect(throws: InterviewsError.self) { try ListCursor(token: altered, binding: binding, signer: secret) }
        }
        let otherSecret = TokenSigner(secret: InterviewStore.Configuration.randomSecret())
        #expect(throws: InterviewsError.self) { try ListCursor(token: token, binding: binding, signer: otherSecret) }
        #expect(throws: InterviewsError.self) {
            try ListCursor(token: token, binding: [UInt8](repeating: 8, count: 16), signer: secret)
        }
    }

    @Test("the signer's MAC is HMAC-SHA256, for secrets shorter than, equal to and longer than a block")
    func signerIsHMAC() {
        for length in [0, 1, 32, 63, 64, 65, 200] {
            let secret = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            for message in [[], [UInt8](repeating: 0xA5, count: 46), (0..<300).map { UInt8(truncatingIfNeeded: $0) }] {
                var mac: [UInt8] = []
                TokenSigner(secret: secret).appendMAC(of: message, count: 32, to: &mac)
                let expected = Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
                #expect(mac == expected, "secret of \(length) bytes, message of \(message.count)")
            }
        }
    }
}
