import Glibc
public import InterviewsFileStore
public import InterviewsModel
public import InterviewsRepository
import Synchronization

/// The durable backend: every change is a record in a ``DurableLog`` in the
/// data directory, and one ``InterviewStore`` engine in memory serves it.
///
/// - Writes run against the store (validation, ids, revisions, uniqueness,
///   idempotency) and submit their changes to the log under the same lock, so
///   store and log number changes alike. The store stages them: later writes
///   see them, reads do not.
/// - Once the log has synced them, the store publishes them (records, index,
///   change feed): every read, the change feed and the stats see durable
///   changes only, from the one copy of the records and the index.
///
/// A write returns only once its changes are durable (`fdatasync` covered
/// them; concurrent writes share one sync), and publishes them before it
/// returns: a change is visible to readers exactly when it is
/// acknowledged or just before (another write's sync may cover it first), never
/// while it could still be lost. An answer that commits nothing (an idempotent
/// retry, an update that changes nothing, an error) also waits until the state
/// it was computed from is durable.
///
/// **Fail-stop.** Once the log fails (EIO, ENOSPC, ...), every write throws
/// UNAVAILABLE with the OS error text, reads keep working from the store
/// (which never published the unacknowledged changes), and
/// ``stats(tenant:)`` reports `writable == false`. Restart to write again.
///
/// The data directory holds the log's files (see docs/STORAGE.md) and
/// `store.secret`, the key page tokens are signed with, so tokens survive a
/// restart. Compaction runs when ``runCompaction(checkEvery:onCompaction:)``
/// (or ``compact()``) is called; nothing runs in the background otherwise.
///
/// Reference type: it owns the open log (the directory lock, the writer
/// thread). Call ``close()`` when done.
public final class FileInterviewRepository: InterviewRepository, EncodedInterviewReads {
    private struct State: Sendable {
        /// Every submitted change; reads see the durable ones (published).
        var store: InterviewStore
        /// The newest submit; its sequences end at `store.lastSequence`.
        var lastSubmitted: PendingAppend?
        var closed = false
        /// Set when store and log disagree (a bug): writes are refused.
        var broken: InterviewsError?
        /// Distinct interviews, live or deleted.
        var recordCount: Int
        /// Records in the newest snapshot that are not interviews (header, request ids).
        var snapshotOverhead: SnapshotOverhead
        /// Records on disk: the snapshot's and the log's after it.
        var diskRecords: Int
        var compacting = false
    }

    private let log: DurableLog
    private let options: FileRepositoryOptions
    private let state: Mutex<State>
    private let notifier: ChangeNotifier

    /// The data directory.
    public let directory: String

    /// The store's epoch, kept in `store.epoch` in the data directory (created
    /// with the store, the same after every restart).
    public let storeEpoch: UInt64

    /// What opening found: snapshot, records replayed, a torn tail cut, a repair.
    public var recovery: RecoveryReport { log.recovery }

    private init(
        directory: String, epoch: UInt64, log: DurableLog, options: FileRepositoryOptions, store: InterviewStore,
        replay: StoreReplay
    ) {
        self.directory = directory
        self.storeEpoch = epoch
        self.log = log
        self.options = options
        let recovery = log.recovery
        var store = store
        store.publishesOnWrite = false
        state = Mutex(
            State(
                store: store, recordCount: replay.recordCount,
                snapshotOverhead: replay.snapshotOverhead,
                diskRecords: recovery.snapshotRecords + recovery.logRecords))
        notifier = ChangeNotifier(lastSequence: store.lastSequence)
    }

    /// Opens the repository in `directory` (created with mode 0700 when
    /// missing and `options.log.createDirectory`), replaying the newest
    /// snapshot and every later log record.
    ///
    /// - Parameters:
    ///   - directory: The data directory; only one process may open it at a time.
    ///   - options: Repair, log bounds, compaction policy, feed and idempotency bounds.
    ///   - io: The log's file calls; tests pass a ``FaultInjectingFileIO``.
    /// - Throws: ``InterviewsError``: FAILED_PRECONDITION naming the directory
    ///   and the pid holding it; DATA_LOSS naming the file and byte offset of
    ///   damage (unless `options.log.repair`), or the sequence of a record
    ///   that does not decode; UNAVAILABLE with the OS error when a file call fails.
    /// - Complexity: O(n log n) in the records replayed; reads every byte once.
    public static func open(
        directory: String, options: FileRepositoryOptions = FileRepositoryOptions(), io: any FileIO = PosixFileIO()
    ) throws -> FileInterviewRepository {
        if options.log.createDirectory, mkdir(directory, 0o700) != 0, errno != EEXIST {
            let code = errno
            throw InterviewsError(
                .unavailable, "creating directory \(directory) failed: \(String(cString: strerror(code)))")
        }
        let secret = try StoreSecret.load(directory: directory)
        let epoch = try StoreEpochFile.load(directory: directory)
        let configuration = InterviewStore.Configuration(
            changeHistoryLimit: options.changeHistoryLimit, idempotencyLimit: options.idempotencyLimit,
            idempotencyWindowSeconds: options.idempotencyWindowSeconds, tokenSecret: secret)
        var replay = StoreReplay(configuration: configuration)
        let log = try DurableLog.open(
            directory: directory, options: options.log, io: io,
            discard: { replay = StoreReplay(configuration: configuration) },
            replay: { record in try replay.consume(record) })
        let store = try replay.finish()
        guard store.lastSequence == log.recovery.lastSequence else {
            throw InterviewsError(
                .dataLoss,
                "\(directory): the records replay to sequence \(store.lastSequence) but the log ends at \(log.recovery.lastSequence)"
            )
        }
        if let names = try? io.listDirectory(directory) {
            StoreSecret.removeLeftovers(directory: directory, names: names)
        }
        return FileInterviewRepository(
            directory: directory, epoch: epoch, log: log, options: options, store: store, replay: replay)
    }

    /// Stops accepting writes, waits until every submitted change is durable
    /// (or failed) and a running compaction has finished, then closes the log
    /// and releases the directory. Reads keep answering from memory; writes
    /// throw FAILED_PRECONDITION. Calling it again does nothing.
    public func close() async {
        state.withLock { $0.closed = true }
        await log.close()
    }

    // MARK: Writes

    /// Stores a new record once it is durable; see
    /// ``InterviewRepository/create(_:requestID:tenant:)``. Request ids are
    /// remembered across restarts (24 hours, 100 000 by default).
    ///
    /// - Throws: As the protocol says, and UNAVAILABLE with the OS error once
    ///   the log has failed (the create was not acknowledged).
    public func create(_ interview: Interview, requestID: String, tenant: Tenant) async throws -> Interview {
        try await commit { store throws(InterviewsError) in
            let write = try store.create(interview, requestID: requestID, tenant: tenant)
            return (write.interview, write.changes)
        }
    }

    /// Applies a masked update once it is durable; see
    /// ``InterviewRepository/update(_:mask:expectedRevision:tenant:)``.
    public func update(_ changes: Interview, mask: [String], expectedRevision: UInt64, tenant: Tenant) async throws
        -> Interview
    {
        try await commit { store throws(InterviewsError) in
            let write = try store.update(changes, mask: mask, expectedRevision: expectedRevision, tenant: tenant)
            return (write.interview, write.changes)
        }
    }

    /// Soft-deletes once durable; see ``InterviewRepository/delete(id:expectedRevision:tenant:)``.
    public func delete(id: String, expectedRevision: UInt64, tenant: Tenant) async throws -> Interview {
        try await commit { store throws(InterviewsError) in
            let write = try store.delete(id: id, expectedRevision: expectedRevision, tenant: tenant)
            return (write.interview, write.changes)
        }
    }

    /// Upserts by remote_id; every item's change is durable before this
    /// returns (one log write for the batch). See ``InterviewRepository/upsert(_:tenant:)``.
    public func upsert(_ interviews: [Interview], tenant: Tenant) async throws -> [UpsertResult] {
        try await commit { store throws(InterviewsError) in
            let write = try store.upsert(interviews, tenant: tenant)
            return (write.results, write.changes)
        }
    }

    // MARK: Reads (durable changes only)

    /// The record with `id`; see ``InterviewRepository/get(id:includeDeleted:tenant:)``.
    public func get(id: String, includeDeleted: Bool, tenant: Tenant) async throws -> Interview {
        try getNonblocking(id: id, includeDeleted: includeDeleted, tenant: tenant)
    }

    /// The record with `id` from the durable read index, under its lock;
    /// see ``NonblockingInterviewReads``.
    public func getNonblocking(id: String, includeDeleted: Bool, tenant: Tenant) throws(InterviewsError)
        -> Interview
    {
        try state.withLock { state throws(InterviewsError) in
            try state.store.get(id: id, includeDeleted: includeDeleted, tenant: tenant)
        }
    }

    /// One page; see ``InterviewRepository/list(_:tenant:)``. Page tokens are
    /// signed with the directory's secret and stay valid across restarts.
    public func list(_ request: ListRequest, tenant: Tenant) async throws -> Page {
        try listNonblocking(request, tenant: tenant)
    }

    /// One page from the durable read index, under its lock; see
    /// ``NonblockingInterviewReads``.
    public func listNonblocking(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> Page {
        try state.withLock { state throws(InterviewsError) in try state.store.list(request, tenant: tenant) }
    }

    /// The record with `id` from the durable read index as its stored
    /// encoding; see ``EncodedInterviewReads``.
    public func getEncoded(id: String, includeDeleted: Bool, includeRemoteData: Bool, tenant: Tenant)
        throws(InterviewsError) -> EncodedInterview
    {
        try state.withLock { state throws(InterviewsError) in
            try state.store.getEncoded(
                id: id, includeDeleted: includeDeleted, includeRemoteData: includeRemoteData, tenant: tenant)
        }
    }

    /// One page of stored encodings from the durable read index; see ``EncodedInterviewReads``.
    public func listEncoded(_ request: ListRequest, tenant: Tenant) throws(InterviewsError) -> EncodedPage {
        try state.withLock { state throws(InterviewsError) in try state.store.listEncoded(request, tenant: tenant) }
    }

    /// Every match in batches of `batchSize` (clamped to 1...1000), each read
    /// under the lock and handed to `body` outside it; see
    /// ``InterviewRepository/scan(_:tenant:batchSize:_:)``.
    public func scan(
        _ request: ListRequest, tenant: Tenant, batchSize: Int, _ body: ([Interview]) async throws -> Bool
    ) async throws {
        try await InterviewStore.scanInBatches(
            batchSize: batchSize,
            read: { after, limit throws(InterviewsError) in
                try state.withLock { state throws(InterviewsError) in
                    try state.store.scanBatch(request, tenant: tenant, after: after, limit: limit)
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
                try state.withLock { state throws(InterviewsError) in
                    try state.store.scanBatchEncoded(request, tenant: tenant, after: after, limit: limit)
                }
            }, body)
    }

    /// Durable changes after `sequence`; see ``InterviewRepository/changes(after:limit:tenant:)``.
    /// After a restart the history starts at the newest snapshot: older
    /// sequences report `truncated`.
    public func changes(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> ChangeBatch {
        try state.withLock { state throws(InterviewsError) in
            try state.store.changes(after: sequence, limit: limit, tenant: tenant)
        }
    }

    /// ``changes(after:limit:tenant:)`` with the records as stored encodings;
    /// see ``EncodedInterviewReads``.
    public func encodedChanges(after sequence: UInt64, limit: Int, tenant: Tenant) async throws -> EncodedChangeBatch {
        try state.withLock { state throws(InterviewsError) in
            try state.store.encodedChanges(after: sequence, limit: limit, tenant: tenant)
        }
    }

    /// Waits for a durable sequence after `sequence`; see ``InterviewRepository/waitForChanges(after:)``.
    public func waitForChanges(after sequence: UInt64) async throws -> UInt64 {
        try await notifier.wait(after: sequence)
    }

    /// Counts of durable records; `writable` is false once the log has failed
    /// or the repository is closed.
    public func stats(tenant: Tenant) async throws -> RepositoryStats {
        try state.withLock { state throws(InterviewsError) in
            try InterviewValidation.validateCompanyID(tenant.companyID)
            var stats = state.store.stats(tenant: tenant)
            stats.writable = refusal(state) == nil
            return stats
        }
    }

    /// False once the log has failed (fail-stop) or the repository is closed.
    public var isWritable: Bool { state.withLock { refusal($0) == nil } }

    /// The error writes get now: nil while writable; UNAVAILABLE with the OS
    /// error text after a log failure; FAILED_PRECONDITION once closed.
    public var failure: InterviewsError? { state.withLock { refusal($0) } }

    // MARK: Committing

    /// Runs `body` against the store under the lock, submits its
    /// changes to the log, then waits (outside the lock) until everything the
    /// answer depends on is durable and visible.
    private func commit<Value: Sendable>(
        _ body: (inout InterviewStore) throws(InterviewsError) -> (Value, [CommittedChange])
    ) async throws -> Value {
        let (outcome, wait) = state.withLock { state -> (Result<Value, InterviewsError>, PendingAppend?) in
            if let refusal = refusal(state) { return (.failure(refusal), nil) }
            let outcome: Result<Value, InterviewsError>
            do throws(InterviewsError) {
                let (value, changes) = try body(&state.store)
                if !changes.isEmpty { try submit(changes, &state) }
                outcome = .success(value)
            } catch {
                outcome = .failure(error)
            }
            // The answer was computed from the staged state: it may be given
            // only once all of that state is durable.
            let wait = state.store.publishedSequence < state.store.lastSequence ? state.lastSubmitted : nil
            return (outcome, wait)
        }
        if let wait {
            try await wait.durable()
            makeVisible(through: wait.sequences.upperBound)
        }
        return try outcome.get()
    }

    /// Appends `changes` to the log under the lock. On failure the store
    /// forgets them, so that it again matches what the log holds.
    private func submit(_ changes: [CommittedChange], _ state: inout State) throws(InterviewsError) {
        do throws(InterviewsError) {
            let entries = try changes.map { change throws(InterviewsError) in try LogRecordCoding.entry(for: change) }
            let pending = try log.submit(entries, leading: true)
            let expected = changes[0].change.sequence...changes[changes.count - 1].change.sequence
            guard pending.sequences == expected else {
                let error = InterviewsError(
                    .internalError,
                    "the log numbered changes \(pending.sequences) but the store \(expected); writes are refused until restart"
                )
                state.broken = error
                throw error
            }
            state.lastSubmitted = pending
            state.diskRecords += changes.count
            state.recordCount += changes.count(where: { $0.change.kind == .created })
        } catch {
            if state.broken == nil { state.store.discardStaged(after: changes[0].change.sequence - 1) }
            throw error
        }
    }

    /// Publishes every staged change up to `target` (now durable) and wakes watchers.
    private func makeVisible(through target: UInt64) {
        let published = state.withLock { state -> UInt64? in
            let before = state.store.publishedSequence
            do throws(InterviewsError) {
                try state.store.publish(through: target)
            } catch {
                state.broken = error
            }
            return state.store.publishedSequence > before ? state.store.publishedSequence : nil
        }
        if let published { notifier.publish(published) }
    }

    /// Why writes are refused now, or nil.
    private func refusal(_ state: State) -> InterviewsError? {
        if state.closed { return InterviewsError(.failedPrecondition, "the repository in \(directory) is closed") }
        if let broken = state.broken { return broken }
        return log.failure
    }

    /// The store as reads see it, for a backup: an O(1) copy-on-write copy
    /// taken under the lock (its published part is a consistent, durable prefix).
    func copyOfStore() -> InterviewStore { state.withLock { $0.store } }

    // MARK: Compaction

    /// Bytes on disk: the snapshot and the log segments.
    public var storageStats: StorageStats { log.storageStats() }

    /// The live bytes, estimated in O(1) so the policy can be checked often:
    /// the snapshot's header and request ids (known exactly), plus the
    /// interviews' share of the other bytes on disk — each interview has one
    /// current record there, and interview records are taken to be of
    /// average size.
    public func estimatedLiveBytes() -> Int64 {
        let stats = log.storageStats()
        let (interviews, overhead, disk) = state.withLock { ($0.recordCount, $0.snapshotOverhead, $0.diskRecords) }
        let interviewRecords = disk - overhead.records
        let interviewBytes = max(0, stats.totalBytes - overhead.bytes)
        guard interviewRecords > interviews, interviewRecords > 0 else { return stats.totalBytes }
        return overhead.bytes + Int64(Double(interviewBytes) * Double(interviews) / Double(interviewRecords))
    }

    /// Compacts when `options.compaction` says enough bytes are dead (see
    /// ``estimatedLiveBytes()``); nil when it does not, or a compaction runs.
    ///
    /// - Throws: As ``compact()``.
    public func compactIfNeeded() async throws -> CompactionReport? {
        let stats = log.storageStats()
        guard options.compaction.shouldCompact(stats, liveBytes: estimatedLiveBytes()),
            !state.withLock({ $0.compacting })
        else { return nil }
        return try await compact()
    }

    /// Writes a snapshot of every record (and the remembered request ids) as
    /// of now and removes the log segments and snapshot it replaces. Writes
    /// continue meanwhile.
    ///
    /// Under the lock: a segment boundary (``DurableLog/rotate()``) and an
    /// O(1) copy of the store (staged changes included); the next write pays one O(n) copy of
    /// the store's storage. Outside it: the records are sorted and encoded
    /// (O(n log n)) and the log writes the snapshot on a thread of its own.
    /// A crash at any point reopens to the same records (docs/STORAGE.md).
    ///
    /// - Throws: FAILED_PRECONDITION when a compaction already runs or the
    ///   repository is closed; UNAVAILABLE when the log has failed or fails
    ///   while compacting (it is then fail-stopped).
    @discardableResult
    public func compact() async throws -> CompactionReport {
        let (through, store) = try state.withLock { state throws(InterviewsError) in
            if let refusal = refusal(state) { throw refusal }
            guard !state.compacting else {
                throw InterviewsError(.failedPrecondition, "a compaction of \(directory) is already running")
            }
            let through = try log.rotate()
            guard through == state.store.lastSequence else {
                throw InterviewsError(
                    .internalError,
                    "the log's last sequence \(through) is not the store's \(state.store.lastSequence)")
            }
            state.compacting = true
            return (through, state.store)
        }
        defer { state.withLock { $0.compacting = false } }
        let (records, overhead) = try await Self.snapshotRecords(of: store, through: through)
        let report = try await log.compact(through: through, records: records)
        state.withLock { state in
            state.snapshotOverhead = overhead
            state.diskRecords = records.count + Int(state.store.lastSequence - through)
        }
        return report
    }

    /// The snapshot's records (a header, every interview, every live request
    /// id), and the count and bytes of those that are not interviews.
    private static func snapshotRecords(of store: consuming InterviewStore, through: UInt64) async throws
        -> (records: [LogRecord], overhead: SnapshotOverhead)
    {
        let snapshot = store.snapshot()
        _ = consume store
        let all = SnapshotRecords(snapshot, sequence: through)
        var records: [LogRecord] = []
        records.reserveCapacity(all.count)
        var overhead = SnapshotOverhead()
        for record in all {
            records.append(record)
            if !SnapshotRecords.isInterview(record) { overhead.add(record) }
            // Encoding a large store takes a while; let other tasks run on this thread.
            if records.count % 4096 == 4095 { await Task.yield() }
        }
        return (records, overhead)
    }

    /// Checks `options.compaction` when the repository opens and then after
    /// changes, at most once per `interval`, and compacts when it says so,
    /// until the task is cancelled (a server runs it beside its listener and
    /// cancels it at shutdown). An idle repository costs nothing: the loop
    /// waits for the next change. Does nothing while writes are refused.
    ///
    /// - Parameter onCompaction: Told of every compaction and its outcome
    ///   (for the server's log). A failed compaction fail-stops the log.
    public func runCompaction(
        checkEvery interval: Duration = .milliseconds(100),
        onCompaction: @Sendable (Result<CompactionReport, any Error>) -> Void = { _ in }
    ) async {
        var seen: UInt64 = 0
        while true {
            if isWritable {
                do {
                    if let report = try await compactIfNeeded() { onCompaction(.success(report)) }
                } catch {
                    onCompaction(.failure(error))
                }
            }
            do {
                try await Task.sleep(for: interval)
                seen = try await notifier.wait(after: seen)
            } catch {
                return
            }
        }
    }
}
