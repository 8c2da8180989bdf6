import Foundation
import Glibc
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsTestSupport
import Synchronization
import Testing

@Suite("Compaction of the file-backed repository")
struct CompactionTests {
    /// A closed data directory holding the workload, and its contents.
    static func prepared() async throws -> (TemporaryDirectory, Contents) {
        let directory = try TemporaryDirectory()
        let repository = try FileInterviewRepository.open(directory: directory.path)
        try await writeWorkload(repository, 1...30)
        let contents = try await Contents(repository)
        await repository.close()
        return (directory, contents)
    }

    /// A copy of `source`'s data directory in a new temporary directory.
    static func copy(of source: TemporaryDirectory) throws -> TemporaryDirectory {
        let target = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: source.path, toPath: target.path)
        return target
    }

    /// The file calls one compaction of the prepared directory makes (close excluded).
    static func compactionCalls(_ source: TemporaryDirectory) async throws -> Int {
        let directory = try copy(of: source)
        let io = FaultInjectingFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, io: io)
        io.clearTrace()
        try await repository.compact()
        let calls = io.trace.filter { $0 != .close }.count
        await repository.close()
        return calls
    }

    @Test("a crash or an EIO at every file call of a compaction reopens to the same records")
    func faultAtEveryCall() async throws {
        let (source, expected) = try await Self.prepared()
        let calls = try await Self.compactionCalls(source)
        #expect(calls >= 8)
        for call in 1...calls {
            for fault in [FaultInjectingFileIO.Fault.crash, .error(EIO)] {
                let directory = try Self.copy(of: source)
                let io = FaultInjectingFileIO()
                let repository = try FileInterviewRepository.open(directory: directory.path, io: io)
                io.inject(fault, atCall: call)
                var failure: (any Error)?
                do { try await repository.compact() } catch { failure = error }
                // The fault fired, at the chosen call, and failed the compaction
                // (as FaultInjectionTests.everyCallOfACompaction shows for the log).
                #expect(io.triggered.count == 1, "call \(call), \(fault): the fault did not fire")
                #expect(
                    (failure as? InterviewsError)?.code == .unavailable,
                    "call \(call), \(fault): \(failure.map { "\($0)" } ?? "the compaction succeeded")")
                // Reads still answer from memory, unchanged.
                #expect(try await Contents(repository).acme == expected.acme, "call \(call)")
                #expect(repository.isWritable == false, "call \(call), \(fault)")
                await repository.close()

                let reopened = try FileInterviewRepository.open(directory: directory.path)
                #expect(try await Contents(reopened) == expected, "call \(call), \(fault)")
                let next = try await reopened.create(sample(900), requestID: "", tenant: acme)
                #expect(try await reopened.stats(tenant: acme).lastSequence == expected.acmeStats.lastSequence + 1)
                #expect(try await reopened.get(id: next.id, includeDeleted: false, tenant: acme) == next)
                await reopened.close()
            }
        }
    }

    @Test("compacts when the policy says enough bytes are dead, and the files shrink")
    func policyTriggersCompaction() async throws {
        let directory = try TemporaryDirectory()
        let options = FileRepositoryOptions(
            log: LogOptions(segmentSize: 64 << 10), compaction: CompactionPolicy(minDeadBytes: 64 << 10))
        let repository = try FileInterviewRepository.open(directory: directory.path, options: options)
        var record = try await repository.create(sample(1), requestID: "", tenant: acme)
        #expect(try await repository.compactIfNeeded() == nil)
        for round in 0..<200 {
            var changes = Interview(id: record.id)
            changes.title = "Round \(round)"
            record = try await repository.update(changes, mask: ["title"], expectedRevision: 0, tenant: acme)
        }
        let before = repository.storageStats
        #expect(repository.estimatedLiveBytes() < before.totalBytes / 50)
        let report = try #require(try await repository.compactIfNeeded())
        #expect(report.snapshotSequence == 201)
        #expect(repository.storageStats.totalBytes < before.totalBytes / 10)
        #expect(try await repository.compactIfNeeded() == nil)
        await repository.close()

        let reopened = try FileInterviewRepository.open(directory: directory.path, options: options)
        #expect(try await reopened.get(id: record.id, includeDeleted: false, tenant: acme) == record)
        await reopened.close()
    }

    @Test("runCompaction compacts in the background while writes go on, until cancelled")
    func backgroundCompaction() async throws {
        let directory = try TemporaryDirectory()
        let options = FileRepositoryOptions(
            log: LogOptions(segmentSize: 32 << 10), compaction: CompactionPolicy(minDeadBytes: 32 << 10))
        let repository = try FileInterviewRepository.open(directory: directory.path, options: options)
        let reports = try await withThrowingTaskGroup(of: Int.self) { group in
            let counter = ReportCounter()
            group.addTask {
                await repository.runCompaction(checkEvery: .milliseconds(5)) { result in
                    if case .success = result { counter.add() }
                }
                return 0
            }
            var records: [Interview] = []
            for n in 1...10 { records.append(try await repository.create(sample(n), requestID: "", tenant: acme)) }
            for round in 0..<600 {
                let index = round % records.count
                var changes = Interview(id: records[index].id)
                changes.title = "Round \(round)"
                records[index] = try await repository.update(
                    changes, mask: ["title"], expectedRevision: records[index].revision, tenant: acme)
            }
            group.cancelAll()
            try await group.waitForAll()
            #expect(try await everything(repository, acme) == records)
            return counter.count
        }
        #expect(reports >= 1)
        let expected = try await Contents(repository)
        await repository.close()
        let reopened = try FileInterviewRepository.open(directory: directory.path, options: options)
        #expect(try await Contents(reopened) == expected)
        await reopened.close()
    }
}

/// Counts reports from a `@Sendable` callback.
final class ReportCounter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
