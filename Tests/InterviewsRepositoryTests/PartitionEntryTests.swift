import InterviewsModel
import Testing

@testable import InterviewsRepository

/// A partition of up to 16 records is held as ids and put in order when read;
/// past that it has counted lists. Lists must not tell the two apart.
@Suite("Small and large partitions list alike")
struct PartitionEntryTests {
    let acme = Tenant("acme")

    /// Every record of candidate `c` in the order given, as a naive scan would list it.
    private func expected(_ all: [Interview], candidate: String, order: OrderBy, descending: Bool, deleted: Bool)
        -> [String]
    {
        let matching = all.filter { $0.candidateID == candidate && (deleted || $0.deletedAt == nil) }
        func key(_ r: Interview) -> IndexKey {
            let id = UUIDv7(r.id) ?? .zero
            switch order {
            case .startAt: return IndexKey(r.startAt, id: id)
            case .updatedAt: return IndexKey(r.updatedAt, id: id)
            case .createdAt, .unspecified: return IndexKey(r.createdAt, id: id)
            }
        }
        let sorted = matching.sorted { key($0) < key($1) }.map(\.id)
        return descending ? sorted.reversed() : sorted
    }

    private func listAll(_ store: InterviewStore, _ request: ListRequest) throws -> [String] {
        var request = request
        var ids: [String] = []
        while true {
            let page = try store.list(request, tenant: acme)
            ids += page.interviews.map(\.id)
            #expect(Int(page.totalSize) >= ids.count)
            if page.nextPageToken.isEmpty { return ids }
            request.pageToken = page.nextPageToken
        }
    }

    @Test("a candidate's records across 1, 2, 16, 17 and 40 records, with deletions, in every order")
    func acrossTheLimit() throws {
        var store = InterviewStore()
        var all: [String: Interview] = [:]
        var random = SystemRandomNumberGenerator()
        func check(_ count: Int) throws {
            let records = Array(all.values)
            for order in [OrderBy.createdAt, .startAt, .updatedAt] {
                for descending in [false, true] {
                    for deleted in [false, true] {
                        let request = ListRequest(
                            candidateIDs: ["c1"], includeDeleted: deleted, pageSize: 5, orderBy: order,
                            direction: descending ? .descending : .ascending)
                        let want = expected(
                            records, candidate: "c1", order: order, descending: descending, deleted: deleted)
                        #expect(
                            try listAll(store, request) == want, "\(count) records, \(order) \(descending) \(deleted)")
                        #expect(try store.list(request, tenant: acme).totalSize == UInt64(want.count))
                    }
                }
            }
        }
        for target in [1, 2, 16, 17, 40] {
            while all.count < target {
                let start = Timestamp(seconds: 1_700_000_000 + Int64.random(in: 0..<1000, using: &random))
                let stored = try store.create(
                    Interview(remoteID: "r\(all.count)", candidateID: "c1", startAt: start), requestID: "", tenant: acme
                ).interview
                all[stored.id] = stored
                // An unrelated candidate, so that the partitions are not the company's.
                _ = try store.create(Interview(candidateID: "c2"), requestID: "", tenant: acme)
            }
            try check(target)
        }
        // Delete and update some, then remove records until the partition is small again.
        for (index, id) in all.keys.sorted().enumerated() {
            if index % 3 == 0 {
                all[id] = try store.delete(id: id, expectedRevision: 0, tenant: acme).interview
            } else if index % 3 == 1 {
                all[id] = try store.update(
                    Interview(id: id, title: "moved \(index)"), mask: ["title"], expectedRevision: 0, tenant: acme
                ).interview
            }
        }
        try check(all.count)
        // Live records leave for candidate c3 (deleted ones cannot change).
        for id in all.keys.sorted().dropFirst(3) where all[id]?.deletedAt == nil {
            _ = try store.update(
                Interview(id: id, candidateID: "c3"), mask: ["candidate_id"], expectedRevision: 0, tenant: acme)
            all[id] = nil
        }
        try check(all.count)
        // The bulk-built index agrees with the incrementally kept one.
        let rebuilt = try InterviewStore(snapshot: store.snapshot())
        for order in [OrderBy.createdAt, .startAt, .updatedAt] {
            let request = ListRequest(candidateIDs: ["c1", "c3"], includeDeleted: true, pageSize: 100, orderBy: order)
            #expect(try rebuilt.list(request, tenant: acme).interviews == store.list(request, tenant: acme).interviews)
        }
    }

    @Test("remote ids are found through their hash and checked against the record")
    func remoteIDs() throws {
        var store = InterviewStore()
        let first = try store.create(Interview(remoteID: "same"), requestID: "", tenant: acme).interview
        #expect(throws: InterviewsError.self) {
            _ = try store.create(Interview(remoteID: "same"), requestID: "", tenant: acme)
        }
        _ = try store.delete(id: first.id, expectedRevision: 0, tenant: acme)
        let second = try store.create(Interview(remoteID: "same"), requestID: "", tenant: acme).interview
        let page = try store.list(ListRequest(remoteIDs: ["same"], includeDeleted: true), tenant: acme)
        #expect(Set(page.interviews.map(\.id)) == [first.id, second.id])
        let result = try store.upsert([Interview(remoteID: "same", title: "t")], tenant: acme)
        #expect(result.results.first?.interview?.id == second.id)
        #expect(try store.list(ListRequest(remoteIDs: ["other"]), tenant: acme).interviews.isEmpty)
    }
}
