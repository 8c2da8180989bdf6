import Foundation
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsTestSupport
import Synchronization
import Testing

/// A ``FileIO`` whose `fdatasync` can be held: while the gate is closed, a
/// sync blocks (on the log's writer thread) until it opens.
final class GatedFileIO: FileIO {
    private struct Gate {
        var closed = false
        var waiting = 0
        var completed = 0
    }

    private let base = PosixFileIO()
    private let gate = Mutex(Gate())
    private let condition = NSCondition()

    /// Makes the next syncs wait.
    func close() { gate.withLock { $0.closed = true } }

    /// Lets every held and later sync through.
    func open() {
        condition.lock()
        gate.withLock { $0.closed = false }
        condition.broadcast()
        condition.unlock()
    }

    /// The number of syncs being held.
    var held: Int { gate.withLock { $0.waiting } }

    /// The number of syncs that have returned: what was written before one is durable.
    var completed: Int { gate.withLock { $0.completed } }

    func syncData(_ fd: FileDescriptor) throws(FileIOError) {
        condition.lock()
        while gate.withLock({ $0.closed }) {
            gate.withLock { $0.waiting += 1 }
            condition.wait()
            gate.withLock { $0.waiting -= 1 }
        }
        condition.unlock()
        try base.syncData(fd)
        gate.withLock { $0.completed += 1 }
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

/// A value one task records and another reads.
final class Recorded<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)
    func set(_ value: Value) { stored.withLock { $0 = value } }
    var value: Value? { stored.withLock { $0 } }
}

@Suite("Visibility: readers see durable changes only")
struct VisibilityTests {
    /// Waits until the log's writer is held in `fdatasync`.
    static func waitUntilHeld(_ io: GatedFileIO) async throws {
        try await waitUntil("a sync is held") { io.held > 0 }
    }

    /// Polls `condition` until it holds; fails after 10 s.
    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            try #require(ContinuousClock.now < deadline, "timed out waiting until \(what)")
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Held syncs run on the log's writer thread: a leader (the waiting
    /// caller writing its own records) would hold a thread of the shared pool
    /// for as long as the gate stays closed.
    static let writerSyncs = FileRepositoryOptions(log: LogOptions(callerWritesWhenIdle: false))

    @Test("a change is invisible to every read while its sync is pending, and visible when its write returns")
    func invisibleUntilDurable() async throws {
        let directory = try TemporaryDirectory()
        let io = GatedFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, options: Self.writerSyncs, io: io)
        let first = try await repository.create(sample(1), requestID: "req-1", tenant: acme)

        io.close()
        let syncsBefore = io.completed
        async let pending = repository.update(
            Interview(id: first.id, title: "changed"), mask: ["title"], expectedRevision: 1, tenant: acme)
        async let second = repository.create(sample(2), requestID: "", tenant: acme)
        // A check that fails below must not leave these writes waiting forever
        // on the held sync: declared after them, this opens the gate before
        // the scope's exit waits for them.
        defer { io.open() }
        try await Self.waitUntilHeld(io)
        // A retry of the first create answers only once everything before it
        // is durable: whenever it answers, the held sync has returned.
        let started = ReportCounter()
        let syncsWhenAnswered = Recorded<Int>()
        let retry = Task {
            started.add()
            let record = try await repository.create(sample(1), requestID: "req-1", tenant: acme)
            syncsWhenAnswered.set(io.completed)
            return record
        }
        try await Self.waitUntil("the retry has started") { started.count == 1 }

        #expect(try await repository.get(id: first.id, includeDeleted: false, tenant: acme) == first)
        #expect(try await everything(repository, acme) == [first])
        let stats = try await repository.stats(tenant: acme)
        #expect(stats.lastSequence == 1)
        #expect(stats.liveCount == 1)
        #expect(try await repository.changes(after: 1, limit: 10, tenant: acme).changes.isEmpty)
        #expect(io.held > 0 && io.completed == syncsBefore, "the sync is still held")

        io.open()
        let updated = try await pending
        let created = try await second
        #expect(try await retry.value.title == "changed")
        let answeredAfter = try #require(syncsWhenAnswered.value)
        #expect(answeredAfter > syncsBefore, "the retry answered before the held sync returned")
        #expect(try await repository.get(id: first.id, includeDeleted: false, tenant: acme) == updated)
        #expect(try await repository.get(id: created.id, includeDeleted: false, tenant: acme) == created)
        #expect(try await repository.stats(tenant: acme).lastSequence == 3)
        #expect(try await repository.changes(after: 1, limit: 10, tenant: acme).changes.count == 2)
        await repository.close()
    }

    @Test("a watcher is woken only once the change is durable")
    func watcherWakesAfterDurability() async throws {
        let directory = try TemporaryDirectory()
        let io = GatedFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, options: Self.writerSyncs, io: io)
        io.close()
        let syncsBefore = io.completed
        async let created = repository.create(sample(1), requestID: "", tenant: acme)
        defer { io.open() }
        try await Self.waitUntilHeld(io)
        // Whenever the watcher wakes (waiting first, or asking once the change
        // was submitted), the sync that makes the change durable has returned.
        let started = ReportCounter()
        let syncsWhenWoken = Recorded<Int>()
        let sequenceWoken = Recorded<UInt64>()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                started.add()
                let sequence = try await repository.waitForChanges(after: 0)
                syncsWhenWoken.set(io.completed)
                sequenceWoken.set(sequence)
            }
            try await Self.waitUntil("the watcher has started") { started.count == 1 }
            #expect(io.held > 0 && io.completed == syncsBefore, "the sync is still held")
            io.open()
            try await group.waitForAll()
        }
        _ = try await created
        let wokenAfter = try #require(syncsWhenWoken.value)
        #expect(wokenAfter > syncsBefore, "the watcher woke before the sync returned")
        #expect(sequenceWoken.value == 1)
        await repository.close()
    }
}
