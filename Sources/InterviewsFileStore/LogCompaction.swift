import InterviewsModel

/// Compaction: a snapshot of the caller's live records replaces every
/// segment and snapshot it covers. docs/STORAGE.md "Compaction" explains why
/// every crash point is safe.
extension LogCore {
    /// Asks the writer to start a new segment with the next record, and
    /// returns the last sequence assigned before that boundary.
    func rotate() throws(InterviewsError) -> UInt64 {
        let last = try state.withLock { state throws(InterviewsError) -> UInt64 in
            if let refusal = state.refusal { throw refusal }
            let boundary = state.nextSequence
            if state.activeBase != boundary && state.rotations.last != boundary {
                state.rotations.append(boundary)
                state.writerSleeping = false
            }
            return boundary - 1
        }
        wake.signal()
        return last
    }

    /// Writes a snapshot of `records` as of `sequence`, then removes the
    /// segments and snapshots it covers. See ``DurableLog/compact(through:records:)``.
    func compact(through sequence: UInt64, records: [LogRecord]) async throws -> CompactionReport {
        for (index, record) in records.enumerated() {
            try Self.validate(kind: record.kind, dataCount: record.data.count, field: "records[\(index)]")
            guard record.sequence <= sequence else {
                throw InterviewsError.invalidArgument(
                    "records[\(index)].sequence", "is \(record.sequence), after the snapshot's sequence \(sequence)")
            }
        }
        let boundary = try state.withLock { state throws(InterviewsError) -> UInt64 in
            if let refusal = state.refusal { throw refusal }
            guard !state.compacting else {
                throw InterviewsError(.failedPrecondition, "a compaction of this log is already running")
            }
            guard sequence < state.nextSequence else {
                throw InterviewsError.invalidArgument(
                    "through", "is \(sequence); the last sequence of the log is \(state.nextSequence - 1)")
            }
            if let snapshot = state.snapshot, sequence < snapshot.sequence {
                throw InterviewsError.invalidArgument(
                    "through", "is \(sequence); the newest snapshot already covers up to \(snapshot.sequence)")
            }
            state.compacting = true
            // Old segments can go only if a segment starts right after the
            // snapshot; ask for one if nothing was appended after it yet.
            let next = sequence + 1
            if state.activeBase == next || state.rotations.contains(next) { return next }
            if state.nextSequence == next {
                state.rotations.append(next)
                state.writerSleeping = false
                return next
            }
            return 0
        }
        wake.signal()
        do {
            try await waitUntilDurable(sequence, segmentBase: boundary)
            let report = try await runOnNewThread(name: "filestore-snap") { [self] in
                try writeSnapshotAndRemoveCovered(through: sequence, records: records)
            }
            finishCompaction()
            return report
        } catch {
            if let error = error as? InterviewsError, error.code == .unavailable, state.withLock({ $0.refusal == nil })
            {
                fail(error)
            }
            finishCompaction()
            throw error
        }
    }

    /// Clears the compacting flag and completes a waiting close.
    private func finishCompaction() {
        let closers = state.withLock { state in
            state.compacting = false
            return state.takeCloseWaitersIfIdle()
        }
        for closer in closers { closer.resume() }
    }

    /// The blocking part of compaction, on its own thread: the snapshot is
    /// made durable before anything it covers is removed.
    private func writeSnapshotAndRemoveCovered(
        through sequence: UInt64, records: [LogRecord]
    ) throws(InterviewsError) -> CompactionReport {
        let snapshotBytes = try SnapshotFile.write(directory: directory, sequence: sequence, records: records, io: io)
        let newName = LogFormat.snapshotName(sequence: sequence)
        let names = try performing("listing", directory) { () throws(FileIOError) in try io.listDirectory(directory) }
        let (segments, oldSnapshotBytes) = state.withLock { state in
            (state.segments, state.snapshot.map { $0.sequence == sequence ? 0 : $0.bytes } ?? 0)
        }
        var victims: [(name: String, bytes: Int64)] = []
        var removedBases: Set<UInt64> = []
        for (index, segment) in segments.enumerated().dropLast() where segments[index + 1].base <= sequence + 1 {
            victims.append((LogFormat.segmentName(base: segment.base), segment.bytes))
            removedBases.insert(segment.base)
        }
        // Older snapshots only: the new one holds every live record as of a
        // later sequence. Damaged snapshots were renamed aside at open and
        // are never removed.
        for name in names where name != newName {
            if let older = LogFormat.parseSnapshotName(name), older < sequence { victims.append((name, 0)) }
        }
        for victim in victims {
            let path = directory + "/" + victim.name
            try performing("removing", path) { () throws(FileIOError) in try io.unlink(path) }
        }
        if !victims.isEmpty {
            try performing("fsync of directory", directory) { () throws(FileIOError) in try io.syncDirectory(directory)
            }
        }
        state.withLock { state in
            state.segments.removeAll { removedBases.contains($0.base) }
            state.snapshot = SnapshotFile.Summary(sequence: sequence, records: records.count, bytes: snapshotBytes)
        }
        return CompactionReport(
            snapshotSequence: sequence, records: records.count, snapshotBytes: snapshotBytes,
            removedFiles: victims.map(\.name),
            reclaimedBytes: victims.reduce(0) { $0 + $1.bytes } + oldSnapshotBytes)
    }
}
