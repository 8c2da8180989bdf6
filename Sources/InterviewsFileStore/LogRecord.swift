/// One record as the log stores it and replays it: the caller's opaque bytes,
/// the caller's kind tag, and the sequence number the log assigned.
public struct LogRecord: Sendable, Hashable {
    /// Strictly increasing across the log, starting at 1, without gaps.
    public var sequence: UInt64
    /// The caller's tag for what `data` holds, 0...63 (``LogEntry/maxKind``).
    public var kind: UInt8
    /// The caller's bytes, e.g. an `Interview` encoded with InterviewsWire.
    public var data: [UInt8]

    /// Creates a record.
    public init(sequence: UInt64, kind: UInt8, data: [UInt8]) {
        self.sequence = sequence
        self.kind = kind
        self.data = data
    }

    /// Bytes this record occupies on disk (framing included), in a segment or
    /// a snapshot. Sum it over the live records to get the live bytes that
    /// ``CompactionPolicy`` compares with ``StorageStats``.
    public var storedSize: Int { Self.storedSize(dataCount: data.count) }

    /// Bytes a record with `dataCount` bytes of data occupies on disk.
    public static func storedSize(dataCount: Int) -> Int { LogFormat.minFrameSize + dataCount }
}

/// What a caller appends: a kind tag and opaque bytes. The log assigns the
/// sequence.
public struct LogEntry: Sendable, Hashable {
    /// The largest kind: the type byte keeps its two high bits for framing.
    public static let maxKind: UInt8 = LogFormat.kindMask
    /// The most data one entry may carry: 16 MiB minus the 9-byte record header.
    public static let maxDataSize = LogFormat.maxDataSize

    /// The caller's tag, 0...``maxKind``.
    public var kind: UInt8
    /// The caller's bytes, at most ``maxDataSize``.
    public var data: [UInt8]

    /// Creates an entry.
    public init(kind: UInt8 = 0, data: [UInt8]) {
        self.kind = kind
        self.data = data
    }
}

/// How ``DurableLog/open(directory:options:io:discard:replay:)`` opens a data
/// directory, and the bounds the log enforces.
public struct LogOptions: Sendable, Hashable {
    /// Open a log that has damage before its tail, or sequences that no file
    /// holds, by keeping every record up to the damage or gap and setting the
    /// rest aside, renamed or copied, never deleted (see ``RepairReport``).
    /// Default false: such a log refuses to open with DATA_LOSS.
    public var repair: Bool
    /// Create the directory (mode 0700) when it does not exist. Default true.
    public var createDirectory: Bool
    /// A segment that has grown to this many bytes is closed and the next
    /// write starts a new one. Default 64 MiB.
    public var segmentSize: Int
    /// The most bytes one group-commit write carries (a single larger record
    /// is written alone). Default 4 MiB.
    public var maxBatchBytes: Int
    /// The most bytes of submitted records waiting for the writer; a submit
    /// beyond it throws RESOURCE_EXHAUSTED. Default 64 MiB.
    public var maxPendingBytes: Int
    /// How long opening retries while the directory lock is held before it
    /// refuses: a holder that is exiting, or a forked child of the holder
    /// that has not exec'd yet, lets go within this. Default 250 ms.
    public var lockWaitMilliseconds: Int
    /// When the log is idle (its writer asleep, nothing queued), the task
    /// that waits for its own records in ``PendingAppend/durable()`` writes
    /// and syncs them itself, on its own thread, instead of waking the writer
    /// thread and being woken back: the group-commit leader. Records
    /// submitted meanwhile ride the writer thread's next batch. At most one
    /// caller in the process leads at a time, whatever the number of open
    /// logs, so at most one thread of the caller's pool is ever parked in
    /// `fdatasync`. Default true; turn it off when a sync can
    /// block for as long as a test holds it.
    public var callerWritesWhenIdle: Bool

    /// Creates options; every parameter has the documented default.
    public init(
        repair: Bool = false, createDirectory: Bool = true, segmentSize: Int = 64 << 20,
        maxBatchBytes: Int = 4 << 20, maxPendingBytes: Int = 64 << 20, lockWaitMilliseconds: Int = 250,
        callerWritesWhenIdle: Bool = true
    ) {
        self.callerWritesWhenIdle = callerWritesWhenIdle
        self.repair = repair
        self.createDirectory = createDirectory
        self.segmentSize = segmentSize
        self.maxBatchBytes = maxBatchBytes
        self.maxPendingBytes = maxPendingBytes
        self.lockWaitMilliseconds = lockWaitMilliseconds
    }
}
