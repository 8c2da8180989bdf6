/// What opening a data directory found and did.
public struct RecoveryReport: Sendable, Hashable {
    /// The sequence of the snapshot replay started from, or nil when none.
    public var snapshotSequence: UInt64?
    /// Records replayed from the snapshot.
    public var snapshotRecords: Int = 0
    /// Records replayed from log segments (those after the snapshot).
    public var logRecords: Int = 0
    /// The last sequence in the store (0 when empty); the next append gets the one after.
    public var lastSequence: UInt64 = 0
    /// The torn tail that was cut off the last segment, if there was one.
    public var tornTail: TornTail?
    /// The damage that `repair: true` cut away, if there was some.
    public var repair: RepairReport?
    /// Snapshot files that failed validation and were skipped, with the
    /// reason and the name they were set aside as (`<name>.damaged`; a
    /// damaged snapshot is never removed).
    public var ignoredSnapshots: [String] = []
    /// Files removed as leftovers of an interrupted snapshot or compaction.
    public var removedFiles: [String] = []

    /// Creates an empty report.
    public init() {}
}

/// A partial write at the end of the last segment, removed at open.
public struct TornTail: Sendable, Hashable {
    /// The segment's file name.
    public var file: String
    /// Where the torn bytes started; the segment now ends here.
    public var offset: Int64
    /// How many bytes were cut.
    public var bytes: Int64
    /// Why the bytes are not a record.
    public var reason: String
    /// The file (beside the segment) holding a copy of the cut bytes.
    public var savedAs: String
    /// The sequences of the unfinished write, as far as the cut bytes tell:
    /// from the first record not kept to the highest whole record found in
    /// the cut bytes; nil when none of them is whole. None of these records
    /// was acknowledged: their write has no whole last record.
    public var unfinishedSequences: ClosedRange<UInt64>?
}

/// What `repair: true` dropped to open a damaged log.
public struct RepairReport: Sendable, Hashable {
    /// The file where the damage is (for a gap, the first segment after it;
    /// for sequences whose only copy was a damaged snapshot, that snapshot).
    public var file: String
    /// The byte offset of the damage in that file.
    public var offset: Int64
    /// What is wrong there.
    public var reason: String
    /// Bytes no longer part of the log (the rest of the damaged file and every later segment).
    public var droppedBytes: Int64
    /// Whole records (checksum matching) dropped: those found after the
    /// damage in the damaged segment, and those of the later segments.
    public var droppedRecords: Int
    /// Files, beside the log, holding everything that was dropped.
    public var savedAs: [String]
    /// The sequences the log no longer holds: from the first one not kept
    /// to the highest one known to have existed (in the bytes set aside, a
    /// later segment, or a damaged snapshot's name). Records in this range
    /// may have been acknowledged. Nil when nothing after the damage could
    /// be identified.
    public var lostSequences: ClosedRange<UInt64>?
}

/// What a compaction wrote and removed.
public struct CompactionReport: Sendable, Hashable {
    /// The new snapshot's sequence.
    public var snapshotSequence: UInt64
    /// Records written to the snapshot.
    public var records: Int
    /// Bytes of the new snapshot file.
    public var snapshotBytes: Int64
    /// Segment and snapshot files removed because the new snapshot covers them.
    public var removedFiles: [String]
    /// Bytes the removed segments and the previous snapshot held.
    public var reclaimedBytes: Int64
}

/// How many bytes the log occupies on disk. Together with the caller's live
/// bytes (the sum of ``LogRecord/storedSize`` over the records it would put
/// in a snapshot now) this tells how much is dead.
public struct StorageStats: Sendable, Hashable {
    /// The newest snapshot's sequence, or nil.
    public var snapshotSequence: UInt64?
    /// Bytes of the newest snapshot file (0 when none).
    public var snapshotBytes: Int64
    /// Log segment files.
    public var segmentCount: Int
    /// Bytes of all segment files, headers included.
    public var segmentBytes: Int64
    /// The last sequence assigned.
    public var lastSequence: UInt64

    /// Snapshot and segment bytes.
    public var totalBytes: Int64 { snapshotBytes + segmentBytes }

    /// Bytes that a compaction would reclaim, given the caller's `liveBytes`.
    public func deadBytes(liveBytes: Int64) -> Int64 { max(0, totalBytes - liveBytes) }
}

/// When to compact: once dead bytes pass both an absolute and a relative bound.
public struct CompactionPolicy: Sendable, Hashable {
    /// Compact only once at least this many bytes are dead. Default 64 MiB.
    public var minDeadBytes: Int64
    /// ... and dead bytes are at least this fraction of the total. Default 0.5.
    public var minDeadFraction: Double

    /// Creates a policy.
    public init(minDeadBytes: Int64 = 64 << 20, minDeadFraction: Double = 0.5) {
        self.minDeadBytes = minDeadBytes
        self.minDeadFraction = minDeadFraction
    }

    /// True when `stats` and the caller's `liveBytes` pass both bounds.
    public func shouldCompact(_ stats: StorageStats, liveBytes: Int64) -> Bool {
        let dead = stats.deadBytes(liveBytes: liveBytes)
        return dead >= minDeadBytes && Double(dead) >= minDeadFraction * Double(max(stats.totalBytes, 1))
    }
}
