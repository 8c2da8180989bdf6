import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsWire

/// What a log or snapshot record of the file-backed repository holds: the
/// `kind` tag of ``LogEntry`` (docs/STORAGE.md, "The repository level").
enum RecordKind: UInt8, Sendable, CaseIterable {
    /// A log record: an interview was created (with the create's request id).
    case created = 1
    /// A log record: an interview changed (not a deletion).
    case updated = 2
    /// A log record: an interview was soft-deleted.
    case deleted = 3
    /// The first record of a snapshot: format version and counts.
    case snapshotHeader = 8
    /// A snapshot record: one interview as stored.
    case snapshotRecord = 9
    /// A snapshot record: one remembered create request id.
    case idempotencyEntry = 10

    /// The log kind of a committed change.
    init(_ kind: ChangeKind) {
        switch kind {
        case .created: self = .created
        case .deleted: self = .deleted
        case .updated, .unspecified: self = .updated
        }
    }

    /// The change kind a log record's kind stands for, nil for snapshot kinds.
    var changeKind: ChangeKind? {
        switch self {
        case .created: .created
        case .updated: .updated
        case .deleted: .deleted
        case .snapshotHeader, .snapshotRecord, .idempotencyEntry: nil
        }
    }
}

/// The byte layouts of the repository's records, all little-endian and each
/// starting with a format version byte (1). The interview itself is its
/// protobuf encoding (`interviews.v1.Interview`, every field, server-owned ones
/// and remote_data included), as InterviewsWire writes it.
enum LogRecordCoding {
    /// The only format version this build writes and reads.
    static let version: UInt8 = 1

    // MARK: Log records

    /// A committed change as a log entry: version, u16 request id length, the
    /// request id (UTF-8), the interview.
    ///
    /// - Throws: INTERNAL when the interview does not encode (validation
    ///   admits nothing protobuf-c cannot carry, so this is a bug).
    static func entry(for committed: CommittedChange) throws(InterviewsError) -> LogEntry {
        var data: [UInt8] = [version]
        let requestID = Array(committed.requestID.utf8)
        data.appendLittleEndian(UInt16(truncatingIfNeeded: requestID.count))
        data += requestID
        data += committed.record.bytes
        return LogEntry(kind: RecordKind(committed.change.kind).rawValue, data: data)
    }

    /// The interview and request id of a change record.
    ///
    /// - Throws: DATA_LOSS naming the sequence when the bytes are not a change record.
    static func change(from record: LogRecord) throws(InterviewsError) -> (interview: Interview, requestID: String) {
        var reader = ByteReader(record.data, sequence: record.sequence)
        try reader.checkVersion()
        let requestID = try reader.string(lengthBytes: 2)
        return (try reader.interview().0, requestID)
    }

    /// The stored record and request id of a change record, scanned rather
    /// than decoded (see ``StoredRecord/init(scanning:)``): how replay reads the log.
    static func storedChange(from record: LogRecord) throws(InterviewsError) -> (
        record: StoredRecord, requestID: String
    ) {
        var reader = ByteReader(record.data, sequence: record.sequence)
        try reader.checkVersion()
        let requestID = try reader.string(lengthBytes: 2)
        return (try reader.storedRecord(), requestID)
    }

    // MARK: Snapshot records

    /// The snapshot's first record: version, u64 interview count, u64 entry count.
    static func snapshotHeader(sequence: UInt64, records: Int, entries: Int) -> LogRecord {
        var data: [UInt8] = [version]
        data.appendLittleEndian(UInt64(records))
        data.appendLittleEndian(UInt64(entries))
        return LogRecord(sequence: sequence, kind: RecordKind.snapshotHeader.rawValue, data: data)
    }

    /// The interview and idempotency-entry counts a snapshot header announces.
    static func counts(fromHeader record: LogRecord) throws(InterviewsError) -> (records: UInt64, entries: UInt64) {
        var reader = ByteReader(record.data, sequence: record.sequence)
        try reader.checkVersion()
        let counts = (try reader.integer(UInt64.self), try reader.integer(UInt64.self))
        try reader.checkEnd()
        return counts
    }

    /// One interview of a snapshot: version, the interview's stored encoding.
    static func snapshotRecord(_ record: StoredRecord, sequence: UInt64) -> LogRecord {
        var data: [UInt8] = [version]
        data.reserveCapacity(1 + record.bytes.count)
        data += record.bytes
        return LogRecord(sequence: sequence, kind: RecordKind.snapshotRecord.rawValue, data: data)
    }

    /// The interview of a snapshot record, as the store holds it.
    static func interview(fromSnapshot record: LogRecord) throws(InterviewsError) -> StoredRecord {
        var reader = ByteReader(record.data, sequence: record.sequence)
        try reader.checkVersion()
        return try reader.storedRecord()
    }

    /// `transform` of each of `records`, in order, computed on the machine's
    /// cores in chunks (each record's scan is independent of the others):
    /// how replay scans snapshot interviews and log changes in batches.
    ///
    /// - Throws: The first record's error, in file order, when any fails.
    static func scan<T: Sendable>(
        _ records: [LogRecord], chunk: Int = 2048, _ transform: @Sendable (LogRecord) throws(InterviewsError) -> T
    ) throws(InterviewsError) -> [T] {
        let scanned = concurrentMap(records, chunk: chunk) { record in
            Result { () throws(InterviewsError) in try transform(record) }
        }
        var values: [T] = []
        values.reserveCapacity(records.count)
        for value in scanned { values.append(try value.get()) }
        return values
    }

    /// One idempotency entry of a snapshot: version; u16-prefixed company id,
    /// request id and interview id; u8-prefixed fingerprint; created_at as
    /// i64 seconds and i32 nanos.
    static func idempotencyRecord(_ entry: IdempotencyEntry, sequence: UInt64) -> LogRecord {
        var data: [UInt8] = [version]
        for text in [entry.companyID, entry.requestID, entry.interviewID] {
            let bytes = Array(text.utf8)
            data.appendLittleEndian(UInt16(truncatingIfNeeded: bytes.count))
            data += bytes
        }
        data.append(UInt8(truncatingIfNeeded: entry.fingerprint.count))
        data += entry.fingerprint.prefix(255)
        data.appendLittleEndian(entry.createdAt.seconds)
        data.appendLittleEndian(entry.createdAt.nanos)
        return LogRecord(sequence: sequence, kind: RecordKind.idempotencyEntry.rawValue, data: data)
    }

    /// The idempotency entry of a snapshot record.
    static func idempotencyEntry(from record: LogRecord) throws(InterviewsError) -> IdempotencyEntry {
        var reader = ByteReader(record.data, sequence: record.sequence)
        try reader.checkVersion()
        let companyID = try reader.string(lengthBytes: 2)
        let requestID = try reader.string(lengthBytes: 2)
        let interviewID = try reader.string(lengthBytes: 2)
        let fingerprint = try reader.bytes(count: Int(try reader.integer(UInt8.self)))
        let seconds = try reader.integer(Int64.self)
        let nanos = try reader.integer(Int32.self)
        try reader.checkEnd()
        return IdempotencyEntry(
            companyID: companyID, requestID: requestID, interviewID: interviewID, fingerprint: fingerprint,
            createdAt: Timestamp(seconds: seconds, nanos: nanos))
    }
}

/// Reads a record's data front to back; every failure is DATA_LOSS naming
/// the record's sequence.
private struct ByteReader {
    let data: [UInt8]
    let sequence: UInt64
    var offset = 0

    init(_ data: [UInt8], sequence: UInt64) {
        self.data = data
        self.sequence = sequence
    }

    func damaged(_ problem: String) -> InterviewsError {
        InterviewsError(.dataLoss, "record \(sequence) of the data directory: \(problem)")
    }

    mutating func checkVersion() throws(InterviewsError) {
        let version = try integer(UInt8.self)
        guard version == LogRecordCoding.version else {
            throw damaged(
                "format version \(version) is not \(LogRecordCoding.version); was it written by a newer server?")
        }
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(InterviewsError) -> T {
        let size = MemoryLayout<T>.size
        guard data.count - offset >= size else { throw damaged("ends at byte \(data.count), inside a field") }
        var value: T = 0
        for index in 0..<size { value |= T(truncatingIfNeeded: data[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    mutating func bytes(count: Int) throws(InterviewsError) -> [UInt8] {
        guard data.count - offset >= count else { throw damaged("ends at byte \(data.count), inside a field") }
        defer { offset += count }
        return Array(data[offset..<(offset + count)])
    }

    mutating func string(lengthBytes: Int) throws(InterviewsError) -> String {
        let count = lengthBytes == 1 ? Int(try integer(UInt8.self)) : Int(try integer(UInt16.self))
        let bytes = try bytes(count: count)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw damaged("a text field is not UTF-8") }
        return text
    }

    /// The rest of the data as an interview.
    /// The interview that fills the rest of the record, scanned, as a stored record.
    mutating func storedRecord() throws(InterviewsError) -> StoredRecord {
        let rest = Array(data[offset...])
        offset = data.count
        guard rest.count <= LogEntry.maxDataSize else { throw damaged("the interview is \(rest.count) bytes") }
        do {
            return try StoredRecord(scanning: rest)
        } catch {
            throw damaged(error.message)
        }
    }

    /// The interview that fills the rest of the record, and its bytes.
    mutating func interview() throws(InterviewsError) -> (Interview, [UInt8]) {
        let rest = Array(data[offset...])
        offset = data.count
        do {
            return (try Interview.decode(rest, maxSize: LogEntry.maxDataSize), rest)
        } catch {
            throw damaged("the interview does not decode: \(error)")
        }
    }

    func checkEnd() throws(InterviewsError) {
        guard offset == data.count else { throw damaged("\(data.count - offset) unexpected bytes at the end") }
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` in little-endian byte order.
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
