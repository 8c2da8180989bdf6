import Foundation
import Glibc
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Synchronization
import Testing

/// A ``FileIO`` that records, for every `fdatasync`, the name of the thread
/// that made it, and can fail one sync on demand.
final class SyncThreadIO: FileIO {
    let base = FaultInjectingFileIO()
    private let names = Mutex<[String]>([])

    /// The thread names of the syncs so far, in order.
    var syncThreads: [String] { names.withLock { $0 } }

    /// The name of the calling thread.
    static func currentThreadName() -> String {
        let fd = Glibc.open("/proc/thread-self/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "?" }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
            .trimmingCharacters(in: .newlines)
    }

    func syncData(_ fd: FileDescriptor) throws(FileIOError) {
        names.withLock { $0.append(Self.currentThreadName()) }
        try base.syncData(fd)
    }

    func open(_ path: String, _ mode: OpenMode) throws(FileIOError) -> FileDescriptor { try base.open(path, mode) }
    func close(_ fd: FileDescriptor) { base.close(fd) }
    func write(_ fd: FileDescriptor, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(FileIOError) -> Int {
        try base.write(fd, bytes, at: offset)
    }
    func read(_ fd: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileIOError)
        -> Int
    {
        try base.read(fd, into: buffer, at: offset)
    }
    func sync(_ fd: FileDescriptor) throws(FileIOError) { try base.sync(fd) }
    func truncate(_ fd: FileDescriptor, to length: Int64) throws(FileIOError) { try base.truncate(fd, to: length) }
    func size(_ fd: FileDescriptor) throws(FileIOError) -> Int64 { try base.size(fd) }
    func rename(_ from: String, to: String) throws(FileIOError) { try base.rename(from, to: to) }
    func unlink(_ path: String) throws(FileIOError) { try base.unlink(path) }
    func syncDirectory(_ path: String) throws(FileIOError) { try base.syncDirectory(path) }
    func lockExclusive(_ fd: FileDescriptor) throws(FileIOError) { try base.lockExclusive(fd) }
    func listDirectory(_ path: String) throws(FileIOError) -> [String] { try base.listDirectory(path) }
    func makeDirectory(_ path: String) throws(FileIOError) { try base.makeDirectory(path) }
}

/// The writer thread's name.
let writerThread = "filestore-wal"

@Suite("Group-commit leader: a lone appender writes and syncs its own records")
struct LeaderTests {
    @Test("sequential appends to an idle log are synced by the appending thread, not the writer thread")
    func loneAppenderLeads() async throws {
        let directory = try TemporaryDirectory()
        let io = SyncThreadIO()
        let log = try openLog(directory, io: io).log
        try await appendEach(log, 1...20)
        await log.close()
        // The first append creates the segment on the writer thread. Later
        // ones lead unless the writer is still finishing the previous sync,
        // or another log of this process holds the one leader's place.
        let threads = io.syncThreads
        #expect(threads.count >= 20)
        #expect(threads.dropFirst().contains { $0 != writerThread }, "sync threads: \(threads)")
        #expect(try await replayed(directory).records.map(\.data) == (1...20).map { testData($0) })
    }

    @Test("with callerWritesWhenIdle off, every sync runs on the writer thread")
    func writerOnly() async throws {
        let directory = try TemporaryDirectory()
        let io = SyncThreadIO()
        let log = try openLog(directory, options: LogOptions(callerWritesWhenIdle: false), io: io).log
        try await appendEach(log, 1...10)
        await log.close()
        #expect(io.syncThreads.count >= 10)
        #expect(io.syncThreads.allSatisfy { $0 == writerThread }, "sync threads: \(io.syncThreads)")
    }

    @Test("appends that arrive while a caller leads ride the writer's next batch; all are durable in order")
    func concurrentAppendsAroundALeader() async throws {
        let directory = try TemporaryDirectory()
        let io = SyncThreadIO()
        let log = try openLog(directory, io: io).log
        try await appendEach(log, 1...5)
        let sequences = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for index in 6...205 { group.addTask { try await log.append(testEntry(index)) } }
            return try await group.reduce(into: [UInt64]()) { $0.append($1) }
        }
        #expect(sequences.sorted() == Array(6...205))
        // The writer thread took over from the leader for the queued records.
        #expect(io.syncThreads.contains(writerThread))
        #expect(io.syncThreads.count < 205, "group commit batched nothing: \(io.syncThreads.count) syncs")
        await log.close()
        let records = try await replayed(directory).records
        #expect(records.map(\.sequence) == Array(1...205))
        #expect(Set(records.map(\.data)) == Set((1...205).map { testData($0) }))
    }

    @Test("a leader whose failed sync gets UNAVAILABLE stops the log, and nothing is written after the failed sync")
    func leaderSyncFailure() async throws {
        // The failing sync must be a leader's: try fresh logs until it is
        // (another log of this process may hold the leader's place).
        var led = false
        for _ in 0..<10 where !led {
            let directory = try TemporaryDirectory()
            let io = SyncThreadIO()
            let log = try openLog(directory, io: io).log
            try await appendEach(log, 1...10)
            io.base.clearTrace()
            io.base.inject(.error(EIO), on: .syncData)
            let error = await interviewsError { _ = try await log.append(testEntry(11)) }
            led = io.syncThreads.last != writerThread
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("Input/output error (EIO)") == true, "\(String(describing: error))")
            #expect(io.base.triggered == [.syncData])
            #expect(!log.isWritable)
            let refused = await interviewsError { _ = try await log.append(testEntry(12)) }
            #expect(refused?.code == .unavailable)
            await log.close()
            let trace = io.base.trace
            let failed = try #require(trace.firstIndex(of: .syncData))
            #expect(!trace[(failed + 1)...].contains(.write), "wrote after the failed sync: \(trace)")
            #expect(!trace[(failed + 1)...].contains(.syncData), "synced after the failed sync: \(trace)")
            #expect(try await replayed(directory).records.prefix(10).map(\.data) == (1...10).map { testData($0) })
        }
        #expect(led, "no attempt had the failing sync made by its caller")
    }
}
