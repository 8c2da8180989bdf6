import InterviewsModel

/// A segment file the open log keeps, and its size.
struct SegmentInfo: Sendable, Hashable {
    var base: UInt64
    var bytes: Int64
}

/// The segment that new records are appended to, as recovery leaves it.
struct ActiveSegment: Sendable, Hashable {
    var fd: FileDescriptor
    var base: UInt64
    /// The end of the last valid record: where the next write goes.
    var size: Int64
    /// The parity bit the next write batch carries.
    var nextParity: Bool
}

/// What opening a data directory produced.
struct RecoveredLog: Sendable {
    var report: RecoveryReport
    var nextSequence: UInt64
    var segments: [SegmentInfo]
    var active: ActiveSegment?
    var snapshot: SnapshotFile.Summary?
}

/// Opens the files of a locked data directory: picks the newest valid
/// snapshot, checks every needed segment, cuts a torn tail, refuses (or with
/// `repair`, sets aside) damage, and replays the surviving records in order.
/// docs/STORAGE.md "Open and recovery" states the rules this type implements.
struct Recovery {
    let directory: String
    let io: any FileIO
    let options: LogOptions
    private var report = RecoveryReport()
    private var directoryChanged = false

    init(directory: String, io: any FileIO, options: LogOptions) {
        self.directory = directory
        self.io = io
        self.options = options
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Runs recovery, handing every surviving record to `replay`: first the
    /// snapshot's records, then the log's records after the snapshot, in
    /// sequence order. If this throws, discard what `replay` received.
    mutating func run(replay: (LogRecord) throws -> Void) throws -> RecoveredLog {
        let names = try performing("listing", directory) { () throws(FileIOError) in try io.listDirectory(directory) }
        var segments: [(base: UInt64, name: String)] = []
        var snapshots: [(sequence: UInt64, name: String)] = []
        for name in names {
            if let base = LogFormat.parseSegmentName(name) {
                segments.append((base, name))
            } else if let sequence = LogFormat.parseSnapshotName(name) {
                snapshots.append((sequence, name))
            } else if name.hasPrefix("snapshot-") && name.hasSuffix(".snap" + LogFormat.temporarySuffix) {
                try remove(name)
            }
        }
        segments.sort { $0.base < $1.base }
        snapshots.sort { $0.sequence > $1.sequence }

        var chosen: SnapshotFile.Summary?
        var chosenName: String?
        for snapshot in snapshots {
            switch try SnapshotFile.scan(path: path(snapshot.name), expectedSequence: snapshot.sequence, io: io) {
            case .success(let summary):
                chosen = summary
                chosenName = snapshot.name
            case .failure(let damage):
                report.ignoredSnapshots.append("\(snapshot.name): \(damage.reason) at byte offset \(damage.offset)")
            }
            if chosen != nil { break }
        }
        let covered = chosen?.sequence ?? 0
        if let chosen, let chosenName {
            var delivered = 0
            let result = try SnapshotFile.scan(path: path(chosenName), expectedSequence: chosen.sequence, io: io) {
                (record: LogRecord) throws in
                delivered += 1
                try replay(record)
            }
            if case .failure(let damage) = result {
                throw StoreErrors.corrupt(path: path(chosenName), offset: damage.offset, reason: damage.reason)
            }
            report.snapshotSequence = chosen.sequence
            report.snapshotRecords = delivered
        }

        // A segment is needed unless the next one starts at or before the
        // first sequence the snapshot does not cover.
        var needed: [(base: UInt64, name: String)] = []
        var obsolete: [String] = []
        for (index, segment) in segments.enumerated() {
            if index == segments.count - 1 || segments[index + 1].base > covered + 1 {
                needed.append(segment)
            } else {
                obsolete.append(segment.name)
            }
        }

        var scan = SegmentScan(expected: chosen.map { $0.sequence + 1 })
        do {
            return try scanAndFinish(
                needed: needed, obsolete: obsolete, snapshots: snapshots, chosen: chosen, scan: &scan, replay: replay)
        } catch {
            if let active = scan.active { io.close(active.fd) }
            throw error
        }
    }

    /// Steps 6 to 10 of recovery: scans the needed segments, removes what the
    /// snapshot made obsolete, and decides where appends continue.
    private mutating func scanAndFinish(
        needed: [(base: UInt64, name: String)], obsolete: [String], snapshots: [(sequence: UInt64, name: String)],
        chosen: SnapshotFile.Summary?, scan: inout SegmentScan, replay: (LogRecord) throws -> Void
    ) throws -> RecoveredLog {
        let covered = chosen?.sequence ?? 0
        for (index, segment) in needed.enumerated() {
            let outcome = try scanSegment(
                name: segment.name, base: segment.base, isLast: index == needed.count - 1, scan: &scan, replay: replay)
            if case .damaged(let offset, let reason) = outcome {
                try repairOrRefuse(
                    name: segment.name, offset: offset, reason: reason, later: needed[(index + 1)...].map(\.name),
                    scan: &scan)
                break
            }
        }

        // Only now that everything needed was read: finish what an
        // interrupted compaction left behind.
        if chosen != nil {
            for name in obsolete { try remove(name) }
            for snapshot in snapshots where snapshot.sequence < covered { try remove(snapshot.name) }
        }
        if directoryChanged {
            try performing("fsync of directory", directory) { () throws(FileIOError) in try io.syncDirectory(directory)
            }
        }
        let nextSequence = scan.expected ?? (covered + 1)
        var active = scan.active
        if let current = active, scan.activeEnd != nextSequence {
            io.close(current.fd)
            active = nil
        }
        report.lastSequence = nextSequence - 1
        return RecoveredLog(
            report: report, nextSequence: nextSequence, segments: scan.kept, active: active, snapshot: chosen)
    }

    /// Running state across the needed segments.
    private struct SegmentScan {
        /// The next sequence the log must continue with; nil before the first
        /// segment when there is no snapshot.
        var expected: UInt64?
        /// Segments kept, with their sizes.
        var kept: [SegmentInfo] = []
        /// The last segment, left open for appending.
        var active: ActiveSegment?
        /// The sequence after the active segment's last record.
        var activeEnd: UInt64 = 0
    }

    private enum SegmentOutcome {
        case clean
        case damaged(offset: Int64, reason: String)
    }

    /// Checks one segment and replays its records past the snapshot. Cuts a
    /// torn tail when `isLast`.
    private mutating func scanSegment(
        name: String, base: UInt64, isLast: Bool, scan: inout SegmentScan, replay: (LogRecord) throws -> Void
    ) throws -> SegmentOutcome {
        let filePath = path(name)
        let fd = try performing("opening", filePath) { () throws(FileIOError) in
            try io.open(filePath, isLast ? .readWrite : .readOnly)
        }
        var keepOpen = false
        defer { if !keepOpen { io.close(fd) } }
        let size = try performing("fstat of", filePath) { () throws(FileIOError) in try io.size(fd) }
        var reader = FileReader(io: io, fd: fd, size: size)
        let header = try performing("reading", filePath) { () throws(FileIOError) in
            try reader.bytes(at: 0, count: LogFormat.headerSize)
        }
        switch LogFormat.parseHeader(header, magic: LogFormat.segmentMagic) {
        case .failure(let problem):
            // The header is written and synced before any record, so a bad
            // header in a last segment no longer than a header is an
            // interrupted segment creation.
            if isLast && size <= Int64(LogFormat.headerSize) {
                try cutTornTail(
                    name: name, fd: fd, reader: &reader, offset: 0, reason: problem.reason, removeFile: true)
                if scan.expected == nil { scan.expected = base }
                return .clean
            }
            return .damaged(offset: 0, reason: problem.reason)
        case .success(let headerBase):
            guard headerBase == base else {
                return .damaged(offset: 16, reason: "header base sequence \(headerBase) does not match the file name")
            }
        }
        if let expected = scan.expected {
            if base > expected {
                return .damaged(
                    offset: 0,
                    reason: "the segment starts at sequence \(base) but sequence \(expected) is in no file before it")
            }
            if base < expected && !scan.kept.isEmpty {
                return .damaged(
                    offset: 0,
                    reason:
                        "the segment starts at sequence \(base), inside the previous segment (which ends at \(expected - 1))"
                )
            }
        }
        let replayFrom = scan.expected ?? base
        var sequence = base
        var offset = Int64(LogFormat.headerSize)
        var last: DecodedFrame?
        scanning: while true {
            let result = try performing("reading", filePath) { () throws(FileIOError) in try reader.frame(at: offset) }
            switch result {
            case .end:
                break scanning
            case .frame(let frame):
                guard frame.sequence == sequence else {
                    return .damaged(
                        offset: offset, reason: "record has sequence \(frame.sequence) where \(sequence) belongs")
                }
                if frame.sequence >= replayFrom {
                    try replay(frame.record)
                    report.logRecords += 1
                }
                sequence += 1
                last = frame
                offset = frame.end
            case .damaged(let reason):
                guard isLast,
                    try isTornTail(reader: &reader, at: offset, sequence: sequence, after: last, filePath: filePath)
                else {
                    return .damaged(offset: offset, reason: reason)
                }
                try cutTornTail(name: name, fd: fd, reader: &reader, offset: offset, reason: reason, removeFile: false)
                break scanning
            }
        }
        scan.expected = max(replayFrom, sequence)
        scan.kept.append(SegmentInfo(base: base, bytes: offset))
        if isLast {
            keepOpen = true
            scan.active = ActiveSegment(fd: fd, base: base, size: offset, nextParity: last.map { !$0.parity } ?? false)
            scan.activeEnd = sequence
        }
        return .clean
    }

    /// Decides whether damage at `offset` of the last segment is a torn tail:
    /// the unfinished last write, which was never acknowledged.
    ///
    /// Records of one write carry the same parity bit, the next write the
    /// other one, and the last record of a write carries the commit bit. The
    /// writer only starts a write after the previous one was synced, so any
    /// valid record after the damage that belongs to a *later* write proves
    /// the damaged write was synced, and the damage is corruption. It is a
    /// torn tail when every valid record after it has one parity (different
    /// from a committed write just before it), and none follows a commit.
    private func isTornTail(
        reader: inout FileReader, at offset: Int64, sequence expected: UInt64, after previous: DecodedFrame?,
        filePath: String
    ) throws(InterviewsError) -> Bool {
        let lastSequence = expected &- 1
        let maxPlausible = lastSequence &+ UInt64(max(0, reader.size - offset) / Int64(LogFormat.minFrameSize)) &+ 1
        var parity: Bool?
        var sawCommit = false
        var position = offset + 1
        while position + Int64(LogFormat.minFrameSize) <= reader.size {
            let chunkStart = position
            let chunk = Array(
                try performing("reading", filePath) { () throws(FileIOError) in
                    try reader.bytes(at: chunkStart, count: FileReader.windowSize)
                })
            var candidate: Int64?
            chunk.withUnsafeBytes { raw in
                var index = 0
                while index + LogFormat.minFrameSize <= raw.count {
                    let length = Int(raw.loadLittleEndian(at: index, as: UInt32.self))
                    if length >= LogFormat.payloadHeaderSize, length <= LogFormat.maxPayloadSize,
                        chunkStart + Int64(index + LogFormat.frameHeaderSize + length) <= reader.size
                    {
                        let sequence = raw.loadLittleEndian(at: index + LogFormat.frameHeaderSize + 1, as: UInt64.self)
                        if sequence > lastSequence && sequence <= maxPlausible {
                            candidate = chunkStart + Int64(index)
                            return
                        }
                    }
                    index += 1
                }
            }
            guard let found = candidate else {
                position = chunkStart + Int64(max(1, chunk.count - LogFormat.minFrameSize + 1))
                continue
            }
            let result = try performing("reading", filePath) { () throws(FileIOError) in try reader.frame(at: found) }
            guard case .frame(let frame) = result else {
                position = found + 1
                continue
            }
            if sawCommit { return false }
            if let previous, previous.commit, frame.parity == previous.parity { return false }
            if let parity, parity != frame.parity { return false }
            parity = frame.parity
            sawCommit = frame.commit
            position = frame.end
        }
        return true
    }

    /// Copies the bytes from `offset` to the end beside the segment as
    /// `<segment>.torn-<offset>`, then cuts the segment there (or removes it
    /// when `removeFile`), syncing each step.
    private mutating func cutTornTail(
        name: String, fd: FileDescriptor, reader: inout FileReader, offset: Int64, reason: String, removeFile: Bool
    ) throws {
        let savedAs = "\(name).torn-\(offset)"
        try saveAside(reader: &reader, from: offset, as: savedAs)
        let filePath = path(name)
        if removeFile {
            try remove(name)
        } else {
            try performing("truncating", filePath) { () throws(FileIOError) in try io.truncate(fd, to: offset) }
            try performing("fsync of", filePath) { () throws(FileIOError) in try io.sync(fd) }
        }
        report.tornTail = TornTail(
            file: name, offset: offset, bytes: reader.size - offset, reason: reason, savedAs: savedAs)
    }

    /// Writes the bytes of `reader` from `offset` to its end into a new file
    /// `name` in the directory, and syncs it.
    private mutating func saveAside(reader: inout FileReader, from offset: Int64, as name: String) throws {
        let target = path(name)
        let fd = try performing("creating", target) { () throws(FileIOError) in try io.open(target, .createTruncating) }
        defer { io.close(fd) }
        var position = offset
        while position < reader.size {
            let start = position
            let chunk = Array(
                try performing("reading", target) { () throws(FileIOError) in
                    try reader.bytes(at: start, count: FileReader.windowSize)
                })
            if chunk.isEmpty { break }
            try writeFully(chunk, to: fd, at: position - offset, path: target, io: io)
            position += Int64(chunk.count)
        }
        try performing("fsync of", target) { () throws(FileIOError) in try io.sync(fd) }
        directoryChanged = true
        try performing("fsync of directory", directory) { () throws(FileIOError) in try io.syncDirectory(directory) }
    }

    /// Damage before the tail: refuse to open, or with `repair`, keep the
    /// records before `offset`, and set the rest of this segment and every
    /// later one aside.
    private mutating func repairOrRefuse(
        name: String, offset: Int64, reason: String, later: [String], scan: inout SegmentScan
    ) throws {
        let filePath = path(name)
        guard options.repair else { throw StoreErrors.corrupt(path: filePath, offset: offset, reason: reason) }
        let fd = try performing("opening", filePath) { () throws(FileIOError) in try io.open(filePath, .readWrite) }
        defer { io.close(fd) }
        let size = try performing("fstat of", filePath) { () throws(FileIOError) in try io.size(fd) }
        var reader = FileReader(io: io, fd: fd, size: size)
        let keepsHeader = offset >= Int64(LogFormat.headerSize)
        let cut = keepsHeader ? offset : 0
        let damagedCopy = "\(name).damaged-\(cut)"
        try saveAside(reader: &reader, from: cut, as: damagedCopy)
        var savedAs = [damagedCopy]
        var droppedBytes = size - cut
        var kept = 0
        if keepsHeader {
            try performing("truncating", filePath) { () throws(FileIOError) in try io.truncate(fd, to: cut) }
            try performing("fsync of", filePath) { () throws(FileIOError) in try io.sync(fd) }
            kept = try countRecords(name: name).records
        }
        // A segment left without records goes too: appends start a new
        // segment named after the next sequence, which may be its own name.
        if kept == 0 { try remove(name) }
        var droppedRecords = 0
        for laterName in later {
            let (records, bytes) = try countRecords(name: laterName)
            droppedRecords += records
            droppedBytes += bytes
            try performing("renaming", path(laterName)) { () throws(FileIOError) in
                try io.rename(path(laterName), to: path(laterName + ".dropped"))
            }
            savedAs.append(laterName + ".dropped")
            directoryChanged = true
        }
        report.repair = RepairReport(
            file: name, offset: offset, reason: reason, droppedBytes: droppedBytes, droppedRecords: droppedRecords,
            savedAs: savedAs)
        // The kept records of the damaged segment were already replayed and
        // counted into `scan` only when the segment scanned clean, so count
        // them here: the segment now ends at `cut`.
        if kept > 0, let base = LogFormat.parseSegmentName(name) {
            let end = base + UInt64(kept)
            scan.expected = max(scan.expected ?? base, end)
            scan.kept.append(SegmentInfo(base: base, bytes: cut))
        }
    }

    /// The valid records at the start of segment `name`, and the file's size.
    private func countRecords(name: String) throws -> (records: Int, bytes: Int64) {
        let filePath = path(name)
        let fd = try performing("opening", filePath) { () throws(FileIOError) in try io.open(filePath, .readOnly) }
        defer { io.close(fd) }
        let size = try performing("fstat of", filePath) { () throws(FileIOError) in try io.size(fd) }
        var reader = FileReader(io: io, fd: fd, size: size)
        var offset = Int64(LogFormat.headerSize)
        var records = 0
        while case .frame(let frame) = try performing(
            "reading", filePath,
            { () throws(FileIOError) in
                try reader.frame(at: offset)
            })
        {
            records += 1
            offset = frame.end
        }
        return (records, size)
    }

    /// Removes file `name` from the directory and notes it in the report.
    private mutating func remove(_ name: String) throws(InterviewsError) {
        try performing("removing", path(name)) { () throws(FileIOError) in try io.unlink(path(name)) }
        report.removedFiles.append(name)
        directoryChanged = true
    }
}
