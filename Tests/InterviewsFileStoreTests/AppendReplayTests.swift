import Glibc
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

@Suite("Append and replay")
struct AppendReplayTests {
    @Test("appended records replay in order after reopening")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let opened = try openLog(directory)
        #expect(opened.records.isEmpty)
        #expect(opened.log.recovery.lastSequence == 0)
        let sequences = try await appendEach(opened.log, 1...20)
        #expect(sequences == Array(1...20))
        let batch = try await opened.log.append((21...30).map { testEntry($0) })
        #expect(batch == 21...30)
        #expect(opened.log.durableSequence == 30)
        await opened.log.close()

        let (records, report) = try await replayed(directory)
        #expect(records.map(\.sequence) == Array(1...30))
        #expect(records.map(\.data) == (1...30).map { testData($0) })
        #expect(records.map(\.kind) == (1...30).map { UInt8($0 % 3) })
        #expect(report.logRecords == 30)
        #expect(report.tornTail == nil)
    }

    @Test("sequences continue after reopening, across several reopens")
    func continuesAfterReopen() async throws {
        let directory = try TemporaryDirectory()
        for round in 0..<3 {
            let opened = try openLog(directory)
            #expect(opened.records.count == round * 5)
            let sequences = try await appendEach(opened.log, (round * 5 + 1)...(round * 5 + 5))
            #expect(sequences.first == UInt64(round * 5 + 1))
            await opened.log.close()
        }
        #expect(try await replayed(directory).records.map(\.sequence) == Array(1...15))
    }

    @Test("concurrent appenders each get distinct sequences, all durable and replayed")
    func concurrentAppends() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        let acknowledged = try await withThrowingTaskGroup(of: [UInt64: [UInt8]].self) { group in
            for writer in 0..<16 {
                group.addTask {
                    var mine: [UInt64: [UInt8]] = [:]
                    for index in 0..<25 {
                        let entry = testEntry(writer * 1000 + index)
                        mine[try await log.append(entry)] = entry.data
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
        }
        #expect(acknowledged.count == 400)
        await log.close()
        let records = try await replayed(directory).records
        #expect(records.map(\.sequence) == Array(1...400))
        for record in records { #expect(acknowledged[record.sequence] == record.data) }
    }

    @Test("submit assigns sequences at once; durable() waits for the sync")
    func submitThenWait() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        let first = try log.submit([testEntry(1), testEntry(2)])
        let second = try log.submit([testEntry(3)])
        #expect(first.sequences == 1...2)
        #expect(second.sequences == 3...3)
        #expect(log.lastSequence == 3)
        try await second.durable()
        #expect(log.durableSequence >= 3)
        try await first.durable()
        await log.close()
    }

    @Test("empty appends, kinds above 63 and oversized data are INVALID_ARGUMENT")
    func rejectsBadEntries() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        let empty = await interviewsError { _ = try await log.append([]) }
        #expect(empty?.code == .invalidArgument)
        let kind = await interviewsError { _ = try await log.append(LogEntry(kind: 64, data: [])) }
        #expect(kind?.code == .invalidArgument)
        #expect(kind?.message.contains("kind") == true)
        let large = await interviewsError {
            _ = try await log.append(LogEntry(data: [UInt8](repeating: 0, count: LogEntry.maxDataSize + 1)))
        }
        #expect(large?.code == .invalidArgument)
        #expect(try await log.append(LogEntry(kind: 63, data: [])) == 1)
        await log.close()
    }

    @Test("a full write queue is RESOURCE_EXHAUSTED naming the limit")
    func boundedQueue() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory, options: LogOptions(maxPendingBytes: 1000)).log
        var refused: InterviewsError?
        var pending: [PendingAppend] = []
        for index in 0..<200 {
            do {
                pending.append(try log.submit([testEntry(index, size: 100)]))
            } catch {
                refused = error
                break
            }
        }
        #expect(refused?.code == .resourceExhausted)
        #expect(refused?.message.contains("maxPendingBytes 1000") == true)
        for append in pending { try await append.durable() }
        await log.close()
    }

    @Test("after close, appends are FAILED_PRECONDITION")
    func closedLogRefuses() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        await log.close()
        let error = await interviewsError { _ = try await log.append(testEntry(1)) }
        #expect(error?.code == .failedPrecondition)
        #expect(log.isWritable == false)
        await log.close()
    }

    @Test("segments rotate at the size limit and replay across them")
    func rotatesBySize() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory, options: LogOptions(segmentSize: 1024)).log
        try await appendEach(log, 1...60, size: 100)
        await log.close()
        let segments = try directory.segments()
        #expect(segments.count > 3)
        #expect(segments.first == "log-0000000000000001.seg")
        #expect(try await replayed(directory).records.map(\.data) == (1...60).map { testData($0, size: 100) })
    }
}

@Suite("Directory lock")
struct DirectoryLockTests {
    @Test("a second opener is refused, naming the directory and the holder's pid")
    func secondOpenerRefused() async throws {
        let directory = try TemporaryDirectory()
        let first = try openLog(directory).log
        let error = await interviewsError { _ = try openLog(directory) }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains(directory.path) == true)
        #expect(error?.message.contains("pid \(getpid())") == true)
        await first.close()
        let again = try openLog(directory).log
        await again.close()
    }
}
