import Foundation
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsTestSupport
import InterviewsWire
import Testing

@Suite("What the repository writes to the log, and what it refuses to replay")
struct RecordFormatTests {
    /// The records a closed data directory replays, as the log sees them.
    static func records(_ directory: TemporaryDirectory) async throws -> [LogRecord] {
        var records: [LogRecord] = []
        let log = try DurableLog.open(
            directory: directory.path, discard: { records.removeAll() }, replay: { records.append($0) })
        await log.close()
        return records
    }

    @Test("a change record holds kind, version, request id and the whole interview in protobuf")
    func changeRecordLayout() async throws {
        let directory = try TemporaryDirectory()
        let repository = try FileInterviewRepository.open(directory: directory.path)
        let created = try await repository.create(sample(1), requestID: "req-1", tenant: acme)
        let deleted = try await repository.delete(id: created.id, expectedRevision: 1, tenant: acme)
        await repository.close()

        let records = try await Self.records(directory)
        #expect(records.map(\.kind) == [1, 3])
        #expect(records.map(\.sequence) == [1, 2])
        let data = records[0].data
        #expect(data[0] == 1)
        #expect(Int(data[1]) | Int(data[2]) << 8 == 5)
        #expect(Array(data[3..<8]) == Array("req-1".utf8))
        #expect(try Interview.decode(Array(data[8...])) == created)
        #expect(try Interview.decode(Array(records[1].data[3...])) == deleted)
    }

    @Test("a snapshot holds a header, every interview and the remembered request ids")
    func snapshotLayout() async throws {
        let directory = try TemporaryDirectory()
        let repository = try FileInterviewRepository.open(directory: directory.path)
        _ = try await repository.create(sample(1), requestID: "req-1", tenant: acme)
        _ = try await repository.create(sample(2), requestID: "", tenant: globex)
        try await repository.compact()
        await repository.close()

        let records = try await Self.records(directory)
        #expect(records.map(\.kind) == [8, 9, 9, 10])
        #expect(records.allSatisfy { $0.sequence == 2 })
    }

    /// Appends raw entries to a fresh data directory through the log.
    static func directory(with entries: [LogEntry]) async throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let log = try DurableLog.open(directory: directory.path, discard: {}, replay: { _ in })
        _ = try await log.append(entries)
        await log.close()
        return directory
    }

    @Test("a change record that does not decode refuses to open with DATA_LOSS naming it")
    func undecodableRecord() async throws {
        let directory = try await Self.directory(with: [LogEntry(kind: 1, data: [1, 0, 0, 0xFF, 0xFF, 0xFF])])
        let error = await interviewsError { _ = try FileInterviewRepository.open(directory: directory.path) }
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("record 1 of the data directory") == true, "\(error?.message ?? "")")
    }

    @Test("a record of a kind this build does not know refuses to open with DATA_LOSS")
    func unknownKind() async throws {
        let directory = try await Self.directory(with: [LogEntry(kind: 40, data: [1])])
        let error = await interviewsError { _ = try FileInterviewRepository.open(directory: directory.path) }
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("kind 40") == true)
    }

    @Test("damage before the tail refuses to open naming file and offset; repair opens with what came before")
    func damageAndRepair() async throws {
        let directory = try TemporaryDirectory()
        let small = FileRepositoryOptions(log: LogOptions(segmentSize: 4096))
        let repository = try FileInterviewRepository.open(directory: directory.path, options: small)
        var created: [Interview] = []
        for n in 1...30 { created.append(try await repository.create(sample(n), requestID: "", tenant: acme)) }
        await repository.close()
        let segments = try directory.names().filter { $0.hasSuffix(".seg") }
        #expect(segments.count >= 3)
        // Flip a byte inside the first record of the first segment.
        let path = directory.file(segments[0])
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[60] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))

        let error = await interviewsError { _ = try FileInterviewRepository.open(directory: directory.path) }
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains(segments[0]) == true)
        #expect(error?.message.contains("at byte offset 32") == true, "\(error?.message ?? "")")

        var repair = small
        repair.log.repair = true
        let repaired = try FileInterviewRepository.open(directory: directory.path, options: repair)
        let report = try #require(repaired.recovery.repair)
        #expect(report.offset == 32)
        #expect(report.droppedBytes > 0)
        #expect(try await everything(repaired, acme).isEmpty)
        _ = try await repaired.create(sample(99), requestID: "", tenant: acme)
        await repaired.close()
    }

    @Test("a flipped byte in an acknowledged upsert (the last write, its commit record intact) is refused, not cut")
    func damagedLastUpsert() async throws {
        let directory = try TemporaryDirectory()
        let repository = try FileInterviewRepository.open(directory: directory.path)
        for n in 1...10 { _ = try await repository.create(sample(n), requestID: "", tenant: acme) }
        // One upsert of three: three records in one write, the last with the commit bit.
        _ = try await repository.upsert([sample(11), sample(12), sample(13)], tenant: acme)
        await repository.close()
        let segment = try #require(try directory.names().first { $0.hasSuffix(".seg") })
        var bytes = try directory.bytes(segment)
        var offset = 32
        for _ in 0..<10 {
            offset += 8 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16)
        }
        bytes[offset + 30] ^= 0x01
        try directory.write(bytes, to: segment)

        let error = await interviewsError { _ = try FileInterviewRepository.open(directory: directory.path) }
        #expect(error?.code == .dataLoss)
        #expect(error?.message.contains("at byte offset \(offset)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("not a torn tail") == true, "\(error?.message ?? "")")

        let repaired = try FileInterviewRepository.open(
            directory: directory.path, options: FileRepositoryOptions(log: LogOptions(repair: true)))
        let report = try #require(repaired.recovery.repair)
        #expect(report.lostSequences == 11...13)
        #expect(report.droppedRecords == 2)
        #expect(repaired.recovery.tornTail == nil)
        #expect(try await everything(repaired, acme).count == 10)
        await repaired.close()
    }

    @Test("a newest snapshot damaged near its end is dropped after part of it was replayed; the older one opens")
    func damagedSnapshotAfterPartialReplay() async throws {
        let directory = try TemporaryDirectory()
        let repository = try FileInterviewRepository.open(directory: directory.path)
        var older: [Interview] = []
        for n in 1...20 { older.append(try await repository.create(sample(n), requestID: "", tenant: acme)) }
        try await repository.compact()
        let olderName = try #require(try directory.names().first { $0.hasSuffix(".snap") })
        let olderBytes = try directory.bytes(olderName)
        for n in 21...30 { _ = try await repository.create(sample(n), requestID: "", tenant: acme) }
        try await repository.compact()
        await repository.close()
        let newestName = try #require(try directory.names().filter { $0.hasSuffix(".snap") }.max())
        #expect(newestName != olderName)
        // The older snapshot back beside the newer; the newer damaged in its
        // last interview, so most of it has been replayed when the damage is found.
        try directory.write(olderBytes, to: olderName)
        var bytes = try directory.bytes(newestName)
        bytes[bytes.count - 40] ^= 0xFF
        try directory.write(bytes, to: newestName)

        let repaired = try FileInterviewRepository.open(
            directory: directory.path, options: FileRepositoryOptions(log: LogOptions(repair: true)))
        #expect(repaired.recovery.snapshotSequence == 20, "the older snapshot")
        let ids = try await everything(repaired, acme).map(\.id)
        #expect(Set(ids).count == ids.count, "nothing replayed twice")
        #expect(Set(older.map(\.id)).isSubset(of: Set(ids)), "the older snapshot's records")
        #expect(ids.count < 30, "the damaged snapshot's records were dropped")
        _ = try await repaired.create(sample(99), requestID: "", tenant: acme)
        await repaired.close()
    }
}
