import InterviewsModel
import InterviewsRepository
import Testing

extension ConformanceCheck {
    static let crudChecks: [ConformanceCheck] = [
        ConformanceCheck(.crud, "create assigns the id, company, timestamps and revision 1 and ignores sent values") {
            repo in
            var input = Fixtures.full()
            input.id = "client-chosen"
            input.companyID = "globex"
            input.revision = 99
            input.deletedAt = Fixtures.time(hours: 1)
            input.createdAt = Fixtures.time(hours: 2)
            let created = try await repo.create(input, requestID: "", tenant: Tenants.acme)
            #expect(UUIDv7(created.id) != nil)
            #expect(created.companyID == "acme")
            #expect(created.revision == 1)
            #expect(created.deletedAt == nil)
            #expect(created.createdAt != nil && created.createdAt == created.updatedAt)
            #expect(created.createdAt != Fixtures.time(hours: 2))
            #expect(created.clientOwnedFields == Fixtures.full().clientOwnedFields)
        },
        ConformanceCheck(.crud, "get returns exactly what create stored, remote_data included") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let read = try await repo.get(id: created.id, includeDeleted: false, tenant: Tenants.acme)
            #expect(read == created)
            #expect(read.remoteData == Fixtures.full().remoteData)
        },
        ConformanceCheck(.crud, "ids and created_at increase with every create") { repo in
            var previous: Interview? = nil
            for n in 0..<50 {
                let created = try await repo.create(
                    Fixtures.plain(candidate: "c\(n)"), requestID: "", tenant: Tenants.acme)
                if let previous {
                    #expect(previous.id < created.id)
                    #expect(previous.createdAt! < created.createdAt!)
                }
                previous = created
            }
        },
        ConformanceCheck(.crud, "update copies only the masked fields and bumps revision and updated_at") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            var changes = Interview(id: created.id, title: "Renamed", status: .completed)
            changes.candidateID = "ignored-because-unmasked"
            let updated = try await repo.update(
                changes, mask: ["title", "status"], expectedRevision: 0, tenant: Tenants.acme)
            var expected = created
            expected.title = "Renamed"
            expected.status = .completed
            expected.revision = 2
            expected.updatedAt = updated.updatedAt
            #expect(updated == expected)
            #expect(updated.updatedAt! > created.updatedAt!)
            #expect(try await repo.get(id: created.id, includeDeleted: false, tenant: Tenants.acme) == updated)
        },
        ConformanceCheck(.crud, "update can clear a field by masking it with an empty value") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let updated = try await repo.update(
                Interview(id: created.id), mask: ["analysis", "custom_fields", "organizer", "start_at"],
                expectedRevision: 0, tenant: Tenants.acme)
            #expect(updated.analysis == nil)
            #expect(updated.customFields.isEmpty)
            #expect(updated.organizer == nil)
            #expect(updated.startAt == nil)
            #expect(updated.endAt == created.endAt)
        },
        ConformanceCheck(.crud, "an update that changes nothing keeps the revision") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let same = try await repo.update(
                created, mask: ["title", "job_id"], expectedRevision: 1, tenant: Tenants.acme)
            #expect(same == created)
        },
        ConformanceCheck(
            .crud, "delete is soft: hidden unless include_deleted, with deleted_at, revision and updated_at"
        ) {
            repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let before = try await repo.stats(tenant: Tenants.acme).lastSequence
            let deleted = try await repo.delete(id: created.id, expectedRevision: 0, tenant: Tenants.acme)
            #expect(deleted.revision == 2)
            #expect(deleted.deletedAt != nil && deleted.deletedAt == deleted.updatedAt)
            #expect(deleted.updatedAt! > created.updatedAt!)
            #expect(try await repo.stats(tenant: Tenants.acme).lastSequence > before)
            await expectFailure(.notFound) {
                try await repo.get(id: created.id, includeDeleted: false, tenant: Tenants.acme)
            }
            #expect(try await repo.get(id: created.id, includeDeleted: true, tenant: Tenants.acme) == deleted)
            #expect(try await repo.list(ListRequest(), tenant: Tenants.acme).interviews.isEmpty)
            let all = try await repo.list(
                ListRequest(includeDeleted: true, includeRemoteData: true), tenant: Tenants.acme)
            #expect(all.interviews == [deleted])
        },
        ConformanceCheck(.crud, "a deleted record cannot be updated or deleted again") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            _ = try await repo.delete(id: created.id, expectedRevision: 0, tenant: Tenants.acme)
            await expectFailure(.notFound) {
                try await repo.update(
                    Interview(id: created.id), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            }
            await expectFailure(.notFound) {
                try await repo.delete(id: created.id, expectedRevision: 0, tenant: Tenants.acme)
            }
        },
        ConformanceCheck(.crud, "an unknown id is NOT_FOUND for get, update and delete") { repo in
            for id in [UUIDv7.generate().description, "not-a-uuid", "0190b8a2-0000-7000-8000-00000000000A"] {
                await expectFailure(.notFound) {
                    try await repo.get(id: id, includeDeleted: true, tenant: Tenants.acme)
                }
                await expectFailure(.notFound) {
                    try await repo.update(Interview(id: id), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
                }
                await expectFailure(.notFound) {
                    try await repo.delete(id: id, expectedRevision: 0, tenant: Tenants.acme)
                }
            }
        },
        ConformanceCheck(.crud, "stats count live and deleted records and report the last sequence") { repo in
            let empty = try await repo.stats(tenant: Tenants.acme)
            #expect(empty.liveCount == 0 && empty.deletedCount == 0 && empty.lastSequence == 0 && empty.writable)
            var ids: [String] = []
            for n in 0..<5 {
                ids.append(try await repo.create(Fixtures.full(n), requestID: "", tenant: Tenants.acme).id)
            }
            _ = try await repo.delete(id: ids[0], expectedRevision: 0, tenant: Tenants.acme)
            let stats = try await repo.stats(tenant: Tenants.acme)
            #expect(stats.liveCount == 4 && stats.deletedCount == 1 && stats.lastSequence == 6)
        },
        ConformanceCheck(.crud, "remote_id is unique among the live records of a company") { repo in
            let first = try await repo.create(Fixtures.plain(remoteID: "r-1"), requestID: "", tenant: Tenants.acme)
            await expectFailure(
                .alreadyExists,
                "remote_id: \"r-1\" is already used by interview \(first.id); remote ids are unique per company"
            ) {
                try await repo.create(Fixtures.plain(remoteID: "r-1"), requestID: "", tenant: Tenants.acme)
            }
            let second = try await repo.create(Fixtures.plain(remoteID: "r-2"), requestID: "", tenant: Tenants.acme)
            await expectFailure(.alreadyExists) {
                try await repo.update(
                    Interview(id: second.id, remoteID: "r-1"), mask: ["remote_id"], expectedRevision: 0,
                    tenant: Tenants.acme)
            }
            _ = try await repo.create(Fixtures.plain(remoteID: "r-1"), requestID: "", tenant: Tenants.globex)
            _ = try await repo.delete(id: first.id, expectedRevision: 0, tenant: Tenants.acme)
            let reused = try await repo.create(Fixtures.plain(remoteID: "r-1"), requestID: "", tenant: Tenants.acme)
            #expect(reused.id != first.id)
        },
        ConformanceCheck(.crud, "scan delivers every match in order, in batches, and stops when asked") { repo in
            for n in 0..<25 {
                _ = try await repo.create(Fixtures.plain(candidate: "c\(n % 3)"), requestID: "", tenant: Tenants.acme)
            }
            let request = ListRequest(candidateIDs: ["c0", "c1"], orderBy: .createdAt, direction: .descending)
            let expected = try await repo.listAll(request, tenant: Tenants.acme)
            var seen: [Interview] = []
            var batches: [Int] = []
            try await repo.scan(request, tenant: Tenants.acme, batchSize: 4) { batch in
                seen += batch
                batches.append(batch.count)
                return true
            }
            #expect(seen.map(\.id) == expected.map(\.id))
            #expect(expected.count == 17)
            #expect(batches.allSatisfy { $0 <= 4 })
            var calls = 0
            try await repo.scan(request, tenant: Tenants.acme, batchSize: 4) { _ in
                calls += 1
                return false
            }
            #expect(calls == 1)
        },
    ]

    static let tenancyChecks: [ConformanceCheck] = [
        ConformanceCheck(.tenancy, "another tenant's record is NOT_FOUND for get, update and delete") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            await expectFailure(.notFound) {
                try await repo.get(id: created.id, includeDeleted: true, tenant: Tenants.globex)
            }
            await expectFailure(.notFound) {
                try await repo.update(
                    Interview(id: created.id, title: "x"), mask: ["title"], expectedRevision: 0, tenant: Tenants.globex)
            }
            await expectFailure(.notFound) {
                try await repo.delete(id: created.id, expectedRevision: 0, tenant: Tenants.globex)
            }
            #expect(try await repo.get(id: created.id, includeDeleted: false, tenant: Tenants.acme) == created)
        },
        ConformanceCheck(.tenancy, "lists, stats and the change feed never show another tenant's records") { repo in
            for n in 0..<3 { _ = try await repo.create(Fixtures.full(n), requestID: "", tenant: Tenants.acme) }
            let mine = try await repo.create(Fixtures.full(9), requestID: "", tenant: Tenants.globex)
            let page = try await repo.list(ListRequest(includeDeleted: true), tenant: Tenants.globex)
            #expect(page.interviews.map(\.id) == [mine.id] && page.totalSize == 1)
            let byID = try await repo.list(ListRequest(ids: [mine.id]), tenant: Tenants.acme)
            #expect(byID.interviews.isEmpty && byID.totalSize == 0)
            let byRemote = try await repo.list(ListRequest(remoteIDs: ["remote-9"]), tenant: Tenants.acme)
            #expect(byRemote.totalSize == 0)
            let stats = try await repo.stats(tenant: Tenants.globex)
            #expect(stats.liveCount == 1 && stats.deletedCount == 0)
            let changes = try await repo.changes(after: 0, limit: 100, tenant: Tenants.globex)
            #expect(changes.changes.map(\.interview.id) == [mine.id])
            #expect(try await repo.stats(tenant: Tenant("initech")).liveCount == 0)
        },
        ConformanceCheck(.tenancy, "upserts match remote ids within the tenant only") { repo in
            let a = try await repo.upsert([Fixtures.plain(remoteID: "shared")], tenant: Tenants.acme)
            let b = try await repo.upsert([Fixtures.plain(remoteID: "shared")], tenant: Tenants.globex)
            #expect(a[0].outcome == .created && b[0].outcome == .created)
            #expect(a[0].interview?.id != b[0].interview?.id)
            #expect(b[0].interview?.companyID == "globex")
        },
        ConformanceCheck(.tenancy, "a page token of one tenant is INVALID_ARGUMENT for another") { repo in
            for n in 0..<3 {
                _ = try await repo.create(Fixtures.plain(), requestID: "", tenant: Tenants.acme)
                _ = try await repo.create(Fixtures.plain(candidate: "\(n)"), requestID: "", tenant: Tenants.globex)
            }
            let page = try await repo.list(ListRequest(pageSize: 1), tenant: Tenants.acme)
            await expectInvalid(field: "page_token") {
                try await repo.list(ListRequest(pageSize: 1, pageToken: page.nextPageToken), tenant: Tenants.globex)
            }
        },
    ]

    static let revisionChecks: [ConformanceCheck] = [
        ConformanceCheck(.revisions, "the revision grows by one with every change") { repo in
            var record = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            for n in 1...5 {
                record.title = "v\(n)"
                let updated = try await repo.update(
                    record, mask: ["title"], expectedRevision: record.revision, tenant: Tenants.acme)
                #expect(updated.revision == record.revision + 1)
                record = updated
            }
            let deleted = try await repo.delete(id: record.id, expectedRevision: record.revision, tenant: Tenants.acme)
            #expect(deleted.revision == 7)
        },
        ConformanceCheck(.revisions, "a stale expected revision is FAILED_PRECONDITION and changes nothing") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            _ = try await repo.update(
                Interview(id: created.id, title: "new"), mask: ["title"], expectedRevision: 1, tenant: Tenants.acme)
            await expectFailure(
                .failedPrecondition,
                "expected_revision: 1 does not match the stored revision 2; read the interview again and retry"
            ) {
                try await repo.update(
                    Interview(id: created.id, title: "lost"), mask: ["title"], expectedRevision: 1, tenant: Tenants.acme
                )
            }
            await expectFailure(.failedPrecondition) {
                try await repo.delete(id: created.id, expectedRevision: 1, tenant: Tenants.acme)
            }
            let stored = try await repo.get(id: created.id, includeDeleted: false, tenant: Tenants.acme)
            #expect(stored.title == "new" && stored.revision == 2)
        },
        ConformanceCheck(.revisions, "concurrent updates with the same expected revision: exactly one wins") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for n in 0..<8 {
                    group.addTask {
                        do {
                            _ = try await repo.update(
                                Interview(id: created.id, title: "t\(n)"), mask: ["title"], expectedRevision: 1,
                                tenant: Tenants.acme)
                            return true
                        } catch let error as any StatusError where error.code == .failedPrecondition {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
        },
    ]

    static let idempotencyChecks: [ConformanceCheck] = [
        ConformanceCheck(.idempotency, "a retried create with the same request id returns the first record") { repo in
            let first = try await repo.create(Fixtures.full(), requestID: "req-1", tenant: Tenants.acme)
            let retry = try await repo.create(Fixtures.full(), requestID: "req-1", tenant: Tenants.acme)
            #expect(retry == first)
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 1)
            #expect(try await repo.stats(tenant: Tenants.acme).lastSequence == 1)
        },
        ConformanceCheck(.idempotency, "a retry after an update returns the same record as it is now") { repo in
            let first = try await repo.create(Fixtures.full(), requestID: "req-1", tenant: Tenants.acme)
            let updated = try await repo.update(
                Interview(id: first.id, title: "later"), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            let retry = try await repo.create(Fixtures.full(), requestID: "req-1", tenant: Tenants.acme)
            #expect(retry == updated)
        },
        ConformanceCheck(.idempotency, "the same request id with different fields is ALREADY_EXISTS") { repo in
            _ = try await repo.create(Fixtures.full(1), requestID: "req-1", tenant: Tenants.acme)
            await expectFailure(
                .alreadyExists,
                "request_id: \"req-1\" was already used for a create with different fields; use a new request_id for a new interview"
            ) {
                try await repo.create(Fixtures.full(2), requestID: "req-1", tenant: Tenants.acme)
            }
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 1)
        },
        ConformanceCheck(.idempotency, "request ids are per tenant, and creates without one are never merged") { repo in
            let a = try await repo.create(Fixtures.full(), requestID: "req-1", tenant: Tenants.acme)
            let b = try await repo.create(Fixtures.full(), requestID: "req-1", tenant: Tenants.globex)
            #expect(a.id != b.id)
            _ = try await repo.create(Fixtures.plain(), requestID: "", tenant: Tenants.acme)
            _ = try await repo.create(Fixtures.plain(), requestID: "", tenant: Tenants.acme)
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 3)
        },
        ConformanceCheck(.idempotency, "concurrent retries of one create make one record") { repo in
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await repo.create(Fixtures.full(), requestID: "req-c", tenant: Tenants.acme).id
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 1)
        },
    ]

    static let upsertChecks: [ConformanceCheck] = [
        ConformanceCheck(.upsert, "upsert reports created, updated and unchanged per item, in order") { repo in
            let first = try await repo.upsert([Fixtures.full(1), Fixtures.full(2)], tenant: Tenants.acme)
            #expect(first.map(\.outcome) == [.created, .created])
            #expect(first.map(\.index) == [0, 1])
            var changed = Fixtures.full(2)
            changed.title = "changed"
            let second = try await repo.upsert([Fixtures.full(1), changed, Fixtures.full(3)], tenant: Tenants.acme)
            #expect(second.map(\.outcome) == [.unchanged, .updated, .created])
            #expect(second[0].interview == first[0].interview)
            #expect(second[1].interview?.id == first[1].interview?.id)
            #expect(second[1].interview?.revision == 2 && second[1].interview?.title == "changed")
            #expect(second.allSatisfy { $0.interview?.remoteData.isEmpty == true })
            let stored = try await repo.get(id: second[1].interview!.id, includeDeleted: false, tenant: Tenants.acme)
            #expect(stored.remoteData == Fixtures.full(2).remoteData)
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 3)
        },
        ConformanceCheck(.upsert, "server-owned fields of an item are ignored when comparing") { repo in
            let created = try await repo.upsert([Fixtures.full(1)], tenant: Tenants.acme)
            var item = Fixtures.full(1)
            item.id = "whatever"
            item.revision = 42
            item.createdAt = Fixtures.time(hours: 3)
            item.companyID = "globex"
            let again = try await repo.upsert([item], tenant: Tenants.acme)
            #expect(again[0].outcome == .unchanged)
            #expect(again[0].interview == created[0].interview)
        },
        ConformanceCheck(.upsert, "an item without remote_id or with a bad field fails alone") { repo in
            var bad = Fixtures.full(3)
            bad.title = String(repeating: "x", count: InterviewLimits.maxTitleBytes + 1)
            let results = try await repo.upsert(
                [Fixtures.full(1), Fixtures.plain(), bad, Fixtures.full(2)], tenant: Tenants.acme)
            #expect(results.map(\.outcome) == [.created, .error, .error, .created])
            #expect(results[1].errorCode == StatusCode.invalidArgument.rawValue)
            #expect(
                results[1].errorMessage == "remote_id: is empty; every upsert item must carry the source system's id")
            #expect(results[1].interview == nil)
            #expect(results[2].errorMessage == "title: is 1025 bytes; must be at most 1024")
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 2)
        },
        ConformanceCheck(.upsert, "the same remote id twice in one batch creates then updates") { repo in
            var second = Fixtures.full(1)
            second.status = .completed
            let results = try await repo.upsert([Fixtures.full(1), second, second], tenant: Tenants.acme)
            #expect(results.map(\.outcome) == [.created, .updated, .unchanged])
            #expect(Set(results.compactMap { $0.interview?.id }).count == 1)
        },
        ConformanceCheck(.upsert, "a deleted record is matched, updated and stays deleted") { repo in
            let first = try await repo.upsert([Fixtures.full(1)], tenant: Tenants.acme)
            let id = try #require(first[0].interview?.id)
            _ = try await repo.delete(id: id, expectedRevision: 0, tenant: Tenants.acme)
            var changed = Fixtures.full(1)
            changed.title = "Changed at the source"
            let again = try await repo.upsert([changed], tenant: Tenants.acme)
            #expect(again[0].outcome == .updated)
            #expect(again[0].interview?.id == id)
            #expect(again[0].interview?.deletedAt != nil, "an upsert never undoes a deletion")
            let stored = try await repo.get(id: id, includeDeleted: true, tenant: Tenants.acme)
            #expect(stored.title == "Changed at the source" && stored.deletedAt != nil)
            #expect(try await repo.upsert([changed], tenant: Tenants.acme)[0].outcome == .unchanged)
            let live = try await repo.list(ListRequest(remoteIDs: [changed.remoteID]), tenant: Tenants.acme)
            #expect(live.interviews.isEmpty)
            let all = try await repo.list(
                ListRequest(remoteIDs: [changed.remoteID], includeDeleted: true), tenant: Tenants.acme)
            #expect(all.interviews.map(\.id) == [id], "no second record with the remote id")
        },
        ConformanceCheck(.upsert, "after a deletion, a create may take the remote id; upserts then match the live one")
        {
            repo in
            let first = try await repo.create(Fixtures.full(1), requestID: "", tenant: Tenants.acme)
            _ = try await repo.delete(id: first.id, expectedRevision: 0, tenant: Tenants.acme)
            let second = try await repo.create(Fixtures.full(1), requestID: "", tenant: Tenants.acme)
            var changed = Fixtures.full(1)
            changed.title = "Newer"
            let results = try await repo.upsert([changed], tenant: Tenants.acme)
            #expect(results[0].outcome == .updated && results[0].interview?.id == second.id)
            #expect(results[0].interview?.deletedAt == nil)
            let old = try await repo.get(id: first.id, includeDeleted: true, tenant: Tenants.acme)
            #expect(old.title == Fixtures.full(1).title, "the deleted one is left alone")
        },
        ConformanceCheck(.upsert, "an item with deleted_at deletes its live match and creates deleted records") {
            repo in
            var item = Fixtures.full(1)
            let created = try await repo.upsert([item], tenant: Tenants.acme)
            item.deletedAt = Fixtures.time(hours: 1)
            let deleted = try await repo.upsert([item], tenant: Tenants.acme)
            #expect(deleted[0].outcome == .updated && deleted[0].interview?.id == created[0].interview?.id)
            let when = try #require(deleted[0].interview?.deletedAt)
            #expect(when == deleted[0].interview?.updatedAt, "deleted_at is the server's time of the deletion")
            #expect(try await repo.upsert([item], tenant: Tenants.acme)[0].outcome == .unchanged)

            var fresh = Fixtures.full(2)
            fresh.deletedAt = Fixtures.time(hours: 1)
            let made = try await repo.upsert([fresh], tenant: Tenants.acme)
            #expect(made[0].outcome == .created)
            let record = try #require(made[0].interview)
            #expect(record.deletedAt != nil && record.revision == 2, "created, then deleted")
            #expect(try await repo.upsert([fresh], tenant: Tenants.acme)[0].outcome == .unchanged)
            #expect(try await repo.stats(tenant: Tenants.acme).liveCount == 0)
            await #expect(throws: InterviewsError.self) {
                _ = try await repo.get(id: record.id, includeDeleted: false, tenant: Tenants.acme)
            }
        },
        ConformanceCheck(.upsert, "an empty batch returns no results") { repo in
            let results = try await repo.upsert([], tenant: Tenants.acme)
            #expect(results.isEmpty)
        },
    ]
}
