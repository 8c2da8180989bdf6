import Glibc
import Synchronization

/// A ``FileIO`` that forwards to another one and fails chosen calls: the
/// store's fault-injection seam for tests (EIO on sync, ENOSPC on write, short
/// writes, or a simulated crash after which every call fails).
///
/// Faults are armed for the N-th call of one ``FileOperation``, or for the N-th
/// call of any kind, counted from the moment they are armed. Every call is
/// recorded in ``trace`` so a test can first learn which calls an operation
/// makes, then fail each of them in turn. `close` is recorded but never failed.
///
/// Reference type: it owns the mutable fault table, shared by every user.
public final class FaultInjectingFileIO: FileIO {
    /// What happens to the chosen call.
    public enum Fault: Sendable, Hashable {
        /// The call fails with this `errno` and has no effect.
        case error(Int32)
        /// A write stores only the first half of its bytes (rounded down) and
        /// reports that count. Other calls fail with `EIO`.
        case shortWrite
        /// The call and every later call fail with `EIO` and have no effect, as
        /// if the process had died right before the call.
        case crash
    }

    private struct Armed: Sendable {
        var operation: FileOperation?
        var remaining: Int
        var fault: Fault
    }

    private struct State: Sendable {
        var armed: [Armed] = []
        var crashed = false
        var trace: [FileOperation] = []
        var triggered: [FileOperation] = []
    }

    private let base: any FileIO
    private let state = Mutex(State())

    /// Wraps `base` (the real POSIX calls by default); no fault is armed.
    public init(wrapping base: any FileIO = PosixFileIO()) {
        self.base = base
    }

    /// Arms `fault` for the `occurrence`-th (1-based) future call of `operation`.
    public func inject(_ fault: Fault, on operation: FileOperation, occurrence: Int = 1) {
        state.withLock { $0.armed.append(Armed(operation: operation, remaining: max(occurrence, 1), fault: fault)) }
    }

    /// Arms `fault` for the `index`-th (1-based) future call, whatever its kind.
    public func inject(_ fault: Fault, atCall index: Int) {
        state.withLock { $0.armed.append(Armed(operation: nil, remaining: max(index, 1), fault: fault)) }
    }

    /// Disarms every fault and ends a simulated crash; the trace is kept.
    public func heal() {
        state.withLock {
            $0.armed.removeAll()
            $0.crashed = false
        }
    }

    /// Every call made since the last ``clearTrace()``, in order.
    public var trace: [FileOperation] { state.withLock { $0.trace } }

    /// The calls that were failed so far, in order.
    public var triggered: [FileOperation] { state.withLock { $0.triggered } }

    /// Forgets the recorded calls.
    public func clearTrace() {
        state.withLock { $0.trace.removeAll() }
    }

    /// Records the call and decides whether it fails, and how.
    private func fault(for operation: FileOperation) -> Fault? {
        state.withLock { state in
            state.trace.append(operation)
            if operation == .close { return nil }
            if state.crashed { return .crash }
            var chosen: Fault?
            for index in state.armed.indices
            where state.armed[index].operation == nil || state.armed[index].operation == operation {
                state.armed[index].remaining -= 1
                if state.armed[index].remaining == 0, chosen == nil { chosen = state.armed[index].fault }
            }
            state.armed.removeAll { $0.remaining <= 0 }
            if let chosen {
                state.triggered.append(operation)
                if chosen == .crash { state.crashed = true }
            }
            return chosen
        }
    }

    /// Throws the error a non-write call fails with under `fault`.
    private func check(_ operation: FileOperation) throws(FileIOError) {
        switch fault(for: operation) {
        case nil: return
        case .error(let code): throw FileIOError(operation, errno: code)
        case .shortWrite, .crash: throw FileIOError(operation, errno: EIO)
        }
    }

    public func open(_ path: String, _ mode: OpenMode) throws(FileIOError) -> FileDescriptor {
        try check(.open)
        return try base.open(path, mode)
    }

    public func close(_ fd: FileDescriptor) {
        _ = fault(for: .close)
        base.close(fd)
    }

    public func write(
        _ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64
    ) throws(FileIOError) -> Int {
        switch fault(for: .write) {
        case nil:
            return try base.write(fd, bytes, at: offset)
        case .error(let code):
            throw FileIOError(.write, errno: code)
        case .crash:
            throw FileIOError(.write, errno: EIO)
        case .shortWrite:
            let kept = bytes.count / 2
            if kept == 0 { return 0 }
            return try base.write(fd, UnsafeRawBufferPointer(rebasing: bytes[..<kept]), at: offset)
        }
    }

    public func read(
        _ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64
    ) throws(FileIOError) -> Int {
        try check(.read)
        return try base.read(fd, into: buffer, at: offset)
    }

    public func syncData(_ fd: FileDescriptor) throws(FileIOError) {
        try check(.syncData)
        try base.syncData(fd)
    }

    public func sync(_ fd: FileDescriptor) throws(FileIOError) {
        try check(.sync)
        try base.sync(fd)
    }

    public func truncate(_ fd: FileDescriptor, to length: Int64) throws(FileIOError) {
        try check(.truncate)
        try base.truncate(fd, to: length)
    }

    public func size(_ fd: FileDescriptor) throws(FileIOError) -> Int64 {
        try check(.size)
        return try base.size(fd)
    }

    public func rename(_ from: String, to: String) throws(FileIOError) {
        try check(.rename)
        try base.rename(from, to: to)
    }

    public func unlink(_ path: String) throws(FileIOError) {
        try check(.unlink)
        try base.unlink(path)
    }

    public func syncDirectory(_ path: String) throws(FileIOError) {
        try check(.syncDirectory)
        try base.syncDirectory(path)
    }

    public func lockExclusive(_ fd: FileDescriptor) throws(FileIOError) {
        try check(.lock)
        try base.lockExclusive(fd)
    }

    public func listDirectory(_ path: String) throws(FileIOError) -> [String] {
        try check(.listDirectory)
        return try base.listDirectory(path)
    }

    public func makeDirectory(_ path: String) throws(FileIOError) {
        try check(.makeDirectory)
        try base.makeDirectory(path)
    }
}
