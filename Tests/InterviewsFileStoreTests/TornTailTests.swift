import Foundation
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

@Suite("Torn tail recovery")
struct TornTailTests {
    static let segment = "log-0000000000000001.seg"

    /// A segment holding records 1...5, each written by its own append.
    static func fiveRecordSegment() async throws -> [UInt8] {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        try await appendEach(log, 1...5)
        await log.close()
        return try directory.bytes(segment)
    }

    @Test("a tail torn at every byte offset of the last record is cut and saved, and the rest opens")
    func everyOffsetOfTheLastRecord() async throws {
        let bytes = try await Self.fiveRecordSegment()
        let last = try #require(frameOffsets(bytes).last)
        for cut in last...(bytes.count - 1) {
            let directory = try TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
            try directory.write(Array(bytes[..<cut]), to: Self.segment)

            let opened = try openLog(directory)
            #expect(opened.records.map(\.data) == (1...4).map { testData($0) }, "cut at \(cut)")
            let torn = opened.log.recovery.tornTail
            if cut == last {
                #expect(torn == nil)
            } else {
                #expect(torn?.file == Self.segment)
                #expect(torn?.offset == Int64(last))
                #expect(torn?.bytes == Int64(cut - last))
                #expect(torn?.savedAs == "\(Self.segment).torn-\(last)")
                #expect(try directory.bytes("\(Self.segment).torn-\(last)") == Array(bytes[last..<cut]))
            }
            #expect(try directory.bytes(Self.segment).count == last)
            #expect(try await opened.log.append(testEntry(50)) == 5)
            await opened.log.close()

            let (records, report) = try await replayed(directory)
            #expect(records.map(\.data) == (1...4).map { testData($0) } + [testData(50)])
            #expect(report.tornTail == nil)
        }
    }

    @Test("zeros after the last record (an extended but unwritten tail) are a torn tail")
    func zeroFilledTail() async throws {
        let bytes = try await Self.fiveRecordSegment()
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try directory.write(bytes + [UInt8](repeating: 0, count: 4096), to: Self.segment)
        let (records, report) = try await replayed(directory)
        #expect(records.count == 5)
        #expect(report.tornTail?.offset == Int64(bytes.count))
        #expect(report.tornTail?.bytes == 4096)
    }

    /// A segment holding records 1...3 (one append each), then 4, 5, 6
    /// written together (one write batch, 6 carrying the commit bit), and the
    /// frame offsets.
    static func lastBatchOfThree(_ directory: TemporaryDirectory) async throws -> (bytes: [UInt8], offsets: [Int]) {
        let log = try openLog(directory).log
        try await appendEach(log, 1...3)
        _ = try await log.append([testEntry(4), testEntry(5), testEntry(6)])
        await log.close()
        let bytes = try directory.bytes(Self.segment)
        return (bytes, frameOffsets(bytes))
    }

    @Test("a hole inside the last write that also took its last record (commit bit) is a torn tail")
    func holeInsideTheLastBatch() async throws {
        let directory = try TemporaryDirectory()
        var (bytes, offsets) = try await Self.lastBatchOfThree(directory)
        // Pages persisted out of order: record 5 never made it, record 6
        // (the write's end) was cut short; record 4 survived.
        for index in offsets[4]..<offsets[5] { bytes[index] = 0 }
        try directory.write(Array(bytes[..<(offsets[5] + 12)]), to: Self.segment)

        let (records, report) = try await replayed(directory)
        #expect(records.map(\.sequence) == [1, 2, 3, 4])
        #expect(report.tornTail?.offset == Int64(offsets[4]))
        #expect(report.tornTail?.unfinishedSequences == nil)
        #expect(report.repair == nil)
    }

    @Test(
        "a flipped byte in a record of the last write, before its intact last record, is refused, not cut",
        arguments: [4, 5])
    func damageBeforeTheCommitRecord(damagedIndex: Int) async throws {
        let directory = try TemporaryDirectory()
        var (bytes, offsets) = try await Self.lastBatchOfThree(directory)
        let damaged = offsets[damagedIndex - 1]
        bytes[damaged + 20] ^= 0x01
        try directory.write(bytes, to: Self.segment)

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        #expect(refused?.message.contains(directory.file(Self.segment)) == true)
        #expect(refused?.message.contains("byte offset \(damaged)") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains("record 6") == true, "\(refused?.message ?? "")")
        // Refusing changed nothing.
        #expect(try directory.bytes(Self.segment) == bytes)
        #expect(try directory.names().allSatisfy { !$0.contains(".torn-") })

        let (records, report) = try await replayed(directory, options: LogOptions(repair: true))
        #expect(records.map(\.sequence) == Array(1...UInt64(damagedIndex - 1)))
        let repair = try #require(report.repair)
        #expect(repair.offset == Int64(damaged))
        #expect(repair.lostSequences == UInt64(damagedIndex)...6)
        #expect(repair.droppedRecords == 6 - damagedIndex)
        #expect(repair.savedAs == ["\(Self.segment).damaged-\(damaged)"])
        #expect(try directory.bytes("\(Self.segment).damaged-\(damaged)") == Array(bytes[damaged...]))
        #expect(report.tornTail == nil)
    }

    @Test("a damaged last record (bad CRC, ending at the end of the file) is a torn tail")
    func damagedLastRecord() async throws {
        var bytes = try await Self.fiveRecordSegment()
        bytes[bytes.count - 1] ^= 0x01
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try directory.write(bytes, to: Self.segment)
        let (records, report) = try await replayed(directory)
        #expect(records.count == 4)
        #expect(report.tornTail?.reason.contains("checksum") == true)
    }

    @Test("a last segment whose header was torn while being created is set aside")
    func tornSegmentHeader() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        try await appendEach(log, 1...3)
        await log.close()
        let next = "log-0000000000000004.seg"
        try directory.write(Array(try directory.bytes(Self.segment).prefix(20)), to: next)

        let opened = try openLog(directory)
        #expect(opened.records.count == 3)
        #expect(opened.log.recovery.tornTail?.file == next)
        #expect(opened.log.recovery.tornTail?.offset == 0)
        #expect(try directory.names().contains("\(next).torn-0"))
        #expect(try await opened.log.append(testEntry(4)) == 4)
        await opened.log.close()
        #expect(try directory.segments() == [Self.segment, next])
        #expect(try await replayed(directory).records.map(\.sequence) == [1, 2, 3, 4])
    }
}

@Suite("Damage before the tail")
struct CorruptionTests {
    static let segment = "log-0000000000000001.seg"

    @Test(
        "a flipped bit in an earlier record refuses to open, naming file and offset; repair keeps what precedes it",
        arguments: [0, 3, 4, 7, 8, 9, 16, 20])
    func flippedBit(byteInFrame: Int) async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        try await appendEach(log, 1...6)
        await log.close()
        var bytes = try directory.bytes(Self.segment)
        let damaged = frameOffsets(bytes)[2]
        bytes[damaged + byteInFrame] ^= 0x10
        try directory.write(bytes, to: Self.segment)

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        #expect(refused?.message.contains(directory.file(Self.segment)) == true)
        #expect(refused?.message.contains("byte offset \(damaged)") == true, "\(refused?.message ?? "")")

        let repaired = try openLog(directory, options: LogOptions(repair: true))
        #expect(repaired.records.map(\.sequence) == [1, 2])
        let repair = try #require(repaired.log.recovery.repair)
        #expect(repair.file == Self.segment)
        #expect(repair.offset == Int64(damaged))
        #expect(repair.droppedBytes == Int64(bytes.count - damaged))
        #expect(repair.savedAs == ["\(Self.segment).damaged-\(damaged)"])
        #expect(try directory.bytes("\(Self.segment).damaged-\(damaged)") == Array(bytes[damaged...]))
        #expect(try await repaired.log.append(testEntry(30)) == 3)
        await repaired.log.close()

        #expect(try await replayed(directory).records.map(\.data) == [testData(1), testData(2), testData(30)])
    }

    @Test("repair that keeps no record of a segment removes it, and appends continue in a new one")
    func repairKeepingNothing() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory).log
        try await appendEach(log, 1...6)
        await log.close()
        var bytes = try directory.bytes(Self.segment)
        bytes[frameOffsets(bytes)[0] + 12] ^= 0xFF
        try directory.write(bytes, to: Self.segment)

        let repaired = try openLog(directory, options: LogOptions(repair: true))
        #expect(repaired.records.isEmpty)
        #expect(repaired.log.recovery.repair?.offset == 32)
        #expect(try directory.names().contains("\(Self.segment).damaged-32"))
        #expect(try await repaired.log.append(testEntry(30)) == 1)
        await repaired.log.close()
        #expect(try await replayed(directory).records.map(\.data) == [testData(30)])
    }

    @Test("damage in an earlier segment refuses to open; repair drops the later segments and counts them")
    func damageInAnEarlierSegment() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory, options: LogOptions(segmentSize: 400)).log
        try await appendEach(log, 1...20, size: 60)
        await log.close()
        let segments = try directory.segments()
        #expect(segments.count >= 3)
        var first = try directory.bytes(segments[0])
        let damaged = frameOffsets(first)[1]
        first[damaged + 12] ^= 0xFF
        try directory.write(first, to: segments[0])

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        #expect(refused?.message.contains(directory.file(segments[0])) == true)
        #expect(refused?.message.contains("byte offset \(damaged)") == true)

        var laterBytes = 0
        for name in segments.dropFirst() { laterBytes += try directory.bytes(name).count }
        let (records, report) = try await replayed(directory, options: LogOptions(repair: true))
        #expect(records.map(\.sequence) == [1])
        let repair = try #require(report.repair)
        #expect(repair.droppedBytes == Int64(first.count - damaged + laterBytes))
        // Record 1 is kept, record 2 is the damaged one: the whole records
        // after it in the first segment are counted with the later segments'.
        #expect(repair.droppedRecords == 18)
        #expect(repair.lostSequences == 2...20)
        #expect(repair.savedAs.count == segments.count)
        #expect(try directory.segments() == [segments[0]])
    }

    @Test("a missing middle segment refuses to open, naming the sequence that is gone")
    func missingSegment() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory, options: LogOptions(segmentSize: 400)).log
        try await appendEach(log, 1...20, size: 60)
        await log.close()
        let segments = try directory.segments()
        try FileManager.default.removeItem(atPath: directory.file(segments[1]))
        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        #expect(refused?.message.contains(segments[2]) == true)
        #expect(refused?.message.contains("in no file") == true)
        #expect(refused?.message.contains(segments[0]) == true, "\(refused?.message ?? "")")
    }
}
