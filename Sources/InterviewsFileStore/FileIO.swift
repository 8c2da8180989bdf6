/// An open file, as the number the kernel gave it. Only meaningful to the
/// ``FileIO`` that opened it.
public struct FileDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The kernel's file descriptor number.
    public let rawValue: Int32

    /// Wraps a descriptor number.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `fd <number>`.
    public var description: String { "fd \(rawValue)" }
}

/// How ``FileIO/open(_:_:)`` opens a file.
public enum OpenMode: Sendable, Hashable {
    /// An existing file, for reading only.
    case readOnly
    /// An existing file, for reading and writing.
    case readWrite
    /// A new file for reading and writing; fails with `EEXIST` if the name exists.
    case createExclusive
    /// A file for writing, created if missing and emptied if present.
    case createTruncating
    /// A file for reading and writing, created if missing, kept as is if present.
    case createOrOpen
}

/// Every kind of call a ``FileIO`` makes; the unit a ``FaultInjectingFileIO``
/// counts and fails.
public enum FileOperation: String, Sendable, Hashable, CaseIterable {
    /// ``FileIO/open(_:_:)``.
    case open
    /// ``FileIO/close(_:)``.
    case close
    /// ``FileIO/write(_:_:at:)`` (`pwrite`).
    case write
    /// ``FileIO/read(_:into:at:)`` (`pread`).
    case read
    /// ``FileIO/syncData(_:)`` (`fdatasync`).
    case syncData
    /// ``FileIO/sync(_:)`` (`fsync`).
    case sync
    /// ``FileIO/truncate(_:to:)`` (`ftruncate`).
    case truncate
    /// ``FileIO/size(_:)`` (`fstat`).
    case size
    /// ``FileIO/rename(_:to:)``.
    case rename
    /// ``FileIO/unlink(_:)``.
    case unlink
    /// ``FileIO/syncDirectory(_:)`` (open + `fsync` of a directory).
    case syncDirectory
    /// ``FileIO/lockExclusive(_:)`` (`flock`).
    case lock
    /// ``FileIO/listDirectory(_:)``.
    case listDirectory
    /// ``FileIO/makeDirectory(_:)`` (`mkdir`).
    case makeDirectory
}

/// A failed file call: which call and the OS error number.
public struct FileIOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call that failed.
    public var operation: FileOperation
    /// The `errno` the call failed with.
    public var errno: Int32

    /// Creates an error.
    public init(_ operation: FileOperation, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// The OS error text with its symbolic name, e.g. `Input/output error (EIO)`.
    public var osText: String { ErrnoText.describe(errno) }

    /// The call and the OS error text, e.g. `syncData failed: Input/output error (EIO)`.
    public var description: String { "\(operation) failed: \(osText)" }
}

/// The file-system calls the store makes, and nothing else: the seam where
/// tests inject faults. ``PosixFileIO`` is the real implementation,
/// ``FaultInjectingFileIO`` wraps one and fails chosen calls.
///
/// Paths are absolute or relative to the process's working directory. Every
/// call is synchronous and may block; the store makes them from its own
/// threads, never from the Swift concurrency pool's hot paths.
public protocol FileIO: Sendable {
    /// Opens `path` (`open(2)` with `O_CLOEXEC`; new files get mode 0600, owner only).
    func open(_ path: String, _ mode: OpenMode) throws(FileIOError) -> FileDescriptor

    /// Closes `fd` (`close(2)`). Errors are ignored: nothing the store does
    /// depends on them, because every byte it relies on was synced before.
    func close(_ fd: FileDescriptor)

    /// Writes `bytes` at `offset` (`pwrite(2)`), retrying on `EINTR`.
    ///
    /// - Returns: How many bytes were written; fewer than asked is a short write.
    func write(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileIOError) -> Int

    /// Reads into `buffer` from `offset` (`pread(2)`), retrying on `EINTR`.
    ///
    /// - Returns: How many bytes were read; 0 at end of file.
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileIOError)
        -> Int

    /// Flushes the file's data, and the metadata needed to read it back (`fdatasync(2)`).
    func syncData(_ fd: FileDescriptor) throws(FileIOError)

    /// Flushes the file's data and all its metadata (`fsync(2)`).
    func sync(_ fd: FileDescriptor) throws(FileIOError)

    /// Sets the file's length (`ftruncate(2)`).
    func truncate(_ fd: FileDescriptor, to length: Int64) throws(FileIOError)

    /// The file's length in bytes (`fstat(2)`).
    func size(_ fd: FileDescriptor) throws(FileIOError) -> Int64

    /// Atomically renames `from` to `to`, replacing `to` (`rename(2)`).
    func rename(_ from: String, to: String) throws(FileIOError)

    /// Removes the name `path` (`unlink(2)`).
    func unlink(_ path: String) throws(FileIOError)

    /// Makes the directory's entries (creations, renames, removals) durable:
    /// opens it and `fsync(2)`s it.
    func syncDirectory(_ path: String) throws(FileIOError)

    /// Takes an exclusive advisory lock without waiting (`flock(LOCK_EX | LOCK_NB)`).
    /// Throws with `EWOULDBLOCK` when another open file description holds it.
    /// The lock lasts until `fd` is closed.
    func lockExclusive(_ fd: FileDescriptor) throws(FileIOError)

    /// The names in directory `path`, without `.` and `..`, in no particular order.
    func listDirectory(_ path: String) throws(FileIOError) -> [String]

    /// Creates directory `path` with mode 0700 (`mkdir(2)`); `EEXIST` if it exists.
    func makeDirectory(_ path: String) throws(FileIOError)
}
