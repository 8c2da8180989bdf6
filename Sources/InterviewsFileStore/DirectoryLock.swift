import Glibc
import InterviewsModel
import Synchronization

/// The data directory's `LOCK` file, held with `flock(LOCK_EX | LOCK_NB)` for
/// as long as the store is open, and holding the owner's pid for whoever is
/// refused. The kernel drops the lock when the process dies, so a crash never
/// leaves a stale lock behind.
///
/// Reference type: it owns the lock file's descriptor and closes it (releasing
/// the lock) in ``release()`` or `deinit`.
final class DirectoryLock: Sendable {
    private let io: any FileIO
    private let fd: FileDescriptor
    private let released = Mutex(false)

    /// Takes the lock of `directory`, retrying for up to `waitMilliseconds`
    /// while it is held.
    ///
    /// The short wait is for holders that are about to let go: a process
    /// that is exiting, or a child forked by the holder (a `flock` belongs to
    /// the open file description, which a forked child shares until it execs
    /// and `O_CLOEXEC` closes it).
    ///
    /// - Throws: FAILED_PRECONDITION naming the directory and the holder's pid
    ///   when another open file (in this or another process) still holds it;
    ///   UNAVAILABLE when the lock file cannot be opened or written.
    init(directory: String, waitMilliseconds: Int, io: any FileIO) throws(InterviewsError) {
        let path = directory + "/" + LogFormat.lockName
        let fd: FileDescriptor
        do { fd = try io.open(path, .createOrOpen) } catch { throw StoreErrors.io(error, "opening", path: path) }
        let deadline = monotonicNanoseconds() + waitMilliseconds * 1_000_000
        while true {
            do {
                try io.lockExclusive(fd)
                break
            } catch {
                let held = error.errno == EWOULDBLOCK || error.errno == EAGAIN
                if held && monotonicNanoseconds() < deadline {
                    usleep(10_000)
                    continue
                }
                let holder = Self.holder(io: io, fd: fd)
                io.close(fd)
                if held { throw StoreErrors.locked(directory: directory, holder: holder) }
                throw StoreErrors.io(error, "locking", path: path)
            }
        }
        let pid = Array("\(getpid())\n".utf8)
        let written: Int
        do {
            try io.truncate(fd, to: 0)
            written = try pid.withBytes { raw throws(FileIOError) in try io.write(fd, raw, at: 0) }
        } catch {
            io.close(fd)
            throw StoreErrors.io(error, "writing the pid to", path: path)
        }
        guard written == pid.count else {
            io.close(fd)
            throw StoreErrors.shortWrite(path: path, wrote: written, of: pid.count)
        }
        self.io = io
        self.fd = fd
    }

    /// Who holds the lock, from the pid the holder wrote, e.g. `pid 1234`.
    private static func holder(io: any FileIO, fd: FileDescriptor) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = (try? buffer.withMutableBytes { raw throws(FileIOError) in try io.read(fd, into: raw, at: 0) }) ?? 0
        let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        guard let pid = Int32(text.split(whereSeparator: \.isWhitespace).first ?? "") else {
            return "pid unknown: the lock file holds no pid yet"
        }
        return "pid \(pid)"
    }

    /// Releases the lock by closing the lock file; later calls do nothing.
    func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        if first { io.close(fd) }
    }

    deinit {
        release()
    }
}

/// A data directory's `LOCK`, taken by a process that uses the directory
/// without opening a ``DurableLog`` in it (e.g. a server whose records are
/// kept in memory but whose keys live in the directory), so that it and a
/// log-backed server can never share the directory. It is the same lock
/// ``DurableLog/open(directory:options:io:discard:replay:)`` takes: whichever comes
/// second is refused.
///
/// Reference type: the lock is held until ``release()`` or `deinit`.
public final class DataDirectoryLock: Sendable {
    /// The directory whose lock is held.
    public let directory: String
    private let lock: DirectoryLock

    /// Takes the lock of `directory` (which must exist), waiting up to
    /// `waitMilliseconds` for a holder that is about to let go.
    ///
    /// - Throws: FAILED_PRECONDITION naming the directory and the holder's
    ///   pid when another process (or another open of the lock in this one)
    ///   holds it; UNAVAILABLE when the lock file cannot be opened or written.
    public init(
        directory: String, waitMilliseconds: Int = LogOptions().lockWaitMilliseconds, io: any FileIO = PosixFileIO()
    ) throws(InterviewsError) {
        self.directory = directory
        lock = try DirectoryLock(directory: directory, waitMilliseconds: waitMilliseconds, io: io)
    }

    /// Releases the lock; later calls do nothing.
    public func release() {
        lock.release()
    }
}
