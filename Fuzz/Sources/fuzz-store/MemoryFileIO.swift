import InterviewsFileStore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A whole file system in memory, for opening a fuzzed data directory many
/// thousand times a second. Names point at inodes, as on POSIX, so a file
/// renamed or unlinked while open keeps its bytes for the open descriptor.
final class MemoryFileIO: FileIO {
    struct State: Sendable {
        var names: [String: Int] = [:]
        var inodes: [Int: [UInt8]] = [:]
        var directories: Set<String> = []
        var descriptors: [Int32: Int] = [:]
        var nextInode = 1
        var nextDescriptor: Int32 = 3
    }

    private let state = Mutex(State())

    init(directory: String, files: [(name: String, bytes: [UInt8])]) {
        state.withLock { state in
            state.directories.insert(directory)
            for file in files {
                state.names[directory + "/" + file.name] = state.nextInode
                state.inodes[state.nextInode] = file.bytes
                state.nextInode += 1
            }
        }
    }

    /// The regular files of `directory`, by name, sorted.
    func files(in directory: String) -> [(name: String, bytes: [UInt8])] {
        state.withLock { state in
            state.names.compactMap { path, inode -> (name: String, bytes: [UInt8])? in
                guard path.hasPrefix(directory + "/") else { return nil }
                return (name: String(path.dropFirst(directory.count + 1)), bytes: state.inodes[inode] ?? [])
            }.sorted { $0.name < $1.name }
        }
    }

    func open(_ path: String, _ mode: OpenMode) throws(FileIOError) -> FileDescriptor {
        try state.withLock { state throws(FileIOError) -> FileDescriptor in
            let inode: Int
            switch (mode, state.names[path]) {
            case (.readOnly, .some(let existing)), (.readWrite, .some(let existing)),
                (.createOrOpen, .some(let existing)):
                inode = existing
            case (.readOnly, .none), (.readWrite, .none):
                throw FileIOError(.open, errno: ENOENT)
            case (.createExclusive, .some):
                throw FileIOError(.open, errno: EEXIST)
            case (.createTruncating, .some(let existing)):
                inode = existing
                state.inodes[existing] = []
            case (.createExclusive, .none), (.createTruncating, .none), (.createOrOpen, .none):
                guard state.directories.contains(Self.parent(of: path)) else { throw FileIOError(.open, errno: ENOENT) }
                inode = state.nextInode
                state.nextInode += 1
                state.names[path] = inode
                state.inodes[inode] = []
            }
            let fd = state.nextDescriptor
            state.nextDescriptor += 1
            state.descriptors[fd] = inode
            return FileDescriptor(rawValue: fd)
        }
    }

    func close(_ fd: FileDescriptor) {
        state.withLock { _ = $0.descriptors.removeValue(forKey: fd.rawValue) }
    }

    func write(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileIOError) -> Int {
        try state.withLock { state throws(FileIOError) -> Int in
            guard let inode = state.descriptors[fd.rawValue], offset >= 0 else {
                throw FileIOError(.write, errno: EBADF)
            }
            var data = state.inodes[inode] ?? []
            let start = Int(offset)
            if data.count < start + bytes.count {
                data += [UInt8](repeating: 0, count: start + bytes.count - data.count)
            }
            data.replaceSubrange(start..<start + bytes.count, with: bytes)
            state.inodes[inode] = data
            return bytes.count
        }
    }

    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileIOError)
        -> Int
    {
        try state.withLock { state throws(FileIOError) -> Int in
            guard let inode = state.descriptors[fd.rawValue], offset >= 0 else {
                throw FileIOError(.read, errno: EBADF)
            }
            let data = state.inodes[inode] ?? []
            let start = Int(min(offset, Int64(data.count)))
            let count = min(buffer.count, data.count - start)
            data.withUnsafeBytes { source in
                guard count > 0, let from = source.baseAddress, let to = buffer.baseAddress else { return }
                to.copyMemory(from: from + start, byteCount: count)
            }
            return count
        }
    }

    func syncData(_ fd: FileDescriptor) throws(FileIOError) { try check(fd, .syncData) }

    func sync(_ fd: FileDescriptor) throws(FileIOError) { try check(fd, .sync) }

    func truncate(_ fd: FileDescriptor, to length: Int64) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            guard let inode = state.descriptors[fd.rawValue], length >= 0 else {
                throw FileIOError(.truncate, errno: EBADF)
            }
            var data = state.inodes[inode] ?? []
            let count = Int(length)
            if data.count > count {
                data.removeSubrange(count...)
            } else {
                data += [UInt8](repeating: 0, count: count - data.count)
            }
            state.inodes[inode] = data
        }
    }

    func size(_ fd: FileDescriptor) throws(FileIOError) -> Int64 {
        try state.withLock { state throws(FileIOError) -> Int64 in
            guard let inode = state.descriptors[fd.rawValue] else { throw FileIOError(.size, errno: EBADF) }
            return Int64(state.inodes[inode]?.count ?? 0)
        }
    }

    func rename(_ from: String, to: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            guard let inode = state.names.removeValue(forKey: from) else { throw FileIOError(.rename, errno: ENOENT) }
            state.names[to] = inode
        }
    }

    func unlink(_ path: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            guard state.names.removeValue(forKey: path) != nil else { throw FileIOError(.unlink, errno: ENOENT) }
        }
    }

    func syncDirectory(_ path: String) throws(FileIOError) {
        guard state.withLock({ $0.directories.contains(path) }) else {
            throw FileIOError(.syncDirectory, errno: ENOENT)
        }
    }

    func lockExclusive(_ fd: FileDescriptor) throws(FileIOError) { try check(fd, .lock) }

    func listDirectory(_ path: String) throws(FileIOError) -> [String] {
        guard state.withLock({ $0.directories.contains(path) }) else {
            throw FileIOError(.listDirectory, errno: ENOENT)
        }
        return files(in: path).map(\.name)
    }

    func makeDirectory(_ path: String) throws(FileIOError) {
        try state.withLock { state throws(FileIOError) in
            guard !state.directories.contains(path) else { throw FileIOError(.makeDirectory, errno: EEXIST) }
            state.directories.insert(path)
        }
    }

    private func check(_ fd: FileDescriptor, _ operation: FileOperation) throws(FileIOError) {
        guard state.withLock({ $0.descriptors[fd.rawValue] != nil }) else { throw FileIOError(operation, errno: EBADF) }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
