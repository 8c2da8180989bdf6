import InterviewsModel
import InterviewsRepository
import Testing

extension ConformanceCheck {
    static let changeChecks: [ConformanceCheck] = [
        ConformanceCheck(.changes, "every write appends one change, in sequence order, with its kind and record") {
            repo in
            let created = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            let updated = try await repo.update(
                Interview(id: created.id, title: "x"), mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            let deleted = try await repo.delete(id: created.id, expectedRevision: 0, tenant: Tenants.acme)
            let upserted = try await repo.upsert([Fixtures.full(2)], tenant: Tenants.acme)
            let batch = try await repo.changes(after: 0, limit: 100, tenant: Tenants.acme)
            #expect(!batch.truncated)
            #expect(batch.changes.map(\.sequence) == [1, 2, 3, 4])
            #expect(batch.changes.map(\.kind) == [.created, .updated, .deleted, .created])
            #expect(batch.changes.prefix(3).map(\.interview) == [created, updated, deleted])
            #expect(batch.changes[3].interview.id == upserted[0].interview?.id)
        },
        ConformanceCheck(.changes, "changes honour after and limit") { repo in
            for n in 0..<6 { _ = try await repo.create(Fixtures.full(n), requestID: "", tenant: Tenants.acme) }
            let batch = try await repo.changes(after: 2, limit: 3, tenant: Tenants.acme)
            #expect(batch.changes.map(\.sequence) == [3, 4, 5])
            #expect(try await repo.changes(after: 6, limit: 10, tenant: Tenants.acme).changes.isEmpty)
        },
        ConformanceCheck(.changes, "retries, unchanged upserts and no-op updates append nothing") { repo in
            let created = try await repo.create(Fixtures.full(), requestID: "req", tenant: Tenants.acme)
            _ = try await repo.create(Fixtures.full(), requestID: "req", tenant: Tenants.acme)
            _ = try await repo.upsert([Fixtures.full()], tenant: Tenants.acme)
            _ = try await repo.update(created, mask: ["title"], expectedRevision: 0, tenant: Tenants.acme)
            #expect(try await repo.stats(tenant: Tenants.acme).lastSequence == 1)
        },
        ConformanceCheck(.changes, "a sync by updated_after with include_deleted sees every change, deletions too") {
            repo in
            let fixture = try await ListFixture.make(repo)
            let mark = try await repo.list(
                ListRequest(includeDeleted: true, pageSize: 1, orderBy: .updatedAt, direction: .descending),
                tenant: Tenants.acme)
            let since = mark.interviews[0].updatedAt!
            let victim = fixture.created[5]
            let deleted = try await repo.delete(id: victim.id, expectedRevision: 0, tenant: Tenants.acme)
            let changed = try await repo.update(
                Interview(id: fixture.created[6].id, title: "z"), mask: ["title"], expectedRevision: 0,
                tenant: Tenants.acme)
            let sync = try await repo.listAll(
                ListRequest(updatedAfter: since, includeDeleted: true, orderBy: .updatedAt, includeRemoteData: true),
                tenant: Tenants.acme)
            #expect(sync.map(\.id) == [mark.interviews[0].id, deleted.id, changed.id])
            #expect(sync[1].deletedAt != nil)
        },
        ConformanceCheck(.changes, "waitForChanges returns at once when the store is already past the sequence") {
            repo in
            _ = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
            #expect(try await repo.waitForChanges(after: 0) == 1)
        },
        ConformanceCheck(.changes, "waitForChanges wakes when a write commits") { repo in
            let waiter = Task { try await repo.waitForChanges(after: 0) }
            try await Task.sleep(for: .milliseconds(20))
            _ = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.globex)
            #expect(try await waiter.value == 1)
        },
        ConformanceCheck(.changes, "a cancelled wait ends with CancellationError") { repo in
            let waiter = Task { try await repo.waitForChanges(after: 0) }
            try await Task.sleep(for: .milliseconds(20))
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            let early = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await repo.waitForChanges(after: 5)
            }
            await #expect(throws: CancellationError.self) { try await early.value }
        },
        ConformanceCheck(.changes, "many waiters all wake on one commit") { repo in
            let total = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<50 { group.addTask { try await repo.waitForChanges(after: 0) } }
                try await Task.sleep(for: .milliseconds(20))
                _ = try await repo.create(Fixtures.full(), requestID: "", tenant: Tenants.acme)
                return try await group.reduce(0, +)
            }
            #expect(total == 50)
        },
    ]
}
