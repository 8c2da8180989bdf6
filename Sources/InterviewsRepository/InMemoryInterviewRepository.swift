public import InterviewsModel
import Synchronization

/// The in-memory backend: an ``InterviewStore`` behind a `Mutex`, and a
/// ``ChangeNotifier`` for watchers. Safe to share between tasks; the lock is
/// never held across an `await`, and a call holds it only for its own
/// in-memory work (see ``InterviewStore/list(_:tenant:)`` for list costs).
///
/// Nothing survives the process. Bounds (documented defaults): 100 000
/// changes of history for the watch feed; 100 000 request ids per store,
/// each honoured for 24 hours, for idempotent creates.
public final class InMemoryInterviewRepository: InterviewRepository, EncodedInterviewReads {
    let store: Mutex<InterviewStore>
    private let notifier = ChangeNotifier()

    /// A new random epoch for every repository: nothing survives the process,
    /// so the sequences of a restarted server are those of another store.
    public let storeEpoch = StoreEpoch.random()

    /// An empty repository with the default bounds.
    public convenience init() {
        self.init(configuration: InterviewStore.Configuration())
    }

    /// An empty repository with the given bounds.
    package init(configuration: InterviewStore.Configuration) {
        store = Mutex(InterviewStore(configuration: configuration))
    }

    /// Stores a new record; see ``InterviewRepository/create(_:requestID:tenant:)``.
    /// A retry with the same request id and the same fields within 24 hours
    /// returns the first call's record as it is now; the same request id with
    /// different fields is ALREADY_EXISTS.
    public func create(_ interview: Interview, requestID: String, tenant: Tenant) async throws -> Interview {
        let write = try store.withLock { store throws(InterviewsError) in
            try store.create(interview, requestID: requestID, tenant: tenant)
        }
        publish(write.changes)
        return write.interview
    }

    /// The record with `id`; see ``InterviewRepository/get(id:includeDeleted:tenant:)``.
    public func get(id: String, includeDeleted: Bool, tenant: Tenant) async throws -> Interview {
        try getNonblocking(id: id, includeDeleted: includeDeleted, tenant: tenant)
    }

    /// The record with `id`, read under the lock; see ``NonblockingInterviewReads``.
    public func getNonblocking(id: String, includeDeleted: Bool, tenant: Tenant) throws(InterviewsError)
        -> Interview
    {
        try store.withLock { store throws(InterviewsError) in
            try store.get(id: id, includeDeleted: includeDeleted, tenant: tenant)
        }
    }

    /// The record with `id` as its stored encoding; see ``EncodedInterviewReads``.
    public func getEncoded(id: String, includeDeleted: Bool, includeRemoteData: Bool, tenant: Tenant)
        throws(InterviewsError) -> EncodedInterview
    {
        try store.withLock { store throws(InterviewsError) in
            try store.getEncoded(
                id: id, includeDeleted: includeDeleted, includeRemoteData: includeRemoteData, tenant: tenant)
        }
    }

    /// One page of stored encodings; see ``EncodedInterviewReads``.
    public func listEncoded(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> EncodedPage {
        try store.withLock { store throws(InterviewsError) in try store.listEncoded(request, tenant: tenant) }
    }

    /// Applies a masked update; see ``InterviewRepository/update(_:mask:expectedRevision:tenant:)``.
    public func update(_ changes: Interview, mask: [String], expectedRevision: UInt64, tenant: Tenant) async throws
        -> Interview
    {
        let write = try store.withLock { store throws(InterviewsError) in
            try store.update(changes, mask: mask, expectedRevision: expectedRevision, tenant: tenant)
        }
        publish(write.changes)
        return write.interview
    }

    /// Soft-deletes; see ``InterviewRepository/delete(id:expectedRevision:tenant:)``.
    public func delete(id: String, expectedRevision: UInt64, tenant: Tenant) async throws -> Interview {
        let write = try store.withLock { store throws(InterviewsError) in
            try store.delete(id: id, expectedRevision: expectedRevision, tenant: tenant)
        }
        publish(write.changes)
        return write.interview
    }

    /// Upserts by remote_id; see ``InterviewRepository/upsert(_:tenant:)``.
    public func upsert(_ interviews: [Interview], tenant: Tenant) async throws -> [UpsertResult] {
        let write = try store.withLock { store throws(InterviewsError) in
            try store.upsert(interviews, tenant: tenant)
        }
        publish(write.changes)
        return write.results
    }

    /// One page; see ``InterviewRepository/list(_:tenant:)`` and
    /// ``InterviewStore/list(_:tenant:)`` for the cost of each filter shape.
    public func list(_ request: ListRequest, tenant: Tenant) async throws -> Page {
        try listNonblocking(request, tenant: tenant)
    }

    /// One page, read under the lock; see ``NonblockingInterviewReads``.
    public func listNonblocking(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> Page {
        try store.withLock { store throws(InterviewsError) in try store.list(request, tenant: tenant) }
    }

    /// Every match in batches of `batchSize` (clamped to 1...1000), each read
    /// under the lock and handed to `body` outside it. Keyset-based like
    /// page tokens: concurrent writes never make it skip or repeat a record
    /// that exists throughout.
    public func scan(
        _ request: ListRequest, tenant: Tenant, batchSize: Int, _ body: ([Interview]) async throws -> Bool
    ) async throws {
        try await InterviewStore.scanInBatches(
            batchSize: batchSize,
            read: { after, limit throws(InterviewsError) in
                try store.withLock { store throws(InterviewsError) in
                    try store.scanBatch(request, tenant: tenant, after: after, limit: limit)
                }
            }, body)
    }

    /// ``scan(_:tenant:batchSize:_:)`` with the records as stored encodings;
    /// see ``EncodedInterviewReads``.
    public func scanEncoded(
        _ request: ListRequest, tenant: Tenant, batchSize: Int, _ body: ([EncodedInterview]) async throws -> Bool
    ) async throws {
        try await InterviewStore.scanInBatches(
            batchSize: batchSize,
            read: { after, limit throws(InterviewsError) in
                try store.withLock { store throws(InterviewsError) in
                    try store.scanBatchEncoded(request, tenant: tenant, after: after, limit: limit)
                }
            }, body)
    }

    /// Changes after `sequence`; see ``InterviewRepository/changes(after:limit:tenant:)``.
    public func changes(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> ChangeBatch {
        try store.withLock { store throws(InterviewsError) in
            try store.changes(after: sequence, limit: limit, tenant: tenant)
        }
    }

    /// ``changes(after:limit:tenant:)`` with the records as stored encodings;
    /// see ``EncodedInterviewReads``.
    public func encodedChanges(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> EncodedChangeBatch {
        try store.withLock { store throws(InterviewsError) in
            try store.encodedChanges(after: sequence, limit: limit, tenant: tenant)
        }
    }

    /// Waits for a sequence after `sequence`; see ``InterviewRepository/waitForChanges(after:)``.
    public func waitForChanges(after sequence: UInt64) async throws -> UInt64 {
        try await notifier.wait(after: sequence)
    }

    /// Counts; see ``InterviewRepository/stats(tenant:)``.
    public func stats(tenant: Tenant) async throws -> RepositoryStats {
        try store.withLock { store throws(InterviewsError) in
            try InterviewValidation.validateCompanyID(tenant.companyID)
            return store.stats(tenant: tenant)
        }
    }

    private func publish(_ changes: [CommittedChange]) {
        if let last = changes.last { notifier.publish(last.change.sequence) }
    }
}
