public import InterviewsFileStore

/// How a ``FileInterviewRepository`` opens its data directory and when it
/// compacts. Every property has a documented default.
public struct FileRepositoryOptions: Sendable, Hashable {
    /// The log's options: `repair`, segment size, bounds (see ``LogOptions``).
    /// Default: `LogOptions()` (refuse to open a damaged log).
    public var log: LogOptions
    /// When ``FileInterviewRepository/runCompaction(checkEvery:onCompaction:)``
    /// compacts. Default: `CompactionPolicy()` (64 MiB and half of the bytes dead).
    public var compaction: CompactionPolicy
    /// Changes kept for the watch feed. Default 100 000.
    public var changeHistoryLimit: Int
    /// Request ids remembered for idempotent creates (kept across restarts).
    /// Default 100 000.
    public var idempotencyLimit: Int
    /// How long a request id is honoured, in seconds. Default 86 400 (24 h).
    public var idempotencyWindowSeconds: Int64

    /// Creates options; every parameter has the documented default.
    public init(
        log: LogOptions = LogOptions(), compaction: CompactionPolicy = CompactionPolicy(),
        changeHistoryLimit: Int = 100_000, idempotencyLimit: Int = 100_000, idempotencyWindowSeconds: Int64 = 86_400
    ) {
        self.log = log
        self.compaction = compaction
        self.changeHistoryLimit = changeHistoryLimit
        self.idempotencyLimit = idempotencyLimit
        self.idempotencyWindowSeconds = idempotencyWindowSeconds
    }
}
