import Glibc
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

/// The faults worth trying on a call of kind `operation`.
func faults(for operation: FileOperation) -> [FaultInjectingFileIO.Fault] {
    switch operation {
    case .write: [.error(EIO), .error(ENOSPC), .shortWrite, .crash]
    default: [.error(EIO), .crash]
    }
}

/// The text the failure of `fault` must carry.
func expectedText(_ fault: FaultInjectingFileIO.Fault) -> String {
    switch fault {
    case .error(ENOSPC): "No space left on device (ENOSPC)"
    case .shortWrite: "was short"
    default: "Input/output error (EIO)"
    }
}

/// The calls `body` makes through a fresh injector, close excluded (faults
/// are armed by that numbering).
func calls(of body: (FaultInjectingFileIO) async throws -> Void) async throws -> [FileOperation] {
    let io = FaultInjectingFileIO()
    try await body(io)
    return io.trace.filter { $0 != .close }
}

@Suite("Fault injection")
struct FaultInjectionTests {
    /// How an append case sets up: options and records appended before the faulty one.
    struct AppendCase: Sendable, CustomTestStringConvertible {
        var name: String
        var before: Int
        var segmentSize: Int
        var testDescription: String { name }
    }

    static let appendCases = [
        AppendCase(name: "the first append (creates the segment)", before: 0, segmentSize: 64 << 20),
        AppendCase(name: "an append to an open segment", before: 3, segmentSize: 64 << 20),
        AppendCase(name: "an append that starts a new segment", before: 2, segmentSize: 100),
    ]

    /// Opens a log through `io` in `directory` and appends the case's records.
    static func prepare(_ testCase: AppendCase, _ directory: TemporaryDirectory, io: any FileIO) async throws
        -> DurableLog
    {
        let log = try openLog(directory, options: LogOptions(segmentSize: testCase.segmentSize), io: io).log
        if testCase.before > 0 { try await appendEach(log, 1...testCase.before, size: 60) }
        return log
    }

    @Test(
        "a fault at every I/O call of an append fails it, stops the log, loses nothing acknowledged",
        arguments: appendCases)
    func everyCallOfAnAppend(_ testCase: AppendCase) async throws {
        let trace = try await calls { io in
            let directory = try TemporaryDirectory()
            let log = try await Self.prepare(testCase, directory, io: io)
            io.clearTrace()
            _ = try await log.append(testEntry(100))
            await log.close()
        }
        #expect(trace.contains(.write) && trace.contains(.syncData))
        for (index, operation) in trace.enumerated() {
            for fault in faults(for: operation) {
                let directory = try TemporaryDirectory()
                let io = FaultInjectingFileIO()
                let log = try await Self.prepare(testCase, directory, io: io)
                io.inject(fault, atCall: index + 1)
                let failed = await interviewsError { _ = try await log.append(testEntry(100)) }
                let context = "\(testCase.name): \(fault) at call \(index + 1) (\(operation))"
                #expect(io.triggered == [operation], "\(context)")
                #expect(failed?.code == .unavailable, "\(context)")
                #expect(failed?.message.contains(expectedText(fault)) == true, "\(context): \(failed?.message ?? "")")
                #expect(!log.isWritable, "\(context)")
                let later = await interviewsError { _ = try await log.append(testEntry(101)) }
                #expect(later?.code == .unavailable, "\(context)")
                #expect(later?.message.contains("stopped accepting writes") == true, "\(context)")
                await log.close()

                let reopened = try openLog(directory, options: LogOptions(segmentSize: testCase.segmentSize))
                let expected = testCase.before > 0 ? (1...testCase.before).map { testData($0, size: 60) } : []
                let data = reopened.records.map(\.data)
                #expect(Array(data.prefix(testCase.before)) == expected, "\(context)")
                #expect(data == expected || data == expected + [testData(100)], "\(context)")
                let next = try await reopened.log.append(testEntry(102))
                #expect(next == UInt64(data.count + 1), "\(context)")
                await reopened.log.close()
                #expect(try await replayed(directory).records.map(\.data) == data + [testData(102)], "\(context)")
            }
        }
    }

    @Test("EIO on the Nth fdatasync under concurrent appenders: every acknowledged record survives")
    func syncFailureUnderConcurrency() async throws {
        let directory = try TemporaryDirectory()
        let io = FaultInjectingFileIO()
        let log = try openLog(directory, io: io).log
        io.inject(.error(EIO), on: .syncData, occurrence: 6)
        let acknowledged = await withTaskGroup(of: [UInt64: [UInt8]].self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var mine: [UInt64: [UInt8]] = [:]
                    for index in 0..<50 {
                        let entry = testEntry(writer * 100 + index)
                        guard let sequence = try? await log.append(entry) else { break }
                        mine[sequence] = entry.data
                    }
                    return mine
                }
            }
            return await group.reduce(into: [:]) { $0.merge($1) { first, _ in first } }
        }
        #expect(!log.isWritable)
        #expect(log.failure?.message.contains("fdatasync") == true)
        #expect(io.triggered == [.syncData], "the sixth fdatasync failed, and only it")
        // Five fdatasyncs succeeded before it, each acknowledging at least one record.
        #expect(acknowledged.count >= 5)
        #expect(acknowledged.count < 400)
        await log.close()
        let records = try await replayed(directory).records
        let replayedData = Dictionary(uniqueKeysWithValues: records.map { ($0.sequence, $0.data) })
        #expect(replayedData.count >= acknowledged.count)
        for (sequence, data) in acknowledged { #expect(replayedData[sequence] == data) }
    }

    @Test(
        "a fault or crash at every I/O call of a compaction stops the log and reopens to the same state",
        arguments: [FaultInjectingFileIO.Fault.crash, .error(EIO), .error(ENOSPC), .shortWrite])
    func everyCallOfACompaction(_ fault: FaultInjectingFileIO.Fault) async throws {
        /// A log with 3 keys × 4 versions over several segments, an older
        /// snapshot to replace, and one more version after it.
        func prepare(_ directory: TemporaryDirectory, io: any FileIO) async throws -> KeyedWorkload {
            var workload = KeyedWorkload(log: try openLog(directory, options: LogOptions(segmentSize: 300), io: io).log)
            try await workload.put(keys: 0..<3, versions: 1...2)
            _ = try await workload.compact()
            try await workload.put(keys: 0..<3, versions: 3...4)
            return workload
        }
        let trace = try await calls { io in
            let directory = try TemporaryDirectory()
            let workload = try await prepare(directory, io: io)
            io.clearTrace()
            _ = try await workload.compact()
            await workload.log.close()
        }
        #expect(trace.contains(.rename) && trace.contains(.unlink))
        for (index, operation) in trace.enumerated() where fault == .crash || faults(for: operation).contains(fault) {
            let context = "\(fault) at call \(index + 1) (\(operation))"
            let directory = try TemporaryDirectory()
            let io = FaultInjectingFileIO()
            let workload = try await prepare(directory, io: io)
            io.inject(fault, atCall: index + 1)
            let failed = await interviewsError { _ = try await workload.compact() }
            #expect(io.triggered.first == operation, "\(context)")
            #expect(failed?.code == .unavailable, "\(context)")
            #expect(!workload.log.isWritable, "\(context)")
            let later = await interviewsError { _ = try await workload.log.append(testEntry(1)) }
            #expect(later?.code == .unavailable, "\(context)")
            await workload.log.close()

            let reopened = try openLog(directory)
            #expect(KeyedWorkload.state(of: reopened.records) == workload.state, "\(context)")
            #expect(reopened.log.recovery.lastSequence == 12, "\(context)")
            #expect(try await reopened.log.append(testEntry(2)) == 13, "\(context)")
            await reopened.log.close()
        }
    }
}
