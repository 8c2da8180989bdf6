import InterviewsModel

/// Snapshot files: `snapshot-<16 hex sequence>.snap`, holding every live
/// record as of a sequence. Layout: a 32-byte header (magic `IVSNP\r\n\x1A`,
/// the sequence), the records framed exactly like log records, and a 24-byte
/// trailer (magic `IVEND\r\n\x1A`, the record count, a CRC-32C over all the
/// records' 8-byte frame headers, and a CRC-32C of the trailer). A snapshot
/// missing its trailer, or whose count or checksums disagree, is not valid.
enum SnapshotFile {
    /// Bytes written per `pwrite` while a snapshot is being written.
    static let writeChunk = 1 << 20

    /// What a valid snapshot holds.
    struct Summary: Sendable, Hashable {
        var sequence: UInt64
        var records: Int
        var bytes: Int64
    }

    /// Writes the snapshot of `records` as of `sequence` durably: into a
    /// temporary file, `fsync`, rename into place, `fsync` the directory.
    ///
    /// - Returns: The snapshot file's size.
    /// - Throws: UNAVAILABLE on any failed call (the temporary file may remain;
    ///   the next open removes it).
    static func write(
        directory: String, sequence: UInt64, records: [LogRecord], io: any FileIO
    ) throws(InterviewsError) -> Int64 {
        let name = LogFormat.snapshotName(sequence: sequence)
        let finalPath = directory + "/" + name
        let temporaryPath = finalPath + LogFormat.temporarySuffix
        let fd = try performing("creating", temporaryPath) { () throws(FileIOError) in
            try io.open(temporaryPath, .createTruncating)
        }
        var offset: Int64 = 0
        do {
            var encoder = SnapshotEncoder(sequence: sequence)
            for record in records {
                encoder.append(record)
                if encoder.pendingCount >= writeChunk {
                    let chunk = encoder.take(upTo: .max)
                    try writeFully(chunk, to: fd, at: offset, path: temporaryPath, io: io)
                    offset += Int64(chunk.count)
                }
            }
            encoder.finish()
            let rest = encoder.take(upTo: .max)
            try writeFully(rest, to: fd, at: offset, path: temporaryPath, io: io)
            offset += Int64(rest.count)
            try performing("fsync of", temporaryPath) { () throws(FileIOError) in try io.sync(fd) }
        } catch {
            io.close(fd)
            throw error
        }
        io.close(fd)
        try performing("renaming into place", temporaryPath) { () throws(FileIOError) in
            try io.rename(temporaryPath, to: finalPath)
        }
        try performing("fsync of directory", directory) { () throws(FileIOError) in try io.syncDirectory(directory) }
        return offset
    }

    /// Checks every byte of the snapshot at `path`, handing each record to
    /// `body` in file order as it is checked: the records before any damage
    /// reach `body` before the damage is found.
    ///
    /// - Returns: The summary, or where and why the file is not a valid snapshot.
    /// - Throws: UNAVAILABLE when the file cannot be read; whatever `body` throws.
    static func scan(
        path: String, expectedSequence: UInt64, io: any FileIO, _ body: (LogRecord) throws -> Void
    ) throws -> Result<Summary, Damage> {
        let fd = try performing("opening", path) { () throws(FileIOError) in try io.open(path, .readOnly) }
        defer { io.close(fd) }
        let size = try performing("fstat of", path) { () throws(FileIOError) in try io.size(fd) }
        var reader = FileReader(io: io, fd: fd, size: size)
        let header = try performing("reading", path) { () throws(FileIOError) in
            try reader.bytes(at: 0, count: LogFormat.headerSize)
        }
        let sequence: UInt64
        switch LogFormat.parseHeader(header, magic: LogFormat.snapshotMagic) {
        case .failure(let problem): return .failure(Damage(offset: 0, reason: problem.reason))
        case .success(let value): sequence = value
        }
        guard sequence == expectedSequence else {
            return .failure(Damage(offset: 16, reason: "header sequence \(sequence) does not match the file name"))
        }
        var offset = Int64(LogFormat.headerSize)
        var count = 0
        var headersCRC = CRC32C()
        while true {
            let lead = try performing("reading", path) { () throws(FileIOError) in
                try reader.bytes(at: offset, count: 8)
            }
            if lead.elementsEqual(LogFormat.trailerMagic) {
                return try trailer(at: offset, reader: &reader, path: path, count: count, headersCRC: headersCRC.value)
                    .map { Summary(sequence: sequence, records: count, bytes: size) }
            }
            let result = try performing("reading", path) { () throws(FileIOError) in try reader.frame(at: offset) }
            switch result {
            case .end:
                return .failure(Damage(offset: offset, reason: "no trailer: the snapshot is incomplete"))
            case .damaged(let reason):
                return .failure(Damage(offset: offset, reason: reason))
            case .frame(let frame):
                guard frame.sequence <= sequence else {
                    return .failure(
                        Damage(
                            offset: offset,
                            reason: "record sequence \(frame.sequence) is after the snapshot's \(sequence)"))
                }
                lead.withUnsafeBytes { headersCRC.update($0) }
                count += 1
                try body(frame.record)
                offset = frame.end
            }
        }
    }

    /// Checks the trailer at `offset`: it must end the file and agree with the records read.
    private static func trailer(
        at offset: Int64, reader: inout FileReader, path: String, count: Int, headersCRC: UInt32
    ) throws(InterviewsError) -> Result<Void, Damage> {
        let bytes = try performing("reading", path) { () throws(FileIOError) in
            try reader.bytes(at: offset, count: LogFormat.trailerSize)
        }
        guard bytes.count == LogFormat.trailerSize, offset + Int64(LogFormat.trailerSize) == reader.size else {
            return .failure(
                Damage(offset: offset, reason: "the trailer is not the last \(LogFormat.trailerSize) bytes of the file")
            )
        }
        let storedTrailerCRC = bytes.littleEndian(at: 20, as: UInt32.self) ?? 0
        guard CRC32C.checksum(bytes.prefix(20)) == storedTrailerCRC else {
            return .failure(Damage(offset: offset, reason: "trailer checksum mismatch"))
        }
        let storedCount = bytes.littleEndian(at: 8, as: UInt64.self) ?? 0
        guard storedCount == UInt64(count) else {
            return .failure(
                Damage(offset: offset, reason: "trailer counts \(storedCount) records, the file holds \(count)"))
        }
        guard bytes.littleEndian(at: 16, as: UInt32.self) == headersCRC else {
            return .failure(Damage(offset: offset, reason: "trailer checksum of the record headers does not match"))
        }
        return .success(())
    }
}

/// The bytes of a snapshot file, produced a piece at a time: the header,
/// each record framed as in a segment, then the trailer (docs/STORAGE.md,
/// "Snapshots"). Compaction writes them to disk; a backup streams them.
/// Memory: the bytes not yet taken.
public struct SnapshotEncoder: Sendable {
    private var pending: [UInt8]
    private var headersCRC = CRC32C()
    private var count: UInt64 = 0
    private var finished = false

    /// The file name of the snapshot of `sequence`: `snapshot-<16 hex digits>.snap`.
    public static func fileName(sequence: UInt64) -> String { LogFormat.snapshotName(sequence: sequence) }

    /// The sequence in a snapshot file name, or nil when `name` is not one.
    public static func sequence(inFileName name: String) -> UInt64? {
        LogFormat.parseName(name, prefix: "snapshot-", suffix: ".snap")
    }

    /// Checks every byte of the snapshot file at `path` (header, every
    /// record's checksum, the trailer's count and checksums) without opening
    /// a log, for a backup just written or about to be restored.
    ///
    /// - Returns: The snapshot's sequence and how many records it holds.
    /// - Throws: DATA_LOSS naming the file, the byte offset and what is wrong;
    ///   INVALID_ARGUMENT when the name is not a snapshot's; UNAVAILABLE when it cannot be read.
    public static func check(path: String, io: any FileIO = PosixFileIO()) throws(InterviewsError) -> (
        sequence: UInt64, records: Int
    ) {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let expected = sequence(inFileName: name) else {
            throw .invalidArgument("snapshot", "\(name) is not a snapshot file name (snapshot-<16 hex digits>.snap)")
        }
        let result: Result<SnapshotFile.Summary, Damage>
        do { result = try SnapshotFile.scan(path: path, expectedSequence: expected, io: io) { _ in } } catch {
            throw error as? InterviewsError ?? InterviewsError(.unavailable, "reading \(path) failed: \(error)")
        }
        switch result {
        case .success(let summary): return (summary.sequence, summary.records)
        case .failure(let damage):
            throw InterviewsError(.dataLoss, "\(path) is damaged at byte offset \(damage.offset): \(damage.reason)")
        }
    }

    /// Starts the snapshot of every live record as of `sequence` (the header).
    public init(sequence: UInt64) {
        pending = LogFormat.header(magic: LogFormat.snapshotMagic, sequence: sequence)
    }

    /// Bytes produced and not yet taken.
    public var pendingCount: Int { pending.count }

    /// Whether the trailer was written: nothing more can be appended.
    public var isFinished: Bool { finished }

    /// Frames `record` (its kind's 6 bits, its sequence, which must be at most the snapshot's).
    public mutating func append(_ record: LogRecord) {
        precondition(!finished, "a finished snapshot takes no more records")
        let start = pending.count
        LogFormat.appendFrame(
            to: &pending, type: record.kind & LogFormat.kindMask, sequence: record.sequence, data: record.data)
        pending.withUnsafeBytes { headersCRC.update(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 8)])) }
        count += 1
    }

    /// Writes the trailer: the record count and the checksums.
    public mutating func finish() {
        guard !finished else { return }
        finished = true
        let start = pending.count
        pending.append(contentsOf: LogFormat.trailerMagic)
        pending.appendLittleEndian(count)
        pending.appendLittleEndian(headersCRC.value)
        pending.appendLittleEndian(CRC32C.checksum(pending[start...]))
    }

    /// Takes up to `maxBytes` of the bytes produced so far, in file order.
    public mutating func take(upTo maxBytes: Int) -> [UInt8] {
        guard maxBytes < pending.count else {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        let piece = Array(pending[..<maxBytes])
        pending.removeSubrange(..<maxBytes)
        return piece
    }
}

/// Where a file stops being valid, and why.
struct Damage: Error, Sendable, Hashable {
    var offset: Int64
    var reason: String
}
