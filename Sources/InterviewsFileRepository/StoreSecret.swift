import Glibc
import InterviewsModel
import InterviewsRepository

/// The key page tokens are signed with, kept in `store.secret` in the data
/// directory so that tokens handed out before a restart still work after it.
///
/// The file holds exactly ``size`` random bytes, mode 0600. It is created
/// whole or not at all: the bytes are written to `store.secret.tmp-<pid>`,
/// `fsync`ed, then hard-linked to `store.secret` (which fails if the name
/// exists, so two servers starting at once agree on one secret), and the
/// directory is `fsync`ed.
enum StoreSecret {
    /// The file name inside the data directory.
    static let fileName = "store.secret"
    /// The secret's length in bytes.
    static let size = 32

    /// The directory's secret, created when missing.
    ///
    /// - Throws: DATA_LOSS when the file exists with another length;
    ///   UNAVAILABLE with the OS error when it cannot be read or created.
    static func load(directory: String) throws(InterviewsError) -> [UInt8] {
        try loadOrCreate(
            directory: directory, fileName: fileName, size: size,
            what: "a page-token secret",
            remedy: "Remove it to start with a new secret (page tokens issued before then stop working)"
        ) { InterviewStore.Configuration.randomSecret() }
    }

    /// The `size` bytes in `directory/fileName`, created from `make()` when
    /// missing, the same way as the secret (whole or not at all, mode 0600,
    /// first creator wins).
    static func loadOrCreate(
        directory: String, fileName: String, size: Int, what: String, remedy: String, make: () -> [UInt8]
    ) throws(InterviewsError) -> [UInt8] {
        let path = directory + "/" + fileName
        for _ in 0..<2 {
            if let existing = try read(path, size: size, what: what, remedy: remedy) { return existing }
            let bytes = make()
            if try create(path, bytes, directory: directory) { return bytes }
        }
        throw InterviewsError(.unavailable, "\(path) appeared and vanished while being created")
    }

    /// Removes `store.secret.tmp-*` and `store.epoch.tmp-*` files a crash
    /// left behind. Call it while holding the directory lock (no other
    /// server is creating one).
    static func removeLeftovers(directory: String, names: [String]) {
        for name in names where name.hasPrefix(fileName + ".tmp-") || name.hasPrefix(StoreEpochFile.fileName + ".tmp-")
        {
            unlink(directory + "/" + name)
        }
    }

    /// The secret in `path`, or nil when there is no such file.
    private static func read(_ path: String, size: Int, what: String, remedy: String) throws(InterviewsError)
        -> [UInt8]?
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("opening", path)
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: size + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + count, $0.count - count, off_t(count)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("reading", path)
            }
            if n == 0 { break }
            count += n
        }
        guard count == size else {
            throw InterviewsError(
                .dataLoss,
                "\(path) holds \(count == size + 1 ? "more than \(size)" : "\(count)") bytes; \(what) is exactly \(size). \(remedy)"
            )
        }
        return Array(bytes.prefix(size))
    }

    /// Writes `secret` to a temporary file and links it to `path`; false when
    /// `path` already existed (another server created it first).
    private static func create(_ path: String, _ secret: [UInt8], directory: String) throws(InterviewsError) -> Bool {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("creating", temporary) }
        defer { unlink(temporary) }
        let written = secret.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        let synced = written == secret.count && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        let savedErrno = errno
        close(fd)
        guard synced else {
            errno = written >= 0 && written < secret.count ? ENOSPC : savedErrno
            throw failure("writing", temporary)
        }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return false }
            throw failure("linking \(temporary) to", path)
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw failure("opening directory", directory) }
        defer { close(directoryFD) }
        guard fsync(directoryFD) == 0 else { throw failure("fsync of directory", directory) }
        return true
    }

    private static func failure(_ what: String, _ path: String) -> InterviewsError {
        let code = errno
        return InterviewsError(
            .unavailable, "\(what) \(path) failed: \(String(cString: strerror(code))) (errno \(code))")
    }
}

/// The store's epoch, kept in `store.epoch` in the data directory: 8 random
/// bytes (little-endian, never all zero), created with the store and kept
/// across restarts, so that a watcher can tell this store's sequences from
/// another's. Written like ``StoreSecret`` (whole or not at all, mode 0600).
enum StoreEpochFile {
    /// The file name inside the data directory.
    static let fileName = "store.epoch"

    /// The directory's epoch, created when missing.
    ///
    /// - Throws: DATA_LOSS when the file exists with another length or holds
    ///   0; UNAVAILABLE with the OS error when it cannot be read or created.
    static func load(directory: String) throws(InterviewsError) -> UInt64 {
        let remedy = "Remove it to start a new epoch (watchers must then list again and watch from 0)"
        let bytes = try StoreSecret.loadOrCreate(
            directory: directory, fileName: fileName, size: 8, what: "a store epoch", remedy: remedy
        ) {
            let epoch = StoreEpoch.random()
            return (0..<8).map { UInt8(truncatingIfNeeded: epoch >> (8 * UInt64($0))) }
        }
        let epoch = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard epoch != 0 else {
            throw InterviewsError(.dataLoss, "\(directory)/\(fileName) holds epoch 0, which is not valid. \(remedy)")
        }
        return epoch
    }
}
