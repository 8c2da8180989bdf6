public import InterviewsModel

/// A backend that copies its records consistently while it serves, for the
/// Admin service's Backup: every change up to one sequence, none after it,
/// and only durable ones (what reads see).
public protocol BackupSource: Sendable {
    /// Takes the copy now. The caller reads it with ``BackupReader/next(maxBytes:)``
    /// while writes go on.
    ///
    /// - Complexity: O(1) under the backend's lock (a copy-on-write copy of
    ///   the store; the next write pays one O(n) copy), then O(n) outside it.
    func beginBackup() throws(InterviewsError) -> any BackupReader
}

/// The files of one backup, read in order, a piece at a time, so a large
/// store is never encoded in memory at once.
public protocol BackupReader {
    /// The newest change the backup holds.
    var sequence: UInt64 { get }
    /// The interviews in the backup, deleted ones included.
    var interviewCount: Int { get }
    /// The next piece of the backup: up to `maxBytes` (at least 1) of one
    /// file's bytes; a file's pieces come consecutively. Nil once every file is read.
    mutating func next(maxBytes: Int) -> BackupPiece?
}

/// Some of the bytes of one file of a backup.
public struct BackupPiece: Sendable, Hashable {
    /// The file's name in the data directory.
    public var file: String
    /// Its next bytes.
    public var data: [UInt8]

    /// Creates a piece.
    public init(file: String, data: [UInt8]) {
        self.file = file
        self.data = data
    }
}

extension InMemoryInterviewRepository {
    /// The store as of now, for a backup: an O(1) copy-on-write copy taken under the lock.
    package func copyOfStore() -> InterviewStore { store.withLock { $0 } }
}
