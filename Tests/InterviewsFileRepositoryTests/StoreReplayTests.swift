import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import Testing

@testable import InterviewsFileRepository

/// Replay scans records in batches, in chunks on several threads, and
/// applies log changes in order: these tests use batches of 1 000 records
/// and chunks of 128 (a server's are 16 384 and 2 048) and cross both.
@Suite("Replay in batches rebuilds the store it was written from")
struct StoreReplayTests {
    static let tenants = [Tenant("acme"), Tenant("globex"), Tenant("initech")]

    /// A store after `count` creates (some with request ids) in three
    /// tenants, an update of every third and a delete of every seventh, and
    /// the log records of those changes in sequence order.
    static func written(_ count: Int) throws -> (store: InterviewStore, log: [LogRecord]) {
        var store = InterviewStore()
        var log: [LogRecord] = []
        func record(_ write: StoreWrite) throws {
            for committed in write.changes {
                let entry = try LogRecordCoding.entry(for: committed)
                log.append(LogRecord(sequence: committed.change.sequence, kind: entry.kind, data: entry.data))
            }
        }
        for n in 0..<count {
            let tenant = tenants[n % 3]
            let write = try store.create(
                Interview(
                    remoteID: "r\(n)", candidateID: "c\(n % 11)", jobID: "j\(n % 5)",
                    startAt: Timestamp(seconds: Int64(n % 997)), status: .scheduled),
                requestID: n % 9 == 0 ? "req-\(n)" : "", tenant: tenant)
            try record(write)
            let created = write.interview
            if n % 3 == 0 {
                var changes = Interview(id: created.id)
                changes.status = .completed
                try record(try store.update(changes, mask: ["status"], expectedRevision: 0, tenant: tenant))
            }
            if n % 7 == 0 { try record(try store.delete(id: created.id, expectedRevision: 0, tenant: tenant)) }
        }
        return (store, log)
    }

    /// The snapshot records of `store`, as compaction writes them.
    static func snapshotRecords(_ store: InterviewStore) -> [LogRecord] {
        let snapshot = store.snapshot()
        let through = snapshot.lastSequence
        return [
            LogRecordCoding.snapshotHeader(
                sequence: through, records: snapshot.records.count, entries: snapshot.idempotencyEntries.count)
        ] + snapshot.records.map { LogRecordCoding.snapshotRecord($0, sequence: through) }
            + snapshot.idempotencyEntries.map { LogRecordCoding.idempotencyRecord($0, sequence: through) }
    }

    static func replayed(_ records: [LogRecord]) throws(InterviewsError) -> InterviewStore {
        var replay = StoreReplay(configuration: InterviewStore.Configuration(), scanBatch: 1000, scanChunk: 128)
        for record in records { try replay.consume(record) }
        return try replay.finish()
    }

    /// Pages and counts of every tenant, page tokens left out (each store signs its own).
    static func shown(_ store: InterviewStore) throws -> [String] {
        var shown: [String] = []
        for tenant in tenants {
            for request in [
                ListRequest(pageSize: 50, orderBy: .startAt, direction: .descending),
                ListRequest(candidateIDs: ["c4"], statuses: [.completed], includeDeleted: true, pageSize: 50),
                ListRequest(jobID: "j2", page: 4, pageSize: 20, orderBy: .updatedAt),
            ] {
                let page = try store.list(request, tenant: tenant)
                shown += page.interviews.map(\.id) + ["\(page.totalSize)"]
            }
            shown.append("\(store.stats(tenant: tenant))")
        }
        return shown
    }

    @Test("a log of 3.9k changes and a snapshot of 3k records replay to the same records, pages and request ids")
    func logAndSnapshot() throws {
        let (store, log) = try Self.written(3000)
        #expect(log.count > 3 * 1000 + 128)
        let fromLog = try Self.replayed(log)
        #expect(fromLog.snapshot() == store.snapshot())
        #expect(try Self.shown(fromLog) == Self.shown(store))

        let snapshot = Self.snapshotRecords(store)
        #expect(snapshot.count > 2 * 1000 + 128)
        let fromSnapshot = try Self.replayed(snapshot)
        #expect(fromSnapshot.snapshot() == store.snapshot())
        #expect(try Self.shown(fromSnapshot) == Self.shown(store))

        // A snapshot followed by more log changes: both batches in one replay.
        var more = store
        var extra: [LogRecord] = []
        for n in 0..<1500 {
            let write = try more.create(Interview(remoteID: "x\(n)"), requestID: "", tenant: Self.tenants[n % 3])
            for committed in write.changes {
                let entry = try LogRecordCoding.entry(for: committed)
                extra.append(LogRecord(sequence: committed.change.sequence, kind: entry.kind, data: entry.data))
            }
        }
        let both = try Self.replayed(snapshot + extra)
        #expect(both.snapshot() == more.snapshot())
    }

    @Test("a record that does not scan, late in a batch, is DATA_LOSS naming its sequence", arguments: [false, true])
    func damagedRecordNamed(inSnapshot: Bool) throws {
        let (store, log) = try Self.written(2500)
        var records = inSnapshot ? Self.snapshotRecords(store) : log
        // A string field whose length runs past the end: the 3rd batch, 6th chunk.
        let victim = 2 * 1000 + 5 * 128 + 17
        let damaged = records[victim]
        records[victim] = LogRecord(sequence: damaged.sequence, kind: damaged.kind, data: damaged.data + [0x22, 0x7F])
        let error = try #require(throws: InterviewsError.self) { try Self.replayed(records) }
        #expect(error.code == .dataLoss)
        #expect(error.message.contains("record \(damaged.sequence) "), "\(error.message)")
    }

    @Test("a change logged as another kind than it replays as, in a later batch, is DATA_LOSS naming it")
    func wrongKindNamed() throws {
        var (_, log) = try Self.written(2000)
        let victim = try #require(log.indices.last { log[$0].kind == RecordKind.updated.rawValue })
        #expect(victim > 2 * 1000)
        let record = log[victim]
        log[victim] = LogRecord(sequence: record.sequence, kind: RecordKind.deleted.rawValue, data: record.data)
        let error = try #require(throws: InterviewsError.self) { try Self.replayed(log) }
        #expect(error.code == .dataLoss)
        #expect(error.message.contains("record \(record.sequence) "), "\(error.message)")
        #expect(error.message.contains("logged as deleted but replays as updated"), "\(error.message)")
    }
}
