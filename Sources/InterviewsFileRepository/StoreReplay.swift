import Dispatch
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import Synchronization

/// Rebuilds an ``InterviewStore`` from the records ``DurableLog`` replays:
/// first a snapshot (header, interviews, idempotency entries), then log
/// records, each applied in sequence order.
///
/// The store is created when the first log record arrives (or at
/// ``finish()``), from the snapshot's contents when there was one. Its list
/// index is built once, in bulk, by ``finish()``.
struct StoreReplay {
    private let configuration: InterviewStore.Configuration
    private var header: (sequence: UInt64, records: UInt64, entries: UInt64)?
    private var snapshotRecords: [StoredRecord] = []
    /// Snapshot interviews read but not yet added to `snapshotRecords`:
    /// scanned in batches on the machine's cores, each batch while the next
    /// one is read.
    private var snapshotScan: ScanPipeline<StoredRecord>
    /// Log changes read but not yet applied: scanned the same way, then
    /// applied in order.
    private var changeScan: ScanPipeline<(record: StoredRecord, requestID: String)>
    private var snapshotEntries: [IdempotencyEntry] = []
    private var store: InterviewStore?
    /// Distinct interviews (live or deleted) replayed so far.
    private(set) var recordCount = 0

    /// The snapshot's records that are not interviews (its header and
    /// request ids): how many, and their bytes on disk.
    private(set) var snapshotOverhead = SnapshotOverhead()

    /// A replay into a store of `configuration`; tests pass small batches.
    ///
    /// - Parameters:
    ///   - scanBatch: Records per batch scanned while the next is read.
    ///   - scanChunk: Records of a batch given to one thread at a time.
    init(configuration: InterviewStore.Configuration, scanBatch: Int = 16384, scanChunk: Int = 2048) {
        self.configuration = configuration
        snapshotScan = ScanPipeline(batch: scanBatch, chunk: scanChunk, LogRecordCoding.interview(fromSnapshot:))
        changeScan = ScanPipeline(batch: scanBatch, chunk: scanChunk, LogRecordCoding.storedChange(from:))
    }

    /// Takes the next replayed record.
    ///
    /// - Throws: DATA_LOSS naming the sequence for a record that does not
    ///   decode, comes out of place, has an unknown kind, or whose logged kind
    ///   disagrees with what replaying it does.
    mutating func consume(_ record: LogRecord) throws(InterviewsError) {
        guard let kind = RecordKind(rawValue: record.kind) else {
            throw InterviewsError(
                .dataLoss,
                "record \(record.sequence) of the data directory has kind \(record.kind), unknown to this server; was it written by a newer one?"
            )
        }
        switch kind {
        case .snapshotHeader:
            guard header == nil, store == nil else { throw misplaced(record, "a second snapshot header") }
            let counts = try LogRecordCoding.counts(fromHeader: record)
            header = (record.sequence, counts.records, counts.entries)
            snapshotOverhead.add(record)
            snapshotRecords.reserveCapacity(Int(clamping: min(counts.records, 1 << 24)))
        case .snapshotRecord:
            guard header != nil, store == nil, snapshotEntries.isEmpty else {
                throw misplaced(record, "a snapshot interview outside the snapshot")
            }
            if let scanned = try snapshotScan.append(record) { snapshotRecords += scanned.values }
        case .idempotencyEntry:
            guard header != nil, store == nil else {
                throw misplaced(record, "a snapshot request id outside the snapshot")
            }
            try drainSnapshotScan()
            snapshotEntries.append(try LogRecordCoding.idempotencyEntry(from: record))
            snapshotOverhead.add(record)
        case .created, .updated, .deleted:
            if store == nil { store = try makeStore() }
            if let scanned = try changeScan.append(record) { try apply(scanned) }
        }
    }

    /// Applies a scanned batch of log changes in order.
    private mutating func apply(_ batch: ScannedBatch<(record: StoredRecord, requestID: String)>)
        throws(InterviewsError)
    {
        guard var replaying = store.take() else { return }
        defer { store = replaying }
        for (record, (stored, requestID)) in zip(batch.records, batch.values) {
            let replayed = try replaying.apply(encoded: stored, sequence: record.sequence, requestID: requestID)
            // consume(_:) let only change kinds in.
            let kind = RecordKind(rawValue: record.kind)
            guard let kind, kind.changeKind == replayed else {
                throw InterviewsError(
                    .dataLoss,
                    "record \(record.sequence) of the data directory is logged as \(kind.map { "\($0)" } ?? "kind \(record.kind)") but replays as \(replayed) of interview \(stored.id)"
                )
            }
            if replayed == .created { recordCount += 1 }
        }
    }

    /// Adds every snapshot interview read so far to ``snapshotRecords``.
    private mutating func drainSnapshotScan() throws(InterviewsError) {
        for scanned in try snapshotScan.drain() { snapshotRecords += scanned.values }
    }

    /// The rebuilt store.
    ///
    /// - Throws: DATA_LOSS when a snapshot's contents disagree with its header.
    mutating func finish() throws(InterviewsError) -> InterviewStore {
        for scanned in try changeScan.drain() { try apply(scanned) }
        var store: InterviewStore
        if let replayed = self.store {
            store = replayed
            self.store = nil
        } else {
            store = try makeStore()
        }
        store.buildDeferredIndex()
        return store
    }

    /// The store the snapshot (if any) describes, with its list index
    /// deferred: log records are applied without index upkeep, and
    /// ``finish()`` builds the index once, in bulk.
    private mutating func makeStore() throws(InterviewsError) -> InterviewStore {
        try drainSnapshotScan()
        guard let header else {
            var store = InterviewStore(configuration: configuration)
            store.deferIndex()
            return store
        }
        guard header.records == snapshotRecords.count, header.entries == snapshotEntries.count else {
            throw InterviewsError(
                .dataLoss,
                "the snapshot at sequence \(header.sequence) announces \(header.records) interviews and \(header.entries) request ids but holds \(snapshotRecords.count) and \(snapshotEntries.count)"
            )
        }
        let snapshot = StoreSnapshot(
            records: snapshotRecords, lastSequence: header.sequence, idempotencyEntries: snapshotEntries)
        recordCount = snapshotRecords.count
        snapshotRecords = []
        snapshotEntries = []
        return try InterviewStore(snapshot: snapshot, configuration: configuration, deferringIndex: true)
    }

    private func misplaced(_ record: LogRecord, _ what: String) -> InterviewsError {
        InterviewsError(.dataLoss, "record \(record.sequence) of the data directory is \(what)")
    }
}

/// The records of a snapshot that are not interviews, counted apart so that
/// the live-bytes estimate does not take them for average interviews.
struct SnapshotOverhead: Sendable {
    /// How many: the header and one per request id.
    var records = 0
    /// Their bytes on disk, framing included.
    var bytes: Int64 = 0

    mutating func add(_ record: LogRecord) {
        records += 1
        bytes += Int64(record.storedSize)
    }
}

/// A batch of replayed records, in file order, and what scanning them gave.
private struct ScannedBatch<T: Sendable> {
    var records: [LogRecord]
    var values: [T]
}

/// Replayed records scanned in batches on other threads while replay reads
/// on: records gather until a batch is full; its scan then starts, and the
/// batch before it (whose scan ran meanwhile) is handed back, in order.
private struct ScanPipeline<T: Sendable> {
    private let batch: Int
    private let chunk: Int
    private let transform: @Sendable (LogRecord) throws(InterviewsError) -> T
    private var pending: [LogRecord] = []
    private var inFlight: BackgroundScan<T>?

    init(batch: Int, chunk: Int, _ transform: @escaping @Sendable (LogRecord) throws(InterviewsError) -> T) {
        self.batch = max(1, batch)
        self.chunk = max(1, chunk)
        self.transform = transform
    }

    /// Adds a record; when that fills a batch, returns the batch before it,
    /// scanned.
    ///
    /// - Throws: The first failing record's error, in file order.
    mutating func append(_ record: LogRecord) throws(InterviewsError) -> ScannedBatch<T>? {
        pending.append(record)
        guard pending.count >= batch else { return nil }
        return try advance()
    }

    /// Every record not yet handed back, scanned, in order (at most two
    /// batches).
    mutating func drain() throws(InterviewsError) -> [ScannedBatch<T>] {
        var batches: [ScannedBatch<T>] = []
        if let previous = try advance() { batches.append(previous) }
        if let last = inFlight {
            inFlight = nil
            batches.append(ScannedBatch(records: last.records, values: try last.wait()))
        }
        return batches
    }

    /// Starts the scan of the pending records and returns the one before.
    private mutating func advance() throws(InterviewsError) -> ScannedBatch<T>? {
        let previous = inFlight
        inFlight = pending.isEmpty ? nil : BackgroundScan(pending, chunk: chunk, transform)
        pending = []
        pending.reserveCapacity(batch)
        guard let previous else { return nil }
        return ScannedBatch(records: previous.records, values: try previous.wait())
    }
}

/// The scan of one batch of replayed records, running on other threads
/// (``LogRecordCoding/scan(_:chunk:_:)`` on the machine's cores) while replay
/// reads the next batch.
private final class BackgroundScan<T: Sendable>: Sendable {
    /// The batch, in file order.
    let records: [LogRecord]
    private let result = Mutex<Result<[T], InterviewsError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(
        _ records: [LogRecord], chunk: Int, _ transform: @escaping @Sendable (LogRecord) throws(InterviewsError) -> T
    ) {
        self.records = records
        DispatchQueue.global().async { [self] in
            let scanned = Result { () throws(InterviewsError) in
                try LogRecordCoding.scan(records, chunk: chunk, transform)
            }
            result.withLock { $0 = scanned }
            done.signal()
        }
    }

    /// The batch's values in order, once its scan is done. Called once.
    ///
    /// - Throws: The first failing record's error, in file order.
    func wait() throws(InterviewsError) -> [T] {
        done.wait()
        return try result.withLock { $0 }?.get() ?? []
    }
}
