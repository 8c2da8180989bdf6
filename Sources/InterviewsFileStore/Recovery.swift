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
/// snapshot, checks that the snapshot and the segments hold every sequence
/// from the first to the last, checks every needed segment, cuts a torn
/// tail, refuses (or with `repair`, sets aside) damage and gaps, and replays
/// the surviving records in order. docs/STORAGE.md "Open and recovery"
/// states the rules this type implements.
struct Recovery {
    let directory: String
    let io: any FileIO
    let options: LogOptions
    private var report = RecoveryReport()
    private var directoryChanged = false
    /// Every name in the directory, kept current as files are added, so that
    /// nothing set aside replaces an earlier file of the same name.
    private var existingNames: Set<String> = []
    /// Snapshots that failed validation, newest first.
    private var damagedSnapshots: [(sequence: UInt64, name: String, damage: Damage)] = []

    init(directory: String, io: any FileIO, options: LogOptions) {
        self.directory = directory
        self.io = io
        self.options = options
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    /// Runs recovery, handing every surviving record to `replay`: first the
    /// snapshot's records, then the log's records after the snapshot, in
    /// sequence order. If this throws, discard what `replay` received.
    ///
    /// - Parameter discard: Drops every record `replay` received. Each
    ///   snapshot is read once: its records go to `replay` as they are
    ///   checked, and when it turns out damaged, `discard` is called before
    ///   the next older snapshot is tried.
    mutating func run(replay: (LogRecord) throws -> Void, discard: () -> Void) throws -> RecoveredLog {
        let names = try performing("listing", directory) { () throws(FileIOError) in try io.listDirectory(directory) }
        existingNames = Set(names)
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
            var delivered = 0
            let result = try SnapshotFile.scan(
                path: path(snapshot.name), expectedSequence: snapshot.sequence, io: io
            ) { (record: LogRecord) throws in
                delivered += 1
                try replay(record)
            }
            switch result {
            case .success(let summary):
                chosen = summary
                chosenName = snapshot.name
                report.snapshotRecords = delivered
            case .failure(let damage):
                damagedSnapshots.append((snapshot.sequence, snapshot.name, damage))
                if delivered > 0 { discard() }
            }
            if chosen != nil { break }
        }
        let covered = chosen?.sequence ?? 0
        if let chosen { report.snapshotSequence = chosen.sequence }

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

        var scan = SegmentScan(expected: covered + 1, snapshotName: chosenName)
        do {
            return try scanAndFinish(
                needed: needed, obsolete: obsolete, snapshots: snapshots, chosen: chosen, scan: &scan, replay: replay)
        } catch {
            if let active = scan.active { io.close(active.fd) }
            throw error
        }
    }

    /// Steps 6 to 10 of recovery: scans the needed segments, checks that no
    /// sequence a damaged snapshot held is gone, sets damaged snapshots
    /// aside, removes what the snapshot made obsolete, and decides where
    /// appends continue.
    private mutating func scanAndFinish(
        needed: [(base: UInt64, name: String)], obsolete: [String], snapshots: [(sequence: UInt64, name: String)],
        chosen: SnapshotFile.Summary?, scan: inout SegmentScan, replay: (LogRecord) throws -> Void
    ) throws -> RecoveredLog {
        let covered = chosen?.sequence ?? 0
        segments: for (index, segment) in needed.enumerated() {
            let outcome = try scanSegment(
                name: segment.name, base: segment.base, isLast: index == needed.count - 1, scan: &scan, replay: replay)
            switch outcome {
            case .clean:
                continue segments
            case .gap(let missing):
                try setAsideGap(missing: missing, segments: needed[index...].map(\.name), scan: &scan)
                break segments
            case .damaged(let offset, let reason, let past):
                try repairOrRefuse(
                    name: segment.name, offset: offset, reason: reason, past: past,
                    later: needed[(index + 1)...].map(\.name), scan: &scan)
                break segments
            }
        }
        try checkDamagedSnapshotsAreCovered(end: scan.expected - 1)
        try setAsideDamagedSnapshots()

        // Only now that everything needed was read and found complete:
        // finish what an interrupted compaction left behind. Only a valid
        // snapshot makes the files it covers redundant.
        if chosen != nil {
            for name in obsolete { try remove(name) }
            for snapshot in snapshots where snapshot.sequence < covered { try remove(snapshot.name) }
        }
        if directoryChanged {
            try performing("fsync of directory", directory) { () throws(FileIOError) in try io.syncDirectory(directory)
            }
        }
        let nextSequence = scan.expected
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
        /// The next sequence the log must continue with: 1, or the one after
        /// the chosen snapshot, before the first segment.
        var expected: UInt64
        /// The chosen snapshot's file name, if any (for messages).
        var snapshotName: String?
        /// Segments kept, with their sizes.
        var kept: [SegmentInfo] = []
        /// The name of the last segment scanned clean (for messages).
        var lastName: String?
        /// The last segment, left open for appending.
        var active: ActiveSegment?
        /// The sequence after the active segment's last record.
        var activeEnd: UInt64 = 0
    }

    private enum SegmentOutcome {
        case clean
        /// The segment starts after the next expected sequence: these are in no file.
        case gap(ClosedRange<UInt64>)
        case damaged(offset: Int64, reason: String, past: PastDamage?)
    }

    /// What the bytes after damage at an offset hold.
    private struct PastDamage {
        /// The sequence that belonged at the damage.
        var firstSequence: UInt64
        /// Whole records (checksum matching, plausible sequence) found after the damage.
        var records = 0
        /// The highest sequence among them.
        var highestSequence: UInt64?
        /// Why the write holding the damage was finished (so acknowledged),
        /// or nil when nothing after the damage proves it.
        var proof: String?

        /// The sequences from the damage to the highest whole record after it, if any.
        var sequences: ClosedRange<UInt64>? {
            highestSequence.map { firstSequence...max(firstSequence, $0) }
        }
    }

    /// Checks one segment and replays its records past the snapshot. Cuts a
    /// torn tail when `isLast`.
    private mutating func scanSegment(
        name: String, base: UInt64, isLast: Bool, scan: inout SegmentScan, replay: (LogRecord) throws -> Void
    ) throws -> SegmentOutcome {
        if base > scan.expected { return .gap(scan.expected...(base - 1)) }
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
                    name: name, fd: fd, reader: &reader, offset: 0, reason: problem.reason, past: nil,
                    removeFile: true)
                return .clean
            }
            return .damaged(offset: 0, reason: problem.reason, past: nil)
        case .success(let headerBase):
            guard headerBase == base else {
                return .damaged(
                    offset: 16, reason: "header base sequence \(headerBase) does not match the file name", past: nil)
            }
        }
        if base < scan.expected && !scan.kept.isEmpty {
            return .damaged(
                offset: 0,
                reason:
                    "the segment starts at sequence \(base), inside the previous segment (which ends at \(scan.expected - 1))",
                past: nil)
        }
        let replayFrom = scan.expected
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
                        offset: offset, reason: "record has sequence \(frame.sequence) where \(sequence) belongs",
                        past: nil)
                }
                if frame.sequence >= replayFrom {
                    try replay(frame.record)
                    report.logRecords += 1
                }
                sequence += 1
                last = frame
                offset = frame.end
            case .damaged(let reason):
                let past = try examinePastDamage(
                    reader: &reader, at: offset, sequence: sequence, after: last, filePath: filePath)
                guard isLast, past.proof == nil else { return .damaged(offset: offset, reason: reason, past: past) }
                try cutTornTail(
                    name: name, fd: fd, reader: &reader, offset: offset, reason: reason, past: past, removeFile: false)
                break scanning
            }
        }
        scan.expected = max(replayFrom, sequence)
        scan.kept.append(SegmentInfo(base: base, bytes: offset))
        scan.lastName = name
        if isLast {
            keepOpen = true
            scan.active = ActiveSegment(fd: fd, base: base, size: offset, nextParity: last.map { !$0.parity } ?? false)
            scan.activeEnd = sequence
        }
        return .clean
    }

    /// Looks at the bytes after damage at `offset`: the whole records still
    /// there, and whether they prove that the write holding the damage was
    /// finished — then it was synced and acknowledged, and the damage is
    /// corruption, not a torn tail.
    ///
    /// Records of one write carry the same parity bit, the next write the
    /// other one, and the last record of a write carries the commit bit. The
    /// proof is a whole record after the damage that carries the commit bit
    /// (the damaged write, or a later one, was written to its end), or that
    /// belongs to a later write (its parity differs from the damaged write's,
    /// or from another whole record after the damage): the writer starts a
    /// write only after the previous one was synced. Without a proof the
    /// damage is the unfinished last write: every whole record after it has
    /// the damaged write's parity and none is its last.
    private func examinePastDamage(
        reader: inout FileReader, at offset: Int64, sequence expected: UInt64, after previous: DecodedFrame?,
        filePath: String
    ) throws(InterviewsError) -> PastDamage {
        var past = PastDamage(firstSequence: expected)
        let lastSequence = expected &- 1
        let maxPlausible = lastSequence &+ UInt64(max(0, reader.size - offset) / Int64(LogFormat.minFrameSize)) &+ 1
        // The parity of the write the damaged bytes belong to, when the
        // record before them tells it.
        var damagedParity = previous.map { $0.commit ? !$0.parity : $0.parity }
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
            past.records += 1
            past.highestSequence = max(past.highestSequence ?? 0, frame.sequence)
            if past.proof == nil {
                if frame.commit {
                    past.proof =
                        "not a torn tail: record \(frame.sequence) after it is whole and ends its write (commit bit), so the write holding the damage was written in full and is taken as acknowledged"
                } else if let parity = damagedParity, parity != frame.parity {
                    past.proof =
                        "not a torn tail: record \(frame.sequence) after it is whole and belongs to a later write, which starts only once the write holding the damage was synced and acknowledged"
                }
            }
            if damagedParity == nil { damagedParity = frame.parity }
            position = frame.end
        }
        return past
    }

    /// Copies the bytes from `offset` to the end beside the segment as
    /// `<segment>.torn-<offset>`, then cuts the segment there (or removes it
    /// when `removeFile`), syncing each step.
    private mutating func cutTornTail(
        name: String, fd: FileDescriptor, reader: inout FileReader, offset: Int64, reason: String,
        past: PastDamage?, removeFile: Bool
    ) throws {
        let savedAs = uniqueName("\(name).torn-\(offset)")
        try saveAside(reader: &reader, from: offset, as: savedAs)
        let filePath = path(name)
        if removeFile {
            try remove(name)
        } else {
            try performing("truncating", filePath) { () throws(FileIOError) in try io.truncate(fd, to: offset) }
            try performing("fsync of", filePath) { () throws(FileIOError) in try io.sync(fd) }
        }
        report.tornTail = TornTail(
            file: name, offset: offset, bytes: reader.size - offset, reason: reason, savedAs: savedAs,
            unfinishedSequences: past?.sequences)
    }

    /// Writes the bytes of `reader` from `offset` to its end into a new file
    /// `name` in the directory, and syncs it.
    private mutating func saveAside(reader: inout FileReader, from offset: Int64, as name: String) throws {
        let target = path(name)
        let fd = try performing("creating", target) { () throws(FileIOError) in try io.open(target, .createTruncating) }
        existingNames.insert(name)
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
        name: String, offset: Int64, reason: String, past: PastDamage?, later: [String], scan: inout SegmentScan
    ) throws {
        let filePath = path(name)
        guard options.repair else {
            throw StoreErrors.corrupt(path: filePath, offset: offset, reason: reason, detail: past?.proof)
        }
        let fd = try performing("opening", filePath) { () throws(FileIOError) in try io.open(filePath, .readWrite) }
        defer { io.close(fd) }
        let size = try performing("fstat of", filePath) { () throws(FileIOError) in try io.size(fd) }
        var reader = FileReader(io: io, fd: fd, size: size)
        let keepsHeader = offset >= Int64(LogFormat.headerSize)
        let cut = keepsHeader ? offset : 0
        let damagedCopy = uniqueName("\(name).damaged-\(cut)")
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
        let base = LogFormat.parseSegmentName(name) ?? scan.expected
        // Records the snapshot covers are not lost even if the segment's copy is.
        let firstLost = max(base + UInt64(kept), scan.expected)
        var highest = past?.highestSequence
        var droppedRecords = past?.records ?? 0
        let setAside = try dropSegments(later)
        droppedRecords += setAside.records
        droppedBytes += setAside.bytes
        savedAs += setAside.savedAs
        if let last = setAside.highestSequence { highest = max(highest ?? 0, last) }
        report.repair = RepairReport(
            file: name, offset: offset, reason: past?.proof.map { "\(reason); \($0)" } ?? reason,
            droppedBytes: droppedBytes, droppedRecords: droppedRecords,
            savedAs: savedAs, lostSequences: highest.map { firstLost...max(firstLost, $0) })
        // The kept records of the damaged segment were already replayed and
        // counted into `scan` only when the segment scanned clean, so count
        // them here: the segment now ends at `cut`.
        if kept > 0 {
            scan.expected = max(scan.expected, base + UInt64(kept))
            scan.kept.append(SegmentInfo(base: base, bytes: cut))
        }
    }

    /// Sequences that no file holds before segment `segments[0]`: refuse to
    /// open, or with `repair`, keep the records before the gap and rename
    /// `segments` (the first after the gap and every later one) to
    /// `<name>.dropped`.
    private mutating func setAsideGap(
        missing: ClosedRange<UInt64>, segments: [String], scan: inout SegmentScan
    ) throws {
        let description = describeGap(missing, before: segments.first, after: scan.lastName ?? scan.snapshotName)
        guard options.repair else {
            throw StoreErrors.missing(directory: directory, description: description, from: missing.lowerBound)
        }
        let setAside = try dropSegments(segments)
        report.repair = RepairReport(
            file: segments.first ?? directory, offset: 0, reason: description, droppedBytes: setAside.bytes,
            droppedRecords: setAside.records, savedAs: setAside.savedAs,
            lostSequences: missing.lowerBound...max(missing.upperBound, setAside.highestSequence ?? 0))
    }

    /// A damaged snapshot proves that the log once reached its sequence: if
    /// the log now ends before it, the sequences after the end had their only
    /// copy in that snapshot. Refuse, or with `repair` report them lost.
    private mutating func checkDamagedSnapshotsAreCovered(end: UInt64) throws {
        guard let newest = damagedSnapshots.first, newest.sequence > end else { return }
        let missing = (end + 1)...newest.sequence
        let description = describeGap(missing, before: nil, after: nil)
        guard options.repair else {
            throw StoreErrors.missing(directory: directory, description: description, from: missing.lowerBound)
        }
        if var repair = report.repair {
            let lowest = min(repair.lostSequences?.lowerBound ?? missing.lowerBound, missing.lowerBound)
            repair.lostSequences = lowest...max(repair.lostSequences?.upperBound ?? 0, newest.sequence)
            report.repair = repair
        } else {
            report.repair = RepairReport(
                file: newest.name, offset: newest.damage.offset, reason: description,
                droppedBytes: try countRecords(name: newest.name).bytes, droppedRecords: 0, savedAs: [],
                lostSequences: missing)
        }
    }

    /// Renames every damaged snapshot to `<name>.damaged`: never removed (it
    /// may hold the only copy of a record), and out of the way of later
    /// opens and compactions.
    private mutating func setAsideDamagedSnapshots() throws {
        for snapshot in damagedSnapshots {
            let target = uniqueName(snapshot.name + ".damaged")
            try performing("renaming", path(snapshot.name)) { () throws(FileIOError) in
                try io.rename(path(snapshot.name), to: path(target))
            }
            existingNames.insert(target)
            directoryChanged = true
            report.ignoredSnapshots.append(
                "\(snapshot.name): \(snapshot.damage.reason) at byte offset \(snapshot.damage.offset); set aside as \(target)"
            )
            if var repair = report.repair, let lost = repair.lostSequences, snapshot.sequence >= lost.lowerBound {
                repair.savedAs.append(target)
                report.repair = repair
            }
        }
    }

    /// Renames each of `names` (segments no longer part of the log) to
    /// `<name>.dropped`, counting the whole records at their start.
    private mutating func dropSegments(
        _ names: [String]
    ) throws -> (records: Int, bytes: Int64, highestSequence: UInt64?, savedAs: [String]) {
        var result: (records: Int, bytes: Int64, highestSequence: UInt64?, savedAs: [String]) = (0, 0, nil, [])
        for name in names {
            let (records, bytes) = try countRecords(name: name)
            result.records += records
            result.bytes += bytes
            if records > 0, let base = LogFormat.parseSegmentName(name) {
                result.highestSequence = max(result.highestSequence ?? 0, base + UInt64(records) - 1)
            }
            let target = uniqueName(name + ".dropped")
            try performing("renaming", path(name)) { () throws(FileIOError) in
                try io.rename(path(name), to: path(target))
            }
            existingNames.insert(target)
            result.savedAs.append(target)
            directoryChanged = true
        }
        return result
    }

    /// A sentence naming the sequences no file holds, and what should have held them.
    private func describeGap(_ missing: ClosedRange<UInt64>, before next: String?, after previous: String?) -> String {
        let range =
            missing.lowerBound == missing.upperBound
            ? "sequence \(missing.lowerBound) is"
            : "sequences \(missing) (\(missing.upperBound - missing.lowerBound + 1) records) are"
        var parts: [String] = []
        for snapshot in damagedSnapshots where snapshot.sequence >= missing.lowerBound {
            parts.append(
                "\(snapshot.name), which covers up to sequence \(snapshot.sequence), is damaged (\(snapshot.damage.reason) at byte offset \(snapshot.damage.offset))"
            )
        }
        if let next {
            if let previous {
                parts.append("\(next) starts at sequence \(missing.upperBound + 1), after \(previous)")
            } else if missing.lowerBound == 1 {
                parts.append(
                    "no valid snapshot covers them and the oldest segment, \(next), starts at sequence \(missing.upperBound + 1)"
                )
            } else {
                parts.append("the oldest segment needed, \(next), starts at sequence \(missing.upperBound + 1)")
            }
            if damagedSnapshots.isEmpty { parts.append("a segment before it is missing") }
        } else {
            parts.append("the log ends at sequence \(missing.lowerBound - 1)")
        }
        return "\(range) in no file: " + parts.joined(separator: "; ")
    }

    /// `name`, or `name-2`, `name-3`, ... : the first that names no file in the directory.
    private func uniqueName(_ name: String) -> String {
        var candidate = name
        var number = 2
        while existingNames.contains(candidate) {
            candidate = "\(name)-\(number)"
            number += 1
        }
        return candidate
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
        existingNames.remove(name)
        report.removedFiles.append(name)
        directoryChanged = true
    }
}
