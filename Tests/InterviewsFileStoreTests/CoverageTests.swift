import Foundation
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

/// A data directory must hold every sequence from 1 (or from a valid
/// snapshot's) to its end: a damaged snapshot or a missing segment that
/// leaves a gap is refused, repair says what it drops, and a damaged
/// snapshot is never removed.
@Suite("Snapshot and segment coverage")
struct CoverageTests {
    static let snapshot = "snapshot-0000000000000064.snap"
    static let segmentAfter = "log-0000000000000065.seg"

    /// 100 records (10 keys × 10 versions) compacted into snapshot 100, then
    /// 5 more in the segment after it. Returns the workload (closed log) and
    /// the bytes of the segment the compaction removed.
    static func compactedDirectory(_ directory: TemporaryDirectory) async throws -> (
        workload: KeyedWorkload, removedSegment: [UInt8]
    ) {
        var workload = KeyedWorkload(log: try openLog(directory).log)
        try await workload.put(keys: 0..<10, versions: 1...10)
        let removed = try directory.bytes("log-0000000000000001.seg")
        _ = try await workload.compact()
        try await workload.put(keys: 0..<5, versions: 11...11)
        await workload.log.close()
        #expect(try directory.names() == ["LOCK", segmentAfter, snapshot])
        return (workload, removed)
    }

    /// Flips one byte inside the first record of snapshot `name`; returns the damaged bytes.
    static func damageSnapshot(_ directory: TemporaryDirectory, _ name: String = snapshot) throws -> [UInt8] {
        var bytes = try directory.bytes(name)
        bytes[32 + 20] ^= 0x01
        try directory.write(bytes, to: name)
        return bytes
    }

    @Test("a damaged newest snapshot whose segments are gone is refused naming it; repair keeps it aside and reports")
    func damagedSnapshotRefused() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.compactedDirectory(directory)
        let damaged = try Self.damageSnapshot(directory)
        let before = try directory.names()

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        let message = refused?.message ?? ""
        #expect(message.contains("sequences 1...100"), "\(message)")
        #expect(message.contains(Self.snapshot), "\(message)")
        #expect(message.contains("record checksum mismatch"), "\(message)")
        #expect(message.contains(Self.segmentAfter), "\(message)")
        #expect(message.contains("repair"), "\(message)")
        #expect(try directory.names() == before)

        let repaired = try openLog(directory, options: LogOptions(repair: true))
        #expect(repaired.records.isEmpty)
        let report = repaired.log.recovery
        let repair = try #require(report.repair)
        #expect(repair.lostSequences == 1...105)
        #expect(repair.droppedRecords == 5)
        #expect(repair.reason.contains("sequences 1...100"))
        #expect(Set(repair.savedAs) == ["\(Self.segmentAfter).dropped", "\(Self.snapshot).damaged"])
        #expect(report.ignoredSnapshots.count == 1)
        #expect(report.ignoredSnapshots.first?.contains("\(Self.snapshot).damaged") == true)
        // The damaged snapshot still exists, byte for byte.
        #expect(try directory.bytes("\(Self.snapshot).damaged") == damaged)

        // Writes continue from the kept prefix (nothing), and a compaction
        // afterwards removes neither the damaged snapshot nor the dropped segment.
        #expect(try await repaired.log.append(LogEntry(kind: 1, data: [1])) == 1)
        _ = try await repaired.log.compact(through: try repaired.log.rotate(), records: [])
        await repaired.log.close()
        let names = try directory.names()
        #expect(names.contains("\(Self.snapshot).damaged"))
        #expect(names.contains("\(Self.segmentAfter).dropped"))
        #expect(try directory.bytes("\(Self.snapshot).damaged") == damaged)
        #expect(try await replayed(directory).report.repair == nil)
    }

    @Test("a damaged newest snapshot over an older valid one whose covering segments are gone is a gap")
    func damagedSnapshotOverAnOlderOne() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory).log)
        try await workload.put(keys: 0..<10, versions: 1...5)
        _ = try await workload.compact()
        let olderState = workload.state
        let older = try directory.bytes("snapshot-0000000000000032.snap")
        try await workload.put(keys: 0..<10, versions: 6...10)
        _ = try await workload.compact()
        try await workload.put(keys: 0..<5, versions: 11...11)
        await workload.log.close()
        // The older snapshot is back (as a compaction interrupted before it
        // was removed leaves it); the newer one is damaged.
        try directory.write(older, to: "snapshot-0000000000000032.snap")
        _ = try Self.damageSnapshot(directory)

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        #expect(refused?.message.contains("sequences 51...100") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains(Self.snapshot) == true)
        #expect(try directory.names().contains("snapshot-0000000000000032.snap"))

        let (records, report) = try await replayed(directory, options: LogOptions(repair: true))
        #expect(KeyedWorkload.state(of: records) == olderState)
        #expect(report.snapshotSequence == 50)
        #expect(report.repair?.lostSequences == 51...105)
        #expect(try directory.names().contains("\(Self.snapshot).damaged"))
        #expect(try directory.names().contains("snapshot-0000000000000032.snap"))
    }

    @Test("a damaged snapshot whose records are all in segments opens, is set aside, and compaction keeps it")
    func redundantDamagedSnapshot() async throws {
        let directory = try TemporaryDirectory()
        let (workload, removedSegment) = try await Self.compactedDirectory(directory)
        try directory.write(removedSegment, to: "log-0000000000000001.seg")
        let damaged = try Self.damageSnapshot(directory)

        var reopened = KeyedWorkload(log: try openLog(directory).log)
        let recovery = reopened.log.recovery
        #expect(recovery.snapshotSequence == nil)
        #expect(recovery.logRecords == 105)
        #expect(recovery.repair == nil)
        #expect(recovery.ignoredSnapshots.first?.hasPrefix("\(Self.snapshot): record checksum mismatch") == true)
        reopened.live = workload.live
        _ = try await reopened.compact()
        await reopened.log.close()
        #expect(try directory.bytes("\(Self.snapshot).damaged") == damaged)
        #expect(KeyedWorkload.state(of: try await replayed(directory).records) == workload.state)
    }

    @Test("a damaged snapshot beyond the end of the log is refused: its sequences are in no other file")
    func damagedSnapshotBeyondTheEnd() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.compactedDirectory(directory)
        try FileManager.default.removeItem(atPath: directory.file(Self.segmentAfter))
        _ = try Self.damageSnapshot(directory)

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        #expect(refused?.message.contains("sequences 1...100") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains(Self.snapshot) == true)

        let (records, report) = try await replayed(directory, options: LogOptions(repair: true))
        #expect(records.isEmpty)
        #expect(report.repair?.lostSequences == 1...100)
        #expect(report.repair?.savedAs == ["\(Self.snapshot).damaged"])
        #expect(try directory.names().contains("\(Self.snapshot).damaged"))
    }

    @Test("a missing first segment (of three) is refused naming the missing range; repair sets the rest aside")
    func missingFirstSegment() async throws {
        let directory = try TemporaryDirectory()
        let log = try openLog(directory, options: LogOptions(segmentSize: 400)).log
        try await appendEach(log, 1...15, size: 60)
        await log.close()
        let segments = try directory.segments()
        try #require(segments.count == 3)
        let secondBase = try #require(UInt64(segments[1].dropFirst(4).prefix(16), radix: 16))
        try FileManager.default.removeItem(atPath: directory.file(segments[0]))

        let refused = await interviewsError { _ = try openLog(directory) }
        #expect(refused?.code == .dataLoss)
        let message = refused?.message ?? ""
        #expect(message.contains("sequences 1...\(secondBase - 1)"), "\(message)")
        #expect(message.contains(segments[1]), "\(message)")
        #expect(message.contains("a segment before it is missing"), "\(message)")
        #expect(try directory.segments() == Array(segments.dropFirst()))

        let repaired = try openLog(directory, options: LogOptions(repair: true))
        #expect(repaired.records.isEmpty)
        let repair = try #require(repaired.log.recovery.repair)
        #expect(repair.file == segments[1])
        #expect(repair.lostSequences == 1...15)
        #expect(repair.droppedRecords == Int(15 - secondBase + 1))
        #expect(repair.savedAs == segments.dropFirst().map { $0 + ".dropped" })
        #expect(try await repaired.log.append(testEntry(1)) == 1)
        await repaired.log.close()
        #expect(try directory.names().filter { $0.hasSuffix(".dropped") }.count == 2)
    }
}
