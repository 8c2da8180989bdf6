public import InterviewsFileStore
public import InterviewsModel
public import InterviewsRepository

/// The records of a store's snapshot, made one at a time: the header, every
/// interview (deleted ones included), every live request id, all as of one
/// sequence. Compaction writes them to the log's snapshot; a backup streams them.
struct SnapshotRecords: Sequence, IteratorProtocol {
    private let snapshot: StoreSnapshot
    private let sequence: UInt64
    private var position = -1

    init(_ snapshot: StoreSnapshot, sequence: UInt64) {
        self.snapshot = snapshot
        self.sequence = sequence
    }

    /// How many records there are in all.
    var count: Int { 1 + snapshot.records.count + snapshot.idempotencyEntries.count }

    /// Whether `record` is an interview (not the header or a request id).
    static func isInterview(_ record: LogRecord) -> Bool { record.kind == RecordKind.snapshotRecord.rawValue }

    mutating func next() -> LogRecord? {
        defer { position += 1 }
        if position < 0 {
            return LogRecordCoding.snapshotHeader(
                sequence: sequence, records: snapshot.records.count, entries: snapshot.idempotencyEntries.count)
        }
        if position < snapshot.records.count {
            return LogRecordCoding.snapshotRecord(snapshot.records[position], sequence: sequence)
        }
        let entry = position - snapshot.records.count
        guard entry < snapshot.idempotencyEntries.count else {
            position -= 1
            return nil
        }
        return LogRecordCoding.idempotencyRecord(snapshot.idempotencyEntries[entry], sequence: sequence)
    }
}

/// A backup as the files of a data directory the file backend opens:
/// `store.secret` (the page-token secret, so tokens stay valid), then
/// `snapshot-<S>.snap` (every published record and request id as of S, the
/// compaction snapshot's format). No `store.epoch`: a store restored from a
/// backup starts an epoch of its own, since its history leaves the
/// original's after S. The snapshot is encoded as it is read: memory is the
/// copy of the record table plus one piece.
public struct DataDirectoryBackup: BackupReader {
    /// The newest change in the backup.
    public let sequence: UInt64
    /// Interviews in the backup, deleted ones included.
    public let interviewCount: Int
    private let secret: [UInt8]
    private var secretSent = false
    private var records: SnapshotRecords
    private var encoder: SnapshotEncoder
    private let snapshotName: String

    /// The backup of what `store` has published (staged changes left out).
    package init(store: consuming InterviewStore) {
        let snapshot = store.publishedSnapshot()
        secret = store.tokenSecret
        _ = consume store
        sequence = snapshot.lastSequence
        interviewCount = snapshot.records.count
        records = SnapshotRecords(snapshot, sequence: snapshot.lastSequence)
        encoder = SnapshotEncoder(sequence: snapshot.lastSequence)
        snapshotName = SnapshotEncoder.fileName(sequence: snapshot.lastSequence)
    }

    /// The next piece: `store.secret` whole, then the snapshot in pieces of at most `maxBytes`.
    public mutating func next(maxBytes: Int) -> BackupPiece? {
        if !secretSent {
            secretSent = true
            return BackupPiece(file: StoreSecret.fileName, data: secret)
        }
        let limit = max(1, maxBytes)
        while encoder.pendingCount < limit, !encoder.isFinished {
            if let record = records.next() { encoder.append(record) } else { encoder.finish() }
        }
        guard encoder.pendingCount > 0 else { return nil }
        return BackupPiece(file: snapshotName, data: encoder.take(upTo: limit))
    }
}

extension FileInterviewRepository: BackupSource {
    /// A backup of the durable records; see ``DataDirectoryBackup``. Works
    /// after a log failure too (reads go on then): it holds what was acknowledged.
    public func beginBackup() throws(InterviewsError) -> any BackupReader {
        DataDirectoryBackup(store: copyOfStore())
    }
}

/// ``BackupSource`` for the memory backend: the same files as the file
/// backend's backup, so `interviews serve --data-dir` on a backup of a
/// memory server serves its records durably from then on.
public struct MemoryBackupSource: BackupSource {
    private let repository: InMemoryInterviewRepository

    /// Backups of `repository`.
    public init(_ repository: InMemoryInterviewRepository) { self.repository = repository }

    /// A backup of every record as of now; see ``DataDirectoryBackup``.
    public func beginBackup() throws(InterviewsError) -> any BackupReader {
        DataDirectoryBackup(store: repository.copyOfStore())
    }
}
