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
            var buffer = LogFormat.header(magic: LogFormat.snapshotMagic, sequence: sequence)
            var headersCRC = CRC32C()
            for record in records {
                let start = buffer.count
                LogFormat.appendFrame(
                    to: &buffer, type: record.kind & LogFormat.kindMask, sequence: record.sequence, data: record.data)
                buffer.withUnsafeBytes { headersCRC.update(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 8)])) }
                if buffer.count >= writeChunk {
                    try writeFully(buffer, to: fd, at: offset, path: temporaryPath, io: io)
                    offset += Int64(buffer.count)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            buffer.append(contentsOf: LogFormat.trailerMagic)
            buffer.appendLittleEndian(UInt64(records.count))
            buffer.appendLittleEndian(headersCRC.value)
            buffer.appendLittleEndian(CRC32C.checksum(buffer.suffix(20)))
            try writeFully(buffer, to: fd, at: offset, path: temporaryPath, io: io)
            offset += Int64(buffer.count)
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

/// Where a file stops being valid, and why.
struct Damage: Error, Sendable, Hashable {
    var offset: Int64
    var reason: String
}
