import Foundation
import InterviewsFileRepository
import InterviewsFileStore
import InterviewsModel
import InterviewsRepository
import InterviewsTestSupport
import InterviewsWire
import Testing

/// Writes every piece of a backup into `path` (created), checking that each
/// file's pieces come consecutively and within `maxBytes`.
func writeBackup(_ source: any BackupSource, to path: String, maxBytes: Int) throws -> (
    sequence: UInt64, interviews: Int, files: [String]
) {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var reader = try source.beginBackup()
    var files: [String] = []
    var contents: [String: [UInt8]] = [:]
    while let piece = reader.next(maxBytes: maxBytes) {
        #expect(piece.data.count <= maxBytes && !piece.data.isEmpty)
        if files.last != piece.file {
            #expect(!files.contains(piece.file), "\(piece.file) comes in one run")
            files.append(piece.file)
        }
        contents[piece.file, default: []] += piece.data
    }
    for (name, bytes) in contents { try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name)) }
    return (reader.sequence, reader.interviewCount, files)
}

/// Every record of `tenant` as its stored encoding, deleted ones and remote_data included.
func storedBytes(_ repository: any EncodedInterviewReads, _ tenant: Tenant) async throws -> [[UInt8]] {
    var all: [[UInt8]] = []
    try await repository.scanEncoded(
        ListRequest(includeDeleted: true, includeRemoteData: true), tenant: tenant, batchSize: 100
    ) { batch in
        for interview in batch { all.append(try interview.encodedBytes()) }
        return true
    }
    return all
}

@Suite("A backup is a data directory holding the store as it was")
struct BackupTests {
    enum Backend: String, CaseIterable { case file, memory }

    @Test("every record byte for byte, sequences, request ids and the page-token secret", arguments: Backend.allCases)
    func backupIsTheStore(backend: Backend) async throws {
        let source = try TemporaryDirectory()
        let original: any InterviewRepository & EncodedInterviewReads
        let backups: any BackupSource
        switch backend {
        case .file:
            let file = try FileInterviewRepository.open(directory: source.path)
            try await writeWorkload(file, 1...30)
            try await file.compact()
            try await writeWorkload(file, 31...60)
            (original, backups) = (file, file)
        case .memory:
            let memory = InMemoryInterviewRepository()
            try await writeWorkload(memory, 1...60)
            (original, backups) = (memory, MemoryBackupSource(memory))
        }
        let before = try await Contents(original)
        let token = try await original.list(ListRequest(pageSize: 4), tenant: acme).nextPageToken
        let copy = try TemporaryDirectory()
        let backup = try writeBackup(backups, to: copy.path, maxBytes: 333)
        #expect(backup.sequence == before.acmeStats.lastSequence)
        #expect(backup.interviews == before.acme.count + before.globex.count)
        #expect(
            backup.files == ["store.secret", SnapshotEncoder.fileName(sequence: backup.sequence)],
            "the secret, then the snapshot; no store.epoch")
        let expected = [try await storedBytes(original, acme), try await storedBytes(original, globex)]
        let secondPage = try await original.list(ListRequest(pageSize: 4, pageToken: token), tenant: acme)
        // A write after the backup began is not in it.
        _ = try await original.create(sample(999), requestID: "after", tenant: acme)

        let restored = try FileInterviewRepository.open(directory: copy.path)
        #expect(try await Contents(restored) == before)
        #expect(
            [try await storedBytes(restored, acme), try await storedBytes(restored, globex)] == expected,
            "records byte for byte")
        #expect(restored.storeEpoch != original.storeEpoch, "a store of its own")
        #expect(
            try await restored.list(ListRequest(pageSize: 4, pageToken: token), tenant: acme) == secondPage,
            "a page token of the original reads the same page")
        let retried = try await restored.create(sample(7), requestID: "req-7", tenant: acme)
        #expect(retried.id == before.acme.first { $0.remoteID == "remote-7" }?.id, "request ids came along")
        let next = try await restored.create(sample(1000), requestID: "", tenant: acme)
        #expect(try await restored.stats(tenant: acme).lastSequence == backup.sequence + 1)
        #expect(next.revision == 1)
        await restored.close()
        if let file = original as? FileInterviewRepository { await file.close() }
    }

    @Test("a write whose sync failed is not in a backup, which still works after the log fail-stops")
    func onlyDurableChanges() async throws {
        let directory = try TemporaryDirectory()
        let io = FaultInjectingFileIO()
        let repository = try FileInterviewRepository.open(directory: directory.path, io: io)
        let kept = try await repository.create(sample(1), requestID: "", tenant: acme)
        io.inject(.error(EIO), on: .syncData)
        let lost = await interviewsError { _ = try await repository.create(sample(2), requestID: "", tenant: acme) }
        #expect(lost?.code == .unavailable)
        #expect(!repository.isWritable)
        let copy = try TemporaryDirectory()
        let backup = try writeBackup(repository, to: copy.path, maxBytes: 1 << 20)
        #expect(backup.sequence == 1 && backup.interviews == 1, "the unacknowledged create is left out")
        await repository.close()
        let restored = try FileInterviewRepository.open(directory: copy.path)
        #expect(try await everything(restored, acme) == [kept])
        await restored.close()
    }
}
