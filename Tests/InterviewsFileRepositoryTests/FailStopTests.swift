import Glibc
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsTestSupport
import Testing

@Suite("Fail-stop: a failing disk stops writes, never acknowledged data")
struct FailStopTests {
    /// A fault on the log's next call of a kind, and the text the error must carry.
    struct FaultCase: Sendable, CustomTestStringConvertible {
        var operation: FileOperation
        var errno: Int32
        var text: String
        var testDescription: String { "\(operation) fails with \(text)" }
    }

    static let faultCases = [
        FaultCase(operation: .syncData, errno: EIO, text: "Input/output error (EIO)"),
        FaultCase(operation: .write, errno: ENOSPC, text: "No space left on device (ENOSPC)"),
    ]

    @Test(
        "a create whose write or sync fails is UNAVAILABLE; reads go on; a reopen keeps what was acknowledged",
        arguments: faultCases)
    func failedCreate(_ fault: FaultCase) async throws {
        let directory = try TemporaryDirectory()
        let io = FaultInjectingFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, io: io)
        var acknowledged: [Interview] = []
        for n in 1...5 {
            acknowledged.append(try await repository.create(sample(n), requestID: "req-\(n)", tenant: acme))
        }

        io.inject(.error(fault.errno), on: fault.operation)
        let error = await interviewsError { _ = try await repository.create(sample(6), requestID: "", tenant: acme) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains(fault.text) == true, "\(error?.message ?? "")")

        // Reads keep working and never show the failed create.
        #expect(try await everything(repository, acme) == acknowledged)
        let stats = try await repository.stats(tenant: acme)
        #expect(stats.writable == false)
        #expect(stats.liveCount == 5)
        #expect(stats.lastSequence == 5)
        #expect(repository.failure?.message.contains(fault.text) == true)

        // Every later write is refused with the same cause, idempotent retries included.
        for attempt in [
            { _ = try await repository.create(sample(7), requestID: "", tenant: acme) },
            { _ = try await repository.create(sample(1), requestID: "req-1", tenant: acme) },
            { _ = try await repository.delete(id: acknowledged[0].id, expectedRevision: 0, tenant: acme) },
            { _ = try await repository.upsert([sample(8)], tenant: acme) },
        ] as [() async throws -> Void] {
            let refused = await interviewsError(attempt)
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains(fault.text) == true)
        }
        await repository.close()

        let reopened = try FileInterviewRepository.open(directory: directory.path)
        let stored = try await everything(reopened, acme)
        // The failed create was never acknowledged: it may be there (whole) or not.
        #expect(Array(stored.prefix(5)) == acknowledged)
        #expect(stored.count <= 6)
        if stored.count == 6 { #expect(stored[5].title == sample(6).title) }
        _ = try await reopened.create(sample(9), requestID: "", tenant: acme)
        await reopened.close()
    }

    @Test("with many concurrent writers, every acknowledged create survives a failed sync and a reopen")
    func concurrentWritersAcrossAFailure() async throws {
        let directory = try TemporaryDirectory()
        let io = FaultInjectingFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, io: io)
        io.inject(.error(EIO), on: .syncData, occurrence: 20)
        let outcomes = await withTaskGroup(of: (acknowledged: [Interview], failures: [InterviewsError]).self) { group in
            for writer in 0..<16 {
                group.addTask {
                    var acknowledged: [Interview] = []
                    var failures: [InterviewsError] = []
                    for n in 0..<40 {
                        do {
                            acknowledged.append(
                                try await repository.create(sample(writer * 100 + n), requestID: "", tenant: acme))
                        } catch let error as InterviewsError {
                            failures.append(error)
                        } catch {
                            Issue.record("unexpected error \(error)")
                        }
                    }
                    return (acknowledged, failures)
                }
            }
            return await group.reduce(into: [(acknowledged: [Interview], failures: [InterviewsError])]()) {
                $0.append($1)
            }
        }
        let acknowledged = outcomes.flatMap(\.acknowledged)
        let failures = outcomes.flatMap(\.failures)
        #expect(io.triggered == [.syncData], "the twentieth fdatasync failed, and only it")
        // Nineteen fdatasyncs succeeded before it; all but possibly one (the
        // new segment's own, which the writer may sync before the first
        // batch) acknowledged at least one create.
        #expect(acknowledged.count >= 18)
        #expect(!failures.isEmpty)
        #expect(acknowledged.count + failures.count == 16 * 40)
        #expect(failures.allSatisfy { $0.code == .unavailable })
        #expect(try await everything(repository, acme) == acknowledged.sorted { $0.id < $1.id })
        await repository.close()

        let reopened = try FileInterviewRepository.open(directory: directory.path)
        let stored = Dictionary(uniqueKeysWithValues: try await everything(reopened, acme).map { ($0.id, $0) })
        #expect(stored.count >= acknowledged.count)
        for interview in acknowledged { #expect(stored[interview.id] == interview) }
        await reopened.close()
    }
}
