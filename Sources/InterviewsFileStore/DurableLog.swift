import Glibc
public import InterviewsModel

/// A durable, append-only log of opaque records in a data directory: the
/// storage engine under the file-backed repository.
///
/// - ``open(directory:options:io:discard:replay:)`` locks the directory, recovers it
///   (torn tail cut, damage refused or repaired) and replays every record:
///   the newest snapshot's, then the log's after it.
/// - ``append(_:)-(LogEntry)`` returns only once `fdatasync` covered the record.
///   Concurrent appends share one write and one sync (group commit).
/// - ``compact(through:records:)`` writes a snapshot of the caller's live
///   records and removes what it covers, while appends continue.
/// - After any failed write or sync the log is fail-stopped: every later
///   append throws UNAVAILABLE with the OS error text.
///
/// Reference type: it owns the directory lock, the open segment and the
/// writer thread. Call ``close()`` to release them; dropping the last
/// reference also stops the writer (after it drains) and unlocks.
public final class DurableLog: Sendable {
    private let core: LogCore

    /// What recovery found and did when this log was opened.
    public let recovery: RecoveryReport

    private init(core: LogCore, recovery: RecoveryReport) {
        self.core = core
        self.recovery = recovery
    }

    deinit {
        core.requestClose()
    }

    /// Opens (creating when allowed) the log in `directory` and replays it.
    ///
    /// `replay` receives every record in the store, synchronously, before this
    /// returns: first the records of the newest valid snapshot (in the order
    /// they were given to ``compact(through:records:)``), then every log record
    /// with a greater sequence, in sequence order. Nothing unfinished is ever
    /// replayed: a torn tail is cut first. If `open` throws, discard whatever
    /// `replay` received.
    ///
    /// - Parameters:
    ///   - directory: The data directory; holds `LOCK`, `log-*.seg` and `snapshot-*.snap`.
    ///   - options: Repair, bounds and creation; see ``LogOptions``.
    ///   - io: The file calls to use; tests pass a ``FaultInjectingFileIO``.
    ///   - discard: Drop every record `replay` has received. A snapshot is
    ///     read once, its records replayed as they are checked; when it turns
    ///     out damaged part-way, `discard` is called and the next older
    ///     snapshot is replayed instead.
    ///   - replay: Called once per record, in order.
    /// - Throws: FAILED_PRECONDITION naming the directory and the holder's pid
    ///   when another process (or another open log) holds it; DATA_LOSS naming
    ///   the file and byte offset of damage before the tail, or the sequences
    ///   that neither a valid snapshot nor a segment holds (a missing segment,
    ///   a damaged snapshot whose segments are gone), unless `options.repair`;
    ///   UNAVAILABLE with the OS error text when a file call
    ///   fails; whatever `replay` throws.
    /// - Complexity: Reads every byte of the needed segments once, and of the
    ///   snapshot once.
    public static func open(
        directory: String, options: LogOptions = LogOptions(), io: any FileIO = PosixFileIO(),
        discard: () -> Void, replay: (LogRecord) throws -> Void
    ) throws -> DurableLog {
        if options.createDirectory {
            let created = Result { () throws(FileIOError) in try io.makeDirectory(directory) }
            if case .failure(let error) = created, error.errno != EEXIST {
                throw StoreErrors.io(error, "creating directory", path: directory)
            }
        }
        let lock = try DirectoryLock(directory: directory, waitMilliseconds: options.lockWaitMilliseconds, io: io)
        var recovery = Recovery(directory: directory, io: io, options: options)
        let recovered = try recovery.run(replay: replay, discard: discard)
        let core = LogCore(io: io, directory: directory, options: options, lock: lock, recovered: recovered)
        do {
            try core.startWriter(active: recovered.active)
        } catch {
            if let active = recovered.active { io.close(active.fd) }
            throw error
        }
        return DurableLog(core: core, recovery: recovered.report)
    }

    /// Queues `entries` for the writer and assigns their sequences, without
    /// waiting: the consecutive sequences are in the returned value, and
    /// ``PendingAppend/durable()`` waits until they are on disk.
    ///
    /// Use this when the caller must apply a record to its own state in
    /// sequence order under its own lock, then wait for durability outside it.
    /// Records are written in sequence order; once one is durable, all before it are.
    ///
    /// - Throws: INVALID_ARGUMENT for an empty list, a kind above
    ///   ``LogEntry/maxKind`` or data above ``LogEntry/maxDataSize``;
    ///   RESOURCE_EXHAUSTED when the queue would pass
    ///   ``LogOptions/maxPendingBytes``; UNAVAILABLE once fail-stopped;
    ///   FAILED_PRECONDITION once closed.
    /// - Complexity: O(n) in the number of entries; never blocks on I/O.
    ///
    /// - Parameter leading: The caller calls ``PendingAppend/durable()`` right
    ///   after: when the log is idle it then writes and syncs the records
    ///   itself (see ``LogOptions/callerWritesWhenIdle``), so a sleeping
    ///   writer thread is not woken for them.
    public func submit(_ entries: [LogEntry], leading: Bool = false) throws(InterviewsError) -> PendingAppend {
        PendingAppend(sequences: try core.submit(entries, leading: leading), core: core)
    }

    /// Appends `entries` as consecutive records and returns their sequences
    /// once all of them are durable (written and covered by `fdatasync`).
    ///
    /// - Throws: As ``submit(_:)``, and UNAVAILABLE with the OS error text when
    ///   the write or sync fails (the log is then fail-stopped); the records
    ///   may or may not survive a restart, but were not acknowledged.
    public func append(_ entries: [LogEntry]) async throws -> ClosedRange<UInt64> {
        let pending = try submit(entries, leading: true)
        try await pending.durable()
        return pending.sequences
    }

    /// Appends one entry and returns its sequence once it is durable.
    ///
    /// - Throws: As ``append(_:)-([LogEntry])``.
    public func append(_ entry: LogEntry) async throws -> UInt64 {
        try await append([entry]).lowerBound
    }

    /// Marks a segment boundary: records submitted after this call go to a new
    /// segment. Returns the last sequence submitted before the boundary.
    ///
    /// Call it under the same lock that orders your ``submit(_:)`` calls,
    /// capture your live records there, and pass both to
    /// ``compact(through:records:)``: the snapshot then covers every segment
    /// before the boundary, and all of them are removed.
    ///
    /// - Throws: UNAVAILABLE once fail-stopped; FAILED_PRECONDITION once closed.
    public func rotate() throws(InterviewsError) -> UInt64 {
        try core.rotate()
    }

    /// Writes a snapshot holding `records` as the state of the store after
    /// sequence `sequence`, then removes every segment whose records are all
    /// at or before `sequence`, and every other snapshot.
    ///
    /// Waits until `sequence` is durable first. The snapshot is written on a
    /// thread of its own; appends continue meanwhile (into the segment started
    /// by ``rotate()``). Each record keeps its own sequence; replay hands them
    /// back in the order given here.
    ///
    /// - Parameters:
    ///   - sequence: The last sequence the snapshot reflects (from ``rotate()``).
    ///   - records: Every live record as of `sequence`; each sequence at most `sequence`.
    /// - Throws: INVALID_ARGUMENT for a record after `sequence`, a `sequence`
    ///   not yet assigned or older than the newest snapshot; FAILED_PRECONDITION
    ///   when another compaction runs or the log is closed; UNAVAILABLE when a
    ///   file call fails (the log is then fail-stopped; the old snapshot and
    ///   segments still describe the store).
    public func compact(through sequence: UInt64, records: [LogRecord]) async throws -> CompactionReport {
        try await core.compact(through: sequence, records: records)
    }

    /// Bytes on disk, for deciding when to compact (see ``CompactionPolicy``).
    public func storageStats() -> StorageStats {
        core.state.withLock { state in
            StorageStats(
                snapshotSequence: state.snapshot?.sequence, snapshotBytes: state.snapshot?.bytes ?? 0,
                segmentCount: state.segments.count, segmentBytes: state.segments.reduce(0) { $0 + $1.bytes },
                lastSequence: state.nextSequence - 1)
        }
    }

    /// The last sequence assigned (durable or not); 0 for an empty log.
    public var lastSequence: UInt64 { core.state.withLock { $0.nextSequence - 1 } }

    /// Every record up to this sequence is durable.
    public var durableSequence: UInt64 { core.state.withLock { $0.durableSequence } }

    /// False once the log is fail-stopped or closed.
    public var isWritable: Bool {
        core.state.withLock { state in
            if case .running = state.lifecycle { return true }
            return false
        }
    }

    /// The error appends get now: nil while writable, the fail-stop error
    /// (UNAVAILABLE with the OS error text) or FAILED_PRECONDITION once closed.
    public var failure: InterviewsError? { core.state.withLock { $0.refusal } }

    /// Stops accepting records, waits until the queued ones are durable (or
    /// failed) and a running compaction has finished, then closes the files
    /// and releases the directory lock. Calling it again does nothing.
    public func close() async {
        await core.close()
    }
}

/// Records queued by ``DurableLog/submit(_:)``: their sequences, and a way to
/// wait until they are durable.
public struct PendingAppend: Sendable {
    /// The consecutive sequences the log assigned.
    public let sequences: ClosedRange<UInt64>
    let core: LogCore

    /// Returns once every record of this append is durable.
    ///
    /// When the log is idle (its writer thread asleep) and these records are
    /// next, the caller writes and syncs them itself, blocking its thread for
    /// the write (see ``LogOptions/callerWritesWhenIdle``); otherwise it
    /// suspends until the writer's sync covers them.
    ///
    /// Not cancellable: the records are already queued, and the answer
    /// (durable or failed) comes with the next sync.
    ///
    /// - Throws: UNAVAILABLE with the OS error text when the write or sync
    ///   failed (fail-stop); FAILED_PRECONDITION when the log closed first.
    public func durable() async throws {
        try await core.waitUntilDurable(sequences.upperBound, mayLead: true)
    }
}
