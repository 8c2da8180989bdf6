import Glibc

/// The real ``FileIO``: thin wrappers over the POSIX calls, retrying `EINTR`.
public struct PosixFileIO: FileIO {
    /// Creates the POSIX file I/O.
    public init() {}

    public func open(_ path: String, _ mode: OpenMode) throws(FileIOError) -> FileDescriptor {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY
        case .readWrite: flags = O_RDWR
        case .createExclusive: flags = O_RDWR | O_CREAT | O_EXCL
        case .createTruncating: flags = O_WRONLY | O_CREAT | O_TRUNC
        case .createOrOpen: flags = O_RDWR | O_CREAT
        }
        let fd = try retrying(.open) { Glibc.open(path, flags | O_CLOEXEC, 0o600) }
        return FileDescriptor(rawValue: fd)
    }

    public func close(_ fd: FileDescriptor) {
        _ = Glibc.close(fd.rawValue)
    }

    public func write(
        _ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64
    ) throws(FileIOError) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        return try retrying(.write) { pwrite(fd.rawValue, base, bytes.count, off_t(offset)) }
    }

    public func read(
        _ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64
    ) throws(FileIOError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try retrying(.read) { pread(fd.rawValue, base, buffer.count, off_t(offset)) }
    }

    public func syncData(_ fd: FileDescriptor) throws(FileIOError) {
        _ = try retrying(.syncData) { fdatasync(fd.rawValue) }
    }

    public func sync(_ fd: FileDescriptor) throws(FileIOError) {
        _ = try retrying(.sync) { fsync(fd.rawValue) }
    }

    public func truncate(_ fd: FileDescriptor, to length: Int64) throws(FileIOError) {
        _ = try retrying(.truncate) { ftruncate(fd.rawValue, off_t(length)) }
    }

    public func size(_ fd: FileDescriptor) throws(FileIOError) -> Int64 {
        var info = stat()
        _ = try retrying(.size) { fstat(fd.rawValue, &info) }
        return Int64(info.st_size)
    }

    public func rename(_ from: String, to: String) throws(FileIOError) {
        _ = try retrying(.rename) { Glibc.rename(from, to) }
    }

    public func unlink(_ path: String) throws(FileIOError) {
        _ = try retrying(.unlink) { Glibc.unlink(path) }
    }

    public func syncDirectory(_ path: String) throws(FileIOError) {
        let fd = try retrying(.syncDirectory) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { _ = Glibc.close(fd) }
        _ = try retrying(.syncDirectory) { fsync(fd) }
    }

    public func lockExclusive(_ fd: FileDescriptor) throws(FileIOError) {
        _ = try retrying(.lock) { flock(fd.rawValue, LOCK_EX | LOCK_NB) }
    }

    public func listDirectory(_ path: String) throws(FileIOError) -> [String] {
        guard let dir = opendir(path) else { throw FileIOError(.listDirectory, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw FileIOError(.listDirectory, errno: errno) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    public func makeDirectory(_ path: String) throws(FileIOError) {
        _ = try retrying(.makeDirectory) { mkdir(path, 0o700) }
    }

    /// Runs `call` until it does not fail with `EINTR`; a result of -1 throws.
    private func retrying<R: BinaryInteger>(
        _ operation: FileOperation, _ call: () -> R
    ) throws(FileIOError) -> R {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code != EINTR { throw FileIOError(operation, errno: code) }
        }
    }
}
