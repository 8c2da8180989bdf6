import Foundation
import InterviewsFileStore
import InterviewsModel
import InterviewsTestSupport
import Testing

@Suite("Compaction")
struct CompactionTests {
    @Test("a compaction writes a snapshot, removes the segments it covers, and reopening gives the same state")
    func snapshotReplacesSegments() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory, options: LogOptions(segmentSize: 600)).log)
        try await workload.put(keys: 0..<10, versions: 1...10)
        let before = try directory.segments()
        #expect(before.count > 5)

        let report = try await workload.compact()
        #expect(report.snapshotSequence == 100)
        #expect(report.records == 10)
        #expect(Set(report.removedFiles) == Set(before))
        #expect(report.reclaimedBytes > 0)
        #expect(try directory.names() == ["LOCK", "log-0000000000000065.seg", "snapshot-0000000000000064.snap"])

        try await workload.put(keys: 0..<3, versions: 11...11)
        await workload.log.close()
        let (records, recovery) = try await replayed(directory)
        #expect(KeyedWorkload.state(of: records) == workload.state)
        #expect(recovery.snapshotSequence == 100)
        #expect(recovery.snapshotRecords == 10)
        #expect(recovery.logRecords == 3)
        #expect(recovery.lastSequence == 103)
    }

    @Test("appends continue while a compaction writes its snapshot")
    func appendsContinueDuringCompaction() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory).log)
        try await workload.put(keys: 0..<20, versions: 1...2)
        let (sequence, base) = try workload.capture()
        // A large snapshot: 4000 records of 2 KiB.
        let records =
            base
            + (0..<4000).map {
                LogRecord(
                    sequence: sequence, kind: 2, data: Array("big\($0):".utf8) + [UInt8](repeating: 7, count: 2048))
            }
        let log = workload.log
        async let compaction = log.compact(through: sequence, records: records)
        var appended: [UInt64] = []
        for index in 0..<20 { appended.append(try await log.append(testEntry(index))) }
        let report = try await compaction
        #expect(report.records == 4020)
        #expect(appended == Array((sequence + 1)...(sequence + 20)))
        await log.close()
        let (replayedRecords, recovery) = try await replayed(directory)
        #expect(recovery.snapshotRecords == 4020)
        #expect(Array(replayedRecords.suffix(20).map(\.data)) == (0..<20).map { testData($0) })
    }

    @Test("dead bytes grow with overwrites and the policy asks for a compaction, then not")
    func deadBytesAccounting() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory).log)
        let policy = CompactionPolicy(minDeadBytes: 4096, minDeadFraction: 0.5)
        try await workload.put(keys: 0..<10, versions: 1...1)
        var stats = workload.log.storageStats()
        #expect(stats.totalBytes == 32 + workload.liveBytes)
        #expect(!policy.shouldCompact(stats, liveBytes: workload.liveBytes))

        try await workload.put(keys: 0..<10, versions: 2...10)
        stats = workload.log.storageStats()
        #expect(stats.deadBytes(liveBytes: workload.liveBytes) == stats.totalBytes - workload.liveBytes)
        #expect(policy.shouldCompact(stats, liveBytes: workload.liveBytes))

        _ = try await workload.compact()
        stats = workload.log.storageStats()
        #expect(stats.snapshotSequence == 100)
        #expect(stats.segmentCount == 1)
        #expect(stats.deadBytes(liveBytes: workload.liveBytes) < 100)
        #expect(!policy.shouldCompact(stats, liveBytes: workload.liveBytes))
        await workload.log.close()
    }

    @Test("a partial newer snapshot and a leftover temporary file are ignored; the valid state opens")
    func partialSnapshotIgnored() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory).log)
        try await workload.put(keys: 0..<5, versions: 1...2)
        _ = try await workload.compact()
        try await workload.put(keys: 0..<5, versions: 3...3)
        await workload.log.close()

        let valid = try directory.bytes("snapshot-000000000000000a.snap")
        try directory.write(Array(valid.dropLast(10)), to: "snapshot-000000000000000f.snap")
        try directory.write(Array(valid.prefix(50)), to: "snapshot-000000000000000f.snap.tmp")

        let (records, recovery) = try await replayed(directory)
        #expect(KeyedWorkload.state(of: records) == workload.state)
        #expect(recovery.snapshotSequence == 10)
        #expect(recovery.ignoredSnapshots.count == 1)
        #expect(recovery.ignoredSnapshots.first?.hasPrefix("snapshot-000000000000000f.snap:") == true)
        #expect(recovery.removedFiles == ["snapshot-000000000000000f.snap.tmp"])
    }

    @Test("compaction arguments are checked")
    func validation() async throws {
        let directory = try TemporaryDirectory()
        var workload = KeyedWorkload(log: try openLog(directory).log)
        try await workload.put(keys: 0..<3, versions: 1...1)
        let log = workload.log
        let future = await interviewsError { _ = try await log.compact(through: 4, records: []) }
        #expect(future?.code == .invalidArgument)
        let after = await interviewsError {
            _ = try await log.compact(through: 2, records: [LogRecord(sequence: 3, kind: 0, data: [])])
        }
        #expect(after?.code == .invalidArgument)
        _ = try await log.compact(through: 3, records: Array(workload.live.values))
        let older = await interviewsError { _ = try await log.compact(through: 2, records: []) }
        #expect(older?.code == .invalidArgument)
        await log.close()
    }
}
